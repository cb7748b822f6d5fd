package org.qmp4j.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.util.ArrayDeque;
import java.util.Set;
import org.qmp4j.protocol.QmpProtocolException;
import org.qmp4j.protocol.QmpReader;
import org.qmp4j.protocol.QmpWriter;
import org.qmp4j.protocol.internal.StrictJsonReader;
import org.qmp4j.server.MonitorOptions;
import org.qmp4j.server.QmpSession;

/**
 * One client connection, run entirely on the I/O loop thread. Mirrors QEMU's monitor: requests are
 * parsed by QEMU's reader; out-of-band requests are dispatched at once; in-band requests and parse
 * errors go through a queue of at most {@value #QUEUE_MAX}, answered strictly in order, and the
 * session stops reading while the queue is full (or, without OOB, while any request is pending).
 */
final class Session implements QmpSession, QmpReader.Handler, IoLoop.Readiness {
  static final int QUEUE_MAX = 8;
  // Input buffers start small (idle sessions are cheap) and grow while reads fill them.
  private static final int INPUT_BUFFER_INITIAL = 2 * 1024;
  private static final int INPUT_BUFFER_MAX = 64 * 1024;

  private final ServerCore server;
  private final long id;
  private final Endpoint channel;
  private final String peer;
  private final Monitor monitor;
  private final Object origin;
  private final QmpWriter writer;
  private final QmpReader reader;
  // The reader when requests may bypass it (FastRequest), else null.
  private final StrictJsonReader directReader;
  private ByteBuffer in = ByteBuffer.allocate(INPUT_BUFFER_INITIAL).flip();
  private final OutputBuffer out = new OutputBuffer();
  private final ArrayDeque<Object> queue = new ArrayDeque<>();

  private boolean started;
  private volatile boolean negotiated;
  private volatile Set<String> capabilities = Set.of();
  private volatile boolean open = true;
  private boolean oobEnabled;
  private boolean inputEnded;
  private boolean closing; // input ended and processed, or the server ends: close once written
  private boolean ending; // the server ends: no more input, requests or output (closeAfterOutput)
  private boolean processing;
  private boolean feeding; // inside reader.feed()
  private boolean flushScheduled;
  private boolean writeBlocked;

  Session(
      ServerCore server, long id, Endpoint channel, String peer, Monitor monitor, Object origin) {
    this.server = server;
    this.id = id;
    this.channel = channel;
    this.peer = peer;
    this.monitor = monitor;
    this.origin = origin;
    MonitorOptions options = monitor.options();
    // The guest agent keeps one parser for the clients of its channel, one after the other.
    this.reader = options.guestAgent() ? monitor.agentReader() : QmpReader.strict();
    QmpWriter base =
        options.guestAgent()
            ? QmpWriter.guestAgent()
            : options.pretty() ? QmpWriter.pretty() : QmpWriter.compact();
    this.writer = base.withMemberOrder(QmpWriter.MemberOrder.QEMU);
    this.directReader =
        !options.guestAgent() && reader instanceof StrictJsonReader strict ? strict : null;
  }

  // ---------------------------------------------------------------------------------------------
  // QmpSession

  @Override
  public long id() {
    return id;
  }

  /** The listener that accepted this session, or null (an adopted channel, stdio). */
  Object origin() {
    return origin;
  }

  @Override
  public String peer() {
    return peer;
  }

  @Override
  public boolean negotiated() {
    return negotiated;
  }

  @Override
  public Set<String> capabilities() {
    return capabilities;
  }

  @Override
  public boolean open() {
    return open;
  }

  @Override
  public void close() {
    server.loop().run(this::closeNow);
  }

  @Override
  public String toString() {
    return "session " + id + " (" + peer + ")";
  }

  // ---------------------------------------------------------------------------------------------
  // Life cycle (loop thread)

  void start() {
    this.started = true;
    monitor.attach(this);
    if (monitor.options().guestAgent()) {
      negotiated = true; // no greeting, no negotiation: commands at once
    } else {
      send(server.greeting(monitor.options()));
    }
    updateInterest();
  }

  Endpoint channel() {
    return channel;
  }

  MonitorOptions options() {
    return monitor.options();
  }

