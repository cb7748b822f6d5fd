package org.qmp4j.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TranscriptParserTest {

  private static Transcript one(String text) {
    List<Transcript> all = TranscriptParser.parse("test.qmpt", text);
    assertEquals(1, all.size());
    return all.get(0);
  }

  @Test
  void readsEveryDirective() {
    Transcript t =
        one(
            """
            # a comment
            case group/name-1
              rows 2.4 0.framing
              fresh
              note free text
              open a
              connect b pretty
              line a {"execute":"x"}
              raw b \\x01\\xff
              repeat a 3 [
              negotiate b oob
              expect a 2
              expect b eof
              nothing a 10
              quiet a 5
              sleep 1
              shutdown b
              close a
            end
            """);
    assertEquals("group/name-1", t.name());
    assertEquals(List.of("2.4", "0.framing"), t.rows());
    assertTrue(t.fresh());
    assertEquals("test.qmpt:2", t.source());
    List<Transcript.Step> s = t.steps();
    assertEquals(
        new Transcript.Open(6, "a", Transcript.Monitor.COMPACT, true).toString(),
        s.get(0).toString());
    Transcript.Open b = assertInstanceOf(Transcript.Open.class, s.get(1));
    assertEquals(Transcript.Monitor.PRETTY, b.monitor());
    assertEquals(false, b.awaitGreeting());
    assertArrayEquals(
        "{\"execute\":\"x\"}\n".getBytes(StandardCharsets.UTF_8),
        ((Transcript.Send) s.get(2)).bytes());
    assertArrayEquals(new byte[] {1, (byte) 0xff}, ((Transcript.Send) s.get(3)).bytes());
    assertArrayEquals("[[[".getBytes(StandardCharsets.UTF_8), ((Transcript.Send) s.get(4)).bytes());
    assertArrayEquals(
        "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}\n"
            .getBytes(StandardCharsets.UTF_8),
        ((Transcript.Send) s.get(5)).bytes());
    assertEquals(new Transcript.Expect(11, "b", 1, false), s.get(6));
    assertEquals(new Transcript.Expect(12, "a", 2, false), s.get(7));
    assertEquals(new Transcript.ExpectEof(13, "b"), s.get(8));
    assertEquals(new Transcript.Nothing(14, "a", 10), s.get(9));
    assertEquals(new Transcript.Quiet(15, "a", 5), s.get(10));
    assertEquals(new Transcript.Sleep(16, 1), s.get(11));
    assertEquals(new Transcript.Shutdown(17, "b"), s.get(12));
    assertEquals(new Transcript.Close(18, "a"), s.get(13));
  }

  @Test
  void readsFifosAndUnorderedExpectations() {
    Transcript t =
        one(
            "case c\nrows 1\nfifo f\nopen a\nline a ${f}\nexpect a 3 unordered\n"
                + "release f\nend\n");
    assertEquals(new Transcript.Fifo(3, "f"), t.steps().get(0));
    assertEquals(new Transcript.Expect(6, "a", 3, true), t.steps().get(3));
    assertEquals(new Transcript.Release(7, "f"), t.steps().get(4));
    assertEquals(List.of(new Comparison.Range(1, 4)), Comparison.unorderedRanges(t).get("a"));
    assertError("case c\nrows 1\nopen a\nrelease f\nend\n", "test.qmpt:4: no fifo f");
  }

  @Test
  void onlyBackslashXIsAnEscape() {
    assertArrayEquals(
        "\"a\\n\\u0041\"".getBytes(StandardCharsets.UTF_8),
        TranscriptParser.unescape("\"a\\n\\u0041\""));
    assertArrayEquals(new byte[] {'\\', 'x', '4', '1'}, TranscriptParser.unescape("\\x5cx41"));
    assertArrayEquals(new byte[] {(byte) 0xc3, (byte) 0xa9}, TranscriptParser.unescape("é"));
    assertThrows(IllegalArgumentException.class, () -> TranscriptParser.unescape("\\xg1"));
    assertThrows(IllegalArgumentException.class, () -> TranscriptParser.unescape("ab\\x1"));
  }

  @Test
  void keepsTrailingSpacesOfSentText() {
    Transcript t = one("case c\nrows 1\nopen a\nraw a x  \nend\n");
    assertArrayEquals(
        "x  ".getBytes(StandardCharsets.UTF_8), ((Transcript.Send) t.steps().get(1)).bytes());
  }

  @Test
  void rejectsMistakesWithTheirLine() {
    assertError("case c\nrows 1\nopen a\nline b x\nend\n", "test.qmpt:4: session 'b' is not open");
    assertError("case c\nrows 1\nopen a\nopen a\nend\n", "test.qmpt:4: session a is already open");
    assertError(
        "case c\nrows 1\nopen a\nclose a\nopen a\nend\n",
        "test.qmpt:5: session a was used before; give a new connection a new name");
    assertError("case c\nrows 1\nopen a bogus\nend\n", "test.qmpt:3: unknown monitor 'bogus'");
    assertError("case c\nopen a\nend\n", "test.qmpt:3: case c names no rows");
    assertError("case c\nrows 1\nend\n", "test.qmpt:3: case c opens no session");
    assertError("case c\nrows 1\nopen a\n", "test.qmpt:1: case without 'end'");
    assertError("open a\n", "test.qmpt:1: expected 'case NAME'");
    assertError("case c\nrows 1\nopen a\nexpect a 0\nend\n", "test.qmpt:4: expect at least one");
    assertError("case c\nrows x\nopen a\nend\n", "test.qmpt:2: not a row id: x");
    assertError("case c\nrows 1\nfrob\nend\n", "test.qmpt:3: unknown directive 'frob'");
  }

  private static void assertError(String text, String start) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> TranscriptParser.parse("test.qmpt", text));
    assertTrue(e.getMessage().startsWith(start), e.getMessage());
  }
}
