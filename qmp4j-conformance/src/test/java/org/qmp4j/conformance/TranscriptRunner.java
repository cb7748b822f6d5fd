package org.qmp4j.conformance;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Replays one transcript against one target and records what every session received. */
final class TranscriptRunner {
  /** How long an {@code expect} waits. */
  static final long EXPECT_TIMEOUT_MILLIS = 5000;

  /** Silence that ends a case: any message still coming would have come by then. */
  static final long FINAL_QUIET_MILLIS = 40;

  /** The longest a {@code quiet} step or the final quiet waits for silence. */
  static final long MAX_QUIET_MILLIS = 5000;

  private TranscriptRunner() {}

  /**
   * What one session received.
   *
   * @param name the session's name in the transcript
   * @param monitor the monitor it was connected to
   * @param bytes every byte received, in order
   * @param closedByPeer whether the server closed the connection (before the transcript did)
   */
  record SessionRecord(
      String name, Transcript.Monitor monitor, byte[] bytes, boolean closedByPeer) {}

  /**
   * The outcome of one replay.
   *
   * @param sessions what each session received, in the order the transcript opened them
   * @param failure why the replay stopped early (an {@code expect} not met, a connection that
   *     failed), or {@code null} if every step ran
   */
  record Run(String target, List<SessionRecord> sessions, String failure) {}

  static Run run(Target target, Transcript transcript) throws InterruptedException {
    Map<String, SessionCapture> open = new LinkedHashMap<>();
    Map<String, SessionRecord> done = new LinkedHashMap<>();
    List<String> order = new ArrayList<>();
    Fifos fifos = new Fifos();
    String failure = null;
    try {
      for (Transcript.Step step : transcript.steps()) {
        failure = step(target, step, open, done, order, fifos);
        if (failure != null) {
          failure = "line " + step.line() + ": " + failure;
          break;
        }
      }
      // Whatever else the server sends comes now; then the case is over.
      long start = System.nanoTime();
      for (SessionCapture c : open.values()) {
        long spent = (System.nanoTime() - start) / 1_000_000;
        c.awaitQuiet(FINAL_QUIET_MILLIS, Math.max(1, MAX_QUIET_MILLIS - spent));
      }
    } finally {
      for (SessionCapture c : open.values()) {
        done.put(c.name(), record(c));
      }
      fifos.close(); // a server still reading a pipe must not stay blocked
    }
    List<SessionRecord> sessions = new ArrayList<>();
    for (String s : order) {
      sessions.add(done.get(s));
    }
    return new Run(target.name(), sessions, failure);
  }

  private static String step(
      Target target,
      Transcript.Step step,
      Map<String, SessionCapture> open,
      Map<String, SessionRecord> done,
      List<String> order,
      Fifos fifos)
      throws InterruptedException {
    try {
      if (step instanceof Transcript.Open o) {
        SessionCapture c =
            SessionCapture.connect(
                o.session(), o.monitor(), target.socket(o.monitor()), EXPECT_TIMEOUT_MILLIS);
        open.put(o.session(), c);
        order.add(o.session());
        return o.awaitGreeting() ? c.awaitMessages(1, EXPECT_TIMEOUT_MILLIS) : null;
      } else if (step instanceof Transcript.Send s) {
        open.get(s.session()).send(fifos.substitute(s.bytes()));
        return null;
      } else if (step instanceof Transcript.Fifo f) {
        fifos.create(f.name());
        return null;
      } else if (step instanceof Transcript.Release r) {
        return fifos.release(r.name());
      } else if (step instanceof Transcript.Expect e) {
        return open.get(e.session()).awaitMessages(e.count(), EXPECT_TIMEOUT_MILLIS);
      } else if (step instanceof Transcript.ExpectEof e) {
        return open.get(e.session()).awaitEof(EXPECT_TIMEOUT_MILLIS);
      } else if (step instanceof Transcript.Quiet q) {
        open.get(q.session()).awaitQuiet(q.millis(), MAX_QUIET_MILLIS);
        return null;
      } else if (step instanceof Transcript.Nothing q) {
        return open.get(q.session()).awaitNothing(q.millis());
      } else if (step instanceof Transcript.Shutdown h) {
        open.get(h.session()).shutdownOutput();
        return null;
      } else if (step instanceof Transcript.Close c) {
        SessionCapture s = open.remove(c.session());
        done.put(s.name(), record(s));
        return null;
      } else if (step instanceof Transcript.Sleep s) {
        Thread.sleep(s.millis());
        return null;
      }
      throw new IllegalStateException("unknown step " + step);
    } catch (IOException e) {
      return step + ": " + e;
    }
  }

  /** Closes the connection and keeps what it received. */
  private static SessionRecord record(SessionCapture c) {
    boolean closedByPeer = c.eof();
    c.close();
    return new SessionRecord(c.name(), c.monitor(), c.bytes(), closedByPeer);
  }
}