  Monitor monitor() {
    return monitor;
  }

  /** The in-band requests (and parse errors) waiting for the monitor's dispatcher. */
  ArrayDeque<Object> queue() {
    return queue;
  }

  boolean oobEnabled() {
    return oobEnabled;
  }

  /** Whether the peer's end of stream has been read (replies may still be due). */
  boolean inputEnded() {
    return inputEnded;
  }

  /** {@code qmp_capabilities} succeeded: switch to command mode with these capabilities. */
  void negotiate(Set<String> enabled) {
    capabilities = Set.copyOf(enabled);
    oobEnabled = enabled.contains("oob");
    negotiated = true;
  }

  /**
   * Ends the session once what is queued for it now has been written: it reads no more input, runs
   * none of its queued requests and takes no more output (as QEMU when it exits), and closes
   * through the same path as a session whose input ended. Returns at once; the close may come
   * later.
   */
  void closeAfterOutput() {
    if (!open || ending) {
      return;
    }
    ending = true;
    closing = true;
    if (feeding) {
      reader.pause(); // the rest of the input is never parsed
    }
    // (requests still queued are not run: Monitor.wantsInBand; they go with the close)
    if (processing) {
      return; // process() writes and closes before it returns
    }
    if (!flushScheduled) {
      flush();
    }
  }

  /** Whether the session takes no more input nor requests ({@link #closeAfterOutput}). */
  boolean ending() {
    return ending;
  }

  void closeNow() {
    if (!open) {
      return;
    }
    open = false;
    if (ending && out.pending() == 0) {
      discardInput(); // what came since the last read: a clean end of stream rather than a reset
    }
    monitor.detach(this);
    out.clear();
    channel.close();
    server.sessionClosed(this);
  }

  // ---------------------------------------------------------------------------------------------
  // Input

  @Override
  public void ready(SelectionKey k) throws IOException {
    if (!open) {
      return;
    }
    if (k.isValid() && k.isWritable()) {
      flush();
    }
    if (open && k.isValid() && k.isReadable()) {
      readInput();
    }
  }

  private void readInput() {
    if (ending) {
      discardInput();
      updateInterest();
      return;
    }
    if (in.remaining() == in.capacity() && in.capacity() < INPUT_BUFFER_MAX) {
      ByteBuffer larger = ByteBuffer.allocate(in.capacity() * 2);
      larger.put(in);
      in = larger.flip();
    }
    in.compact();
    ByteBuffer direct = server.loop().ioBuffer();
    direct.clear().limit(Math.min(direct.capacity(), in.remaining()));
    int n;
    try {
      n = channel.read(direct);
    } catch (IOException e) {
      in.flip();
      closeNow();
      return;
    }
    in.put(direct.flip());
    in.flip();
    if (n < 0 && !inputEnded) {
      inputEnded = true;
      monitor.inputEnded(this);
    }
    process();
  }

  /**
   * Reads and drops what the peer has sent (the session is {@link #ending}): a TCP socket closed
   * with unread input resets the connection, and the peer may then lose output still in flight.
   */
  private void discardInput() {
    ByteBuffer direct = server.loop().ioBuffer();
    try {
      for (int i = 0; i < 16 && !inputEnded; i++) {
        direct.clear();
        int n = channel.read(direct);
        if (n < 0) {
          inputEnded = true;
        } else if (n == 0) {
          return;
        }
      }
    } catch (IOException e) {
      inputEnded = true; // nothing more to read from it; the close still comes after the output
    }
  }

  /** Feeds buffered input to the reader while the session may read. */
  void process() {
    if (processing || !open) {
      return;
    }
    while (true) {
      processing = true;
      try {
        while (open && !ending && in.hasRemaining() && !monitor.suspended() && !outputBlocked) {
          if (directReader != null
              && negotiated
              && queue.isEmpty()
              && !monitor.executing()
              && directReader.betweenMessages()
              && server.dispatchDirect(this, in)) {
            continue;
          }
          feeding = true;
          try {
            reader.feed(in, this);
          } finally {
            feeding = false;
          }
        }
      } finally {
        processing = false;
      }
      if (!open) {
        return;
      }
      // Replies made while parsing go out now, in one write, before the loop does anything else:
      // the peer of a sequential round trip is waiting for exactly this.
      if (out.pending() == 0) {
        break;
      }
      if (!writeOut()) {
        return;
      }
      if (outputBlocked && out.pending() <= server.outputHighWater()) {
        outputBlocked = false;
        continue;
      }
      break;
    }
    if (inputEnded && !in.hasRemaining() && !monitor.suspended() && !outputBlocked) {
      // QEMU reads the end of the stream only after everything before it, and has written its
      // replies by then: close once ours are written too (the write interest finishes the job).
      closing = true;
    }
    if (closing && out.pending() == 0) {
      closeNow();
      return;
    }
    updateInterest();
  }

