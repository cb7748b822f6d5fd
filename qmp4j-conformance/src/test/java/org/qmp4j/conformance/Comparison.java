package org.qmp4j.conformance;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.qmp4j.conformance.TranscriptRunner.Run;
import org.qmp4j.conformance.TranscriptRunner.SessionRecord;

/**
 * Compares what QEMU and qmp4j sent for one transcript, session by session: the messages as JSON
 * values (member order free, timestamps and version normalised), their framing, whether the server
 * hung up, and whether the bytes are identical after normalisation.
 */
final class Comparison {
  private final Transcript transcript;
  private final Run qemu;
  private final Run qmp4j;
  private final List<String> oracleProblems = new ArrayList<>();
  private final List<String> divergences = new ArrayList<>();
  private boolean byteIdentical = true;
  private final Map<String, List<Range>> unordered;

  private Comparison(Transcript transcript, Run qemu, Run qmp4j) {
    this.transcript = transcript;
    this.qemu = qemu;
    this.qmp4j = qmp4j;
    this.unordered = unorderedRanges(transcript);
  }

  static Comparison of(Transcript transcript, Run qemu, Run qmp4j) {
    Comparison c = new Comparison(transcript, qemu, qmp4j);
    c.compare();
    return c;
  }

  /**
   * Problems with the transcript itself, seen on QEMU: an expectation QEMU did not meet, or output
   * this harness cannot frame. The transcript, not qmp4j, needs fixing then.
   */
  List<String> oracleProblems() {
    return oracleProblems;
  }

  /** How qmp4j differs from QEMU. Empty: no divergence. */
  List<String> divergences() {
    return divergences;
  }

  /** Whether every session's bytes were identical after normalising timestamps and version. */
  boolean byteIdentical() {
    return byteIdentical && divergences.isEmpty();
  }

  private void compare() {
    if (qemu.failure() != null) {
      oracleProblems.add("QEMU did not follow the transcript: " + qemu.failure());
    }
    if (qmp4j.failure() != null) {
      divergences.add("qmp4j did not follow the transcript: " + qmp4j.failure());
    }
    int n = Math.max(qemu.sessions().size(), qmp4j.sessions().size());
    for (int i = 0; i < n; i++) {
      SessionRecord q = i < qemu.sessions().size() ? qemu.sessions().get(i) : null;
      SessionRecord j = i < qmp4j.sessions().size() ? qmp4j.sessions().get(i) : null;
      if (q == null || j == null) {
        divergences.add("session " + (q != null ? q.name() : j.name()) + " missing on one side");
        byteIdentical = false;
        continue;
      }
      compareSession(q, j);
    }
  }

  /** Message indexes {@code [start, end)} of one session that are compared as a multiset. */
  record Range(int start, int end) {}

  /** The unordered ranges of each session, from the transcript's {@code expect ... unordered}. */
  static Map<String, List<Range>> unorderedRanges(Transcript t) {
    Map<String, Integer> counts = new HashMap<>();
    Map<String, List<Range>> ranges = new HashMap<>();
    for (Transcript.Step step : t.steps()) {
      if (step instanceof Transcript.Open o && o.awaitGreeting()) {
        counts.merge(o.session(), 1, Integer::sum);
      } else if (step instanceof Transcript.Expect e) {
        int start = counts.getOrDefault(e.session(), 0);
        counts.put(e.session(), start + e.count());
        if (e.unordered()) {
          ranges
              .computeIfAbsent(e.session(), k -> new ArrayList<>())
              .add(new Range(start, start + e.count()));
        }
      }
    }
    return ranges;
  }

  /** The messages with each unordered range sorted by its normalised text. */
  private List<Output.Message> ordered(List<Output.Message> messages, String session) {
    List<Output.Message> m = new ArrayList<>(messages);
    for (Range r : unordered.getOrDefault(session, List.of())) {
      int end = Math.min(r.end(), m.size());
      if (r.start() < end) {
        List<Output.Message> part = new ArrayList<>(m.subList(r.start(), end));
        part.sort(Comparator.comparing(Output.Message::normalisedUnordered));
        for (int i = 0; i < part.size(); i++) {
          m.set(r.start() + i, part.get(i));
        }
      }
    }
    return m;
  }

