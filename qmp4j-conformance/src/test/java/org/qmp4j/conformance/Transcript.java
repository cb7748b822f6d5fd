package org.qmp4j.conformance;

import java.util.List;
import java.util.Objects;

/**
 * One conformance case: what a client does on one or more sessions, step by step. The same steps
 * are replayed against QEMU and against qmp4j, and what each session received is compared. The text
 * form is described in {@code docs/conformance.md} and read by {@link TranscriptParser}.
 *
 * @param name unique name, e.g. {@code lexer/stray-percent}
 * @param rows the rows of the reference ({@code qemu-7.2-behaviour.md}) the case covers
 * @param fresh whether the case needs a QEMU (and a qmp4j server) of its own, because it changes
 *     state that outlives its sessions (the run state) or ends the process
 * @param knownDivergence if not {@code null}, why qmp4j is known to answer differently; the case
 *     then passes only while it still diverges (so a fix shows up as a failure asking to remove the
 *     marker)
 * @param steps what to do, in order
 * @param source where the case is written ({@code file:line}), for messages
 */
record Transcript(
    String name,
    List<String> rows,
    boolean fresh,
    String knownDivergence,
    List<Step> steps,
    String source) {

  Transcript {
    Objects.requireNonNull(name, "name");
    rows = List.copyOf(rows);
    steps = List.copyOf(steps);
  }

  /** The monitors every target offers: two compact ones and a pretty one, as QEMU chardev ids. */
  enum Monitor {
    COMPACT("compact", false),
    COMPACT2("compact2", false),
    PRETTY("pretty", true);

    final String id;
    final boolean pretty;

    Monitor(String id, boolean pretty) {
      this.id = id;
      this.pretty = pretty;
    }

    static Monitor byId(String id) {
      for (Monitor m : values()) {
        if (m.id.equals(id)) {
          return m;
        }
      }
      throw new IllegalArgumentException(
          "unknown monitor '" + id + "' (known: compact, compact2, pretty)");
    }
  }

  /** One step of a transcript. */
  sealed interface Step {
    /** The line of the transcript file the step was written on. */
    int line();
  }

  /** Connects session {@code session} to {@code monitor}; waits for the greeting if asked. */
  record Open(int line, String session, Monitor monitor, boolean awaitGreeting) implements Step {}

  /** Sends bytes on a session. {@code text} is how the transcript wrote them (for messages). */
  record Send(int line, String session, byte[] bytes, String text) implements Step {}

  /**
   * Waits until {@code count} more messages arrived on the session (beyond those expected). With
   * {@code unordered}, these messages are compared as a multiset: for replies whose order QEMU
   * leaves to thread scheduling.
   */
  record Expect(int line, String session, int count, boolean unordered) implements Step {}

  /**
   * Creates a named pipe for the run; {@code ${name}} in sent text becomes its path. A command that
   * reads it (blkdebug's {@code config}) blocks until the pipe is {@link Release released}.
   */
  record Fifo(int line, String name) implements Step {}

  /** Opens the named pipe for writing and closes it: its reader sees end-of-file. */
  record Release(int line, String name) implements Step {}

  /** Waits until the peer closed the session. */
  record ExpectEof(int line, String session) implements Step {}

  /** Waits {@code millis} and checks that no message beyond those expected so far arrived. */
  record Nothing(int line, String session, int millis) implements Step {}

  /** Waits until the session received nothing for {@code millis}. */
  record Quiet(int line, String session, int millis) implements Step {}

  /** Ends the client's output (a half-close): the server reads end-of-stream after the bytes. */
  record Shutdown(int line, String session) implements Step {}

  /** Closes the session's connection (the client hangs up). */
  record Close(int line, String session) implements Step {}

  /** Waits {@code millis}. */
  record Sleep(int line, int millis) implements Step {}
}