  /** Writes what the peer takes now; false if that failed and the session closed. */
  private boolean writeOut() {
    try {
      writeBlocked = !out.writeTo(channel, server.loop().ioBuffer());
      return true;
    } catch (IOException e) {
      closeNow();
      return false;
    }
  }

  boolean processing() {
    return processing;
  }

  @Override
  public void onValue(JsonNode value) {
    if (value instanceof ObjectNode request
        && request.has("exec-oob")
        && !request.has("execute")
        && !options().guestAgent()) {
      // Out-of-band: dispatched at once, never queued, whether or not OOB was negotiated.
      server.dispatch(this, request, response -> server.loop().run(() -> monitor.reply(response)));
      return;
    }
    enqueue(value);
  }

  @Override
  public void onError(QmpProtocolException error) {
    enqueue(error);
  }

  private void enqueue(Object request) {
    if (!oobEnabled || queue.size() == QUEUE_MAX - 1) {
      suspend();
    }
    queue.add(request);
    monitor.dispatchNext();
  }

  private void suspend() {
    monitor.suspend();
    reader.pause();
  }

  // ---------------------------------------------------------------------------------------------
  // Output

  /** Queues one message for the peer; written once the current batch of work is done. */
  void send(JsonNode message) {
    if (!open) {
      return;
    }
    QmpWriter.Buffer scratch = server.loop().scratch();
    scratch.clear();
    writer.writeMessage(message, scratch);
    sendBytes(scratch.array(), 0, scratch.length());
  }

  /** Queues the success reply {@code {"return": value, "id": id}} without building it. */
  void sendReturn(JsonNode value, JsonNode id) {
    if (!open) {
      return;
    }
    QmpWriter.Buffer scratch = server.loop().scratch();
    scratch.clear();
    writer.writeReturn(value, id, scratch);
    sendBytes(scratch.array(), 0, scratch.length());
  }

  /** Queues bytes already serialised for this session's output form. */
  void sendBytes(byte[] bytes, int off, int len) {
    if (!open || ending) {
      return;
    }
    out.append(bytes, off, len);
    if (!outputBlocked && out.pending() > server.outputHighWater()) {
      // Like QEMU, stop reading a peer that does not read what we send it.
      outputBlocked = true;
      if (feeding) {
        reader.pause();
      }
    }
    if (out.pending() > server.maxOutputBacklog()) {
      server.log(
          System.Logger.Level.WARNING,
          this + " does not read its output (" + out.pending() + " bytes pending): closing it");
      closeNow();
      return;
    }
    if (!flushScheduled && !processing) {
      // (while processing, process() writes before it returns)
      flushScheduled = true;
      server.loop().afterBatch(this::flush);
    }
  }

  QmpWriter writer() {
    return writer;
  }

  private void flush() {
    flushScheduled = false;
    if (!open || !writeOut()) {
      return;
    }
    if (closing && !writeBlocked) {
      closeNow();
      return;
    }
    if (outputBlocked && out.pending() <= server.outputHighWater()) {
      outputBlocked = false;
      process();
    } else {
      updateInterest();
    }
  }

  private boolean outputBlocked;

  private void updateInterest() {
    if (!open || !started) {
      return;
    }
    // Read while the reader may run, and read ahead (bounded by the buffer) while suspended, so
    // that a peer's end of stream is seen; never read while the peer does not take our output.
    boolean read = !inputEnded && (ending || (!outputBlocked && in.remaining() < INPUT_BUFFER_MAX));
    channel.interest(read, writeBlocked);
  }
}
