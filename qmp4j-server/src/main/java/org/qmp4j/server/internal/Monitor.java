package org.qmp4j.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.qmp4j.protocol.JsonSyntaxException;
import org.qmp4j.protocol.QmpReader;
import org.qmp4j.server.MonitorOptions;

/**
 * The dispatch state of one QMP monitor, as QEMU keeps it per monitor rather than per connection:
 * whether an in-band command is running, and how often input is suspended. All on the loop thread.
 *
 * <p>A monitor has at most one attached {@link Session} (connection) at a time. Replies go to
 * whichever session is attached when they are ready, so the reply of a command whose client left
 * reaches the next client, as in QEMU. A listener with {@link MonitorOptions#singleClient()} keeps
 * one monitor for all its clients, one at a time; otherwise every connection gets a monitor of its
 * own, and the monitor ends with it.
 *
 * <p>On detach (QEMU's {@code CHR_EVENT_CLOSED}) the connection's queued requests, parser state and
 * pending output go with it; a running command and the suspension it holds stay with the monitor:
 * without OOB, QEMU suspends input until the running command ends, so the next client is greeted at
 * once but its input is not read until then.
 */
final class Monitor {
  private final ServerCore server;
  private final MonitorOptions options;
  private final Runnable onVacancy;
  private Session session;
  private boolean executing;
  private int suspended;
  private QmpReader agentReader;

  /**
   * @param onVacancy runs on the loop thread when the attached session detached or ended its input
   *     (a single-client listener may accept the next client then); may be {@code null}
   */
  Monitor(ServerCore server, MonitorOptions options, Runnable onVacancy) {
    this.server = server;
    this.options = options;
    this.onVacancy = onVacancy;
  }

  MonitorOptions options() {
    return options;
  }

  /** The guest agent's parser, kept across its clients (qemu-ga does not reset it). */
  QmpReader agentReader() {
    if (agentReader == null) {
      agentReader = QmpReader.strict();
    }
    return agentReader;
  }

  /** The attached session, or {@code null}. */
  Session session() {
    return session;
  }

  boolean suspended() {
    return suspended > 0;
  }

  /** Whether an in-band command is running (perhaps for a client that has left). */
  boolean executing() {
    return executing;
  }

  /** QEMU's {@code CHR_EVENT_OPENED}: {@code session} is the monitor's client now. */
  void attach(Session s) {
    if (session != null && session != s) {
      throw new IllegalStateException("monitor already has a client");
    }
    session = s;
  }

  /**
   * QEMU's {@code CHR_EVENT_CLOSED}: drop the queue, resuming input if the queue was what suspended
   * it (QEMU's {@code monitor_qmp_cleanup_queue_and_resume}); a running command keeps running.
   */
  void detach(Session s) {
    if (session != s) {
      return;
    }
    boolean needResume =
        (!s.oobEnabled() || s.queue().size() == Session.QUEUE_MAX) && !s.queue().isEmpty();
    s.queue().clear();
    session = null;
    if (needResume) {
      resume();
    }
    if (!executing) {
      server.releaseInBand(this, false);
    }
    vacancy();
  }

  /** The attached session read the end of its input (it may still have replies to receive). */
  void inputEnded(Session s) {
    if (session == s) {
      vacancy();
    }
  }

  private void vacancy() {
    if (onVacancy != null) {
      onVacancy.run();
    }
  }

  void suspend() {
    suspended++;
  }

  void resume() {
    if (--suspended == 0) {
      Session s = session;
      // A session that is parsing goes on by itself; any other one is nudged.
      if (s != null && !s.processing()) {
        server.loop().execute(s::process);
      }
    }
  }

  /** Whether the attached client has in-band requests waiting. */
  boolean wantsInBand() {
    Session s = session;
    return s != null && s.open() && !s.ending() && !server.ending() && !s.queue().isEmpty();
  }

  /** Starts the next queued in-band request of the attached session, unless one is running. */
  void dispatchNext() {
    while (!executing && wantsInBand()) {
      if (!server.acquireInBand(this)) {
        return;
      }
      Session s = session;
      // Saved now, as QEMU does: qmp_capabilities may change it while the request runs.
      boolean oob = s.oobEnabled();
      boolean resumed = false;
      if (oob && s.queue().size() == Session.QUEUE_MAX) {
        resume();
        resumed = true;
      }
      Object request = s.queue().poll();
      executing = true;
      if (resumed) {
        // Let the reader look at the input first, so that an out-of-band request waiting behind
        // the full queue runs before this one, as QEMU's monitor I/O thread would let it.
        server.loop().execute(() -> execute(s, request, oob));
        return;
      }
      execute(s, request, oob);
    }
  }

  private void execute(Session s, Object request, boolean oob) {
    // Once taken from the queue, a request runs even if its client has left, as in QEMU.
    if (request instanceof JsonSyntaxException error) {
      finishInBand(server.errorResponse(error), oob, false);
    } else {
      JsonNode r = (JsonNode) request;
      boolean delimit =
          options.guestAgent() && "guest-sync-delimited".equals(r.path("execute").textValue());
      server.dispatch(
          s, r, response -> server.loop().run(() -> finishInBand(response, oob, delimit)));
    }
  }

  /**
   * Runs {@code command} (a {@link ServerCore.Command#direct()} one) for a request of the attached
   * session now, with the effects of {@link Session#enqueue} and {@link #dispatchNext} for a
   * request that is dispatched at once: the caller checked that nothing is queued or running.
   */
  void executeDirect(Session s, ServerCore.Command command, JsonNode id) {
    boolean oob = s.oobEnabled();
    if (!oob) {
      suspend(); // as enqueue() does; the reader is not running, so there is nothing to pause
    }
    executing = true;
    server.runDirect(s, command, id, this);
    executing = false;
    if (!oob) {
      resume();
    }
    server.releaseInBand(this, wantsInBand());
    dispatchNext();
  }

  private static final byte[] GUEST_AGENT_SENTINEL = {(byte) 0xFF};

  private void finishInBand(ObjectNode response, boolean oobWhenDispatched, boolean delimit) {
    Session attached = session;
    if (delimit && response != null && response.has("return") && attached != null) {
      // qemu-ga writes its sentinel byte before the reply to guest-sync-delimited
      attached.sendBytes(GUEST_AGENT_SENTINEL, 0, 1);
    }
    reply(response);
    executing = false;
    if (!oobWhenDispatched) {
      resume();
    }
    server.releaseInBand(this, wantsInBand());
    dispatchNext();
  }

  /** Sends a success reply to whichever client is attached now (see {@link #reply}). */
  void replyReturn(JsonNode value, JsonNode id) {
    Session s = session;
    if (s != null && s.open()) {
      s.sendReturn(value, id);
    }
  }

  /** Sends a reply to whichever client is attached now; without one, the reply is lost. */
  void reply(ObjectNode response) {
    Session s = session;
    if (response != null && s != null && s.open()) {
      s.send(ServerCore.negotiationRewrite(s, response));
    }
  }
}
