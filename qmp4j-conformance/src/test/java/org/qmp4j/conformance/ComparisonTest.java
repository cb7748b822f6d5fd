package org.qmp4j.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.qmp4j.conformance.TranscriptRunner.Run;
import org.qmp4j.conformance.TranscriptRunner.SessionRecord;

class ComparisonTest {
  private static final String GREETING =
      "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7},"
          + " \"package\": \"Debian\"}, \"capabilities\": [\"oob\"]}}\r\n";
  private static final Transcript CASE =
      TranscriptParser.parse("t.qmpt", "case c\nrows 1.greeting\nopen a\nend\n").get(0);

  private static Run run(String target, String bytes, boolean closed, String failure) {
    return new Run(
        target,
        List.of(
            new SessionRecord(
                "a",
                Transcript.Monitor.COMPACT,
                bytes.getBytes(StandardCharsets.ISO_8859_1),
                closed)),
        failure);
  }

  @Test
  void sameBytesAreByteIdentical() {
    Comparison c =
        Comparison.of(
            CASE, run("QEMU", GREETING, false, null), run("qmp4j", GREETING, false, null));
    assertEquals(List.of(), c.divergences());
    assertEquals(List.of(), c.oracleProblems());
    assertTrue(c.byteIdentical());
  }

  @Test
  void memberOrderIsFreeButNotByteIdentical() {
    String reordered =
        "{\"QMP\": {\"capabilities\": [\"oob\"], \"version\": {\"qemu\": {\"micro\": 22,"
            + " \"minor\": 2, \"major\": 7}, \"package\": \"Debian\"}}}\r\n";
    Comparison c =
        Comparison.of(
            CASE, run("QEMU", GREETING, false, null), run("qmp4j", reordered, false, null));
    assertEquals(List.of(), c.divergences());
    assertFalse(c.byteIdentical());
  }

  @Test
  void reportsEveryKindOfDivergence() {
    String other = GREETING.replace("\"oob\"", "") + "{\"return\": {}}\n";
    Comparison c =
        Comparison.of(
            CASE, run("QEMU", GREETING, true, null), run("qmp4j", other, false, "line 3: late"));
    assertEquals(
        List.of(
            "qmp4j did not follow the transcript: line 3: late",
            "session a (compact): framing: message 2: bare LF (no CR) after the message",
            "session a (compact): QEMU sent 1 messages, qmp4j 2",
            "session a (compact): message 1 differs",
            "session a (compact): QEMU closed the connection, qmp4j did not"),
        c.divergences());
    String text = c.sideBySide();
    assertTrue(text.contains("!=  1 QEMU  {\"QMP\""), text);
    assertTrue(text.contains("!=  2 QEMU  (nothing)"), text);
  }

  @Test
  void qemuNotFollowingTheTranscriptIsATranscriptProblem() {
    Comparison c =
        Comparison.of(
            CASE,
            run("QEMU", GREETING, false, "line 3: expected 2"),
            run("qmp4j", GREETING, false, null));
    assertEquals(
        List.of("QEMU did not follow the transcript: line 3: expected 2"), c.oracleProblems());
    assertEquals(List.of(), c.divergences());
  }

  @Test
  void unorderedExpectationsCompareAsMultisets() {
    String one = "{\"return\": {}, \"id\": 1}\r\n";
    String two = "{\"id\": 2, \"error\": {\"class\": \"GenericError\", \"desc\": \"x\"}}\r\n";
    Transcript unordered =
        TranscriptParser.parse(
                "t.qmpt", "case c\nrows 4.queue\nopen a\nline a x\nexpect a 2 unordered\nend\n")
            .get(0);
    Transcript ordered =
        TranscriptParser.parse(
                "t.qmpt", "case c\nrows 4.queue\nopen a\nline a x\nexpect a 2\nend\n")
            .get(0);
    Run q = run("QEMU", GREETING + one + two, false, null);
    Run j = run("qmp4j", GREETING + two + one, false, null);
    assertEquals(List.of(), Comparison.of(unordered, q, j).divergences());
    assertEquals(
        List.of("session a (compact): message 2 differs", "session a (compact): message 3 differs"),
        Comparison.of(ordered, q, j).divergences());
    Run missing = run("qmp4j", GREETING + two + two, false, null);
    assertFalse(Comparison.of(unordered, q, missing).divergences().isEmpty());
  }
}