  private void compareSession(SessionRecord q, SessionRecord j) {
    String s = "session " + q.name() + " (" + q.monitor().id + "): ";
    boolean pretty = q.monitor().pretty;
    Output qo = Output.parse(q.bytes(), pretty);
    Output jo = Output.parse(j.bytes(), pretty);
    for (String p : qo.problems()) {
      oracleProblems.add(s + "QEMU's framing unexpected: " + p);
    }
    for (String p : jo.problems()) {
      divergences.add(s + "framing: " + p);
    }
    List<Output.Message> qm = ordered(qo.messages(), q.name());
    List<Output.Message> jm = ordered(jo.messages(), j.name());
    if (qm.size() != jm.size()) {
      divergences.add(s + "QEMU sent " + qm.size() + " messages, qmp4j " + jm.size());
    }
    for (int k = 0; k < Math.min(qm.size(), jm.size()); k++) {
      Output.Message a = qm.get(k);
      Output.Message b = jm.get(k);
      if (!a.sameAs(b)) {
        divergences.add(s + "message " + (k + 1) + " differs");
      }
      if (!a.normalised().equals(b.normalised())) {
        byteIdentical = false;
      }
    }
    if (qm.size() != jm.size()) {
      byteIdentical = false;
    }
    if (!qo.rest().equals(jo.rest())) {
      divergences.add(
          s
              + "trailing partial output differs: QEMU '"
              + Escapes.shorten(qo.rest(), 200)
              + "', qmp4j '"
              + Escapes.shorten(jo.rest(), 200)
              + "'");
    }
    if (q.closedByPeer() != j.closedByPeer()) {
      divergences.add(
          s
              + (q.closedByPeer() ? "QEMU" : "qmp4j")
              + " closed the connection, "
              + (q.closedByPeer() ? "qmp4j" : "QEMU")
              + " did not");
    }
  }

  /**
   * Both transcripts, session by session and message by message, marking differences. Messages of
   * an unordered range are shown sorted.
   */
  String sideBySide() {
    StringBuilder sb = new StringBuilder();
    sb.append("case ").append(transcript.name()).append(" (").append(transcript.source());
    sb.append("), rows ").append(String.join(" ", transcript.rows())).append('\n');
    for (String p : oracleProblems) {
      sb.append("  TRANSCRIPT: ").append(p).append('\n');
    }
    for (String d : divergences) {
      sb.append("  DIVERGENCE: ").append(d).append('\n');
    }
    int n = Math.max(qemu.sessions().size(), qmp4j.sessions().size());
    for (int i = 0; i < n; i++) {
      SessionRecord q = i < qemu.sessions().size() ? qemu.sessions().get(i) : null;
      SessionRecord j = i < qmp4j.sessions().size() ? qmp4j.sessions().get(i) : null;
      SessionRecord any = q != null ? q : j;
      boolean pretty = any.monitor().pretty;
      sb.append("  session ").append(any.name()).append(" on ").append(any.monitor().id);
      sb.append('\n');
      List<Output.Message> qm =
          q == null ? List.of() : ordered(Output.parse(q.bytes(), pretty).messages(), any.name());
      List<Output.Message> jm =
          j == null ? List.of() : ordered(Output.parse(j.bytes(), pretty).messages(), any.name());
      for (int k = 0; k < Math.max(qm.size(), jm.size()); k++) {
        Output.Message a = k < qm.size() ? qm.get(k) : null;
        Output.Message b = k < jm.size() ? jm.get(k) : null;
        String mark = a != null && b != null && a.sameAs(b) ? "   " : "!= ";
        sb.append("   ").append(mark).append(String.format("%2d", k + 1)).append(" QEMU  ");
        sb.append(a == null ? "(nothing)" : Escapes.shorten(a.raw(), 600)).append('\n');
        sb.append("   ").append(mark).append("   qmp4j ");
        sb.append(b == null ? "(nothing)" : Escapes.shorten(b.raw(), 600)).append('\n');
      }
      if (q != null && q.closedByPeer()) {
        sb.append("       QEMU  closed the connection\n");
      }
      if (j != null && j.closedByPeer()) {
        sb.append("       qmp4j closed the connection\n");
      }
    }
    return sb.toString();
  }
}
