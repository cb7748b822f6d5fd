package org.qmp4j.protocol.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.qmp4j.protocol.ReaderHarness.SYNC;
import static org.qmp4j.protocol.ReaderHarness.error;
import static org.qmp4j.protocol.ReaderHarness.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.qmp4j.protocol.QmpMessageTooLargeException;
import org.qmp4j.protocol.QmpProtocolException;
import org.qmp4j.protocol.QmpReader;
import org.qmp4j.protocol.ReaderHarness;

class LiberalJsonReaderTest {

  private static final Supplier<QmpReader> DEFAULT = () -> new LiberalJsonReader();

  private static List<Object> read(String input) {
    return ReaderHarness.readAllWays(DEFAULT, input);
  }

  private static byte[] bytes(String ascii) {
    return ascii.getBytes(StandardCharsets.UTF_8);
  }

  /** {@code text} with every {@code ~} replaced by a 0xFF byte. */
  private static byte[] withSync(String text) {
    byte[] b = bytes(text);
    for (int i = 0; i < b.length; i++) {
      if (b[i] == '~') {
        b[i] = (byte) 0xFF;
      }
    }
    return b;
  }

  // ---------------------------------------------------------------- framing

  @Test
  void crlfLfAndNoTerminator() {
    assertEquals(
        List.of(json("{\"return\": {}}"), json("{\"a\": 1}"), json("{\"b\": [2]}")),
        read("{\"return\": {}}\r\n{\"a\": 1}\n{\"b\": [2]}"));
  }

  @Test
  void whitespaceBetweenAndAroundMessages() {
    assertEquals(
        List.of(json("{}"), json("[]"), json("{\"x\": {}}")),
        read("\r\n  \t{}  \n\n[]\t\r\n{\"x\":{}}   \r\n"));
  }

  @Test
  void messagesBackToBackWithoutSeparator() {
    assertEquals(List.of(json("{}"), json("[1]"), json("{}")), read("{}[1]{}"));
  }

  @Test
  void bracketsAndQuotesInsideStrings() {
    String input =
        "{\"a\": \"}]{[\", \"b\": \"q\\\"}\", \"c\": \"back\\\\\", \"d\": [\"\\\\\\\"]\"]}\n{}";
    List<Object> results = read(input);
    assertEquals(2, results.size(), results.toString());
    JsonNode first = (JsonNode) results.get(0);
    assertEquals("}]{[", first.get("a").textValue());
    assertEquals("q\"}", first.get("b").textValue());
    assertEquals("back\\", first.get("c").textValue());
    assertEquals("\\\"]", first.get("d").get(0).textValue());
    assertEquals(json("{}"), results.get(1));
  }

  @Test
  void nonAsciiUtf8() {
    List<Object> results = read("{\"s\": \"h\u00e9llo \u2603 \uD83D\uDE00\"}\r\n");
    assertEquals(List.of(json("{\"s\": \"h\u00e9llo \u2603 \uD83D\uDE00\"}")), results);
  }

  @Test
  void escapedUnicodeIsDecoded() {
    assertEquals(
        List.of(json("{\"s\": \"\u00e9\uD83D\uDE00\\u0000\"}")),
        read("{\"s\": \"\\u00E9\\uD83D\\uDE00\\u0000\"}\r\n"));
  }

  @Test
  void topLevelScalars() {
    List<Object> results = read("42\n\"str\" true null -1.5e3 [0]");
    assertEquals(
        List.of(
            json("42"), json("\"str\""), json("true"), json("null"), json("-1500.0"), json("[0]")),
        results);
  }

  @Test
  void scalarWaitsForItsDelimiter() {
    assertEquals(List.of(), read("12345"));
    assertEquals(List.of(json("12345")), read("12345\n"));
    assertEquals(List.of(json("1"), json("{}")), read("1{}"));
  }

  @Test
  void unfinishedMessageIsKeptUntilComplete() {
    assertEquals(List.of(), read("{\"return\": {\"a\": [1, 2"));
    assertEquals(List.of(), read("\"no end"));
  }

  @Test
  void bigIntegersAreExact() {
    List<Object> results =
        read(
            "{\"u\": 18446744073709551615, \"n\": -9223372036854775809, \"l\": 9223372036854775807,"
                + " \"b\": 123456789012345678901234567890}\r\n");
    JsonNode value = (JsonNode) results.get(0);
    assertInstanceOf(BigIntegerNode.class, value.get("u"));
    assertEquals(new BigInteger("18446744073709551615"), value.get("u").bigIntegerValue());
    assertEquals(new BigInteger("-9223372036854775809"), value.get("n").bigIntegerValue());
    assertTrue(value.get("l").isLong());
    assertEquals(
        new BigInteger("123456789012345678901234567890"), value.get("b").bigIntegerValue());
  }

  // ---------------------------------------------------------------- real peers

  @Test
  void prettyQemuOutput() throws IOException {
    for (String name : List.of("greeting", "query-version", "empties", "reset-event")) {
      byte[] pretty = resource("pretty/" + name + ".bin");
      byte[] compact = resource("compact/" + name + ".bin");
      List<Object> fromPretty = ReaderHarness.readAllWays(DEFAULT, pretty);
      List<Object> fromCompact = ReaderHarness.readAllWays(DEFAULT, compact);
      assertEquals(fromCompact.size(), fromPretty.size(), name);
      assertFalse(fromPretty.isEmpty());
      if (!name.equals("reset-event")) {
        // (The event's timestamp differs between the two captures.)
        assertEquals(fromCompact, fromPretty, name);
      }
    }
  }

  @Test
  void guestAgentSessionWithSyncBytes() throws IOException {
    byte[] session = resource("qga-session.bin");
    List<Object> results = ReaderHarness.readOnce(new LiberalJsonReader(), session);
    assertEquals(SYNC, results.get(0));
    assertEquals(json("{\"return\": 5678}"), results.get(1));
    assertEquals(json("{\"return\": -5}"), results.get(2));
    assertTrue(((JsonNode) results.get(3)).get("return").has("supported_commands"));
    assertEquals(
        json(
            "{\"id\": \"x\", \"error\": {\"class\": \"CommandNotFound\","
                + " \"desc\": \"The command nope has not been found\"}}"),
        results.get(4));
    assertEquals(
        "JSON parse error, stray '\uFFFD'",
        ((JsonNode) results.get(5)).get("error").get("desc").textValue());
    assertEquals(SYNC, results.get(6));
    assertEquals(json("{\"return\": 42}"), results.get(7));
    assertEquals(8, results.size());

    // Every chunking of the session without its long guest-info reply gives the same.
    String text = new String(session, StandardCharsets.ISO_8859_1);
    int infoStart = text.indexOf("{\"return\": {\"version\"");
    int infoEnd = text.indexOf('\n', infoStart) + 1;
    String shorter = text.substring(0, infoStart) + text.substring(infoEnd);
    List<Object> expected = new ArrayList<>(results);
    expected.remove(3);
    assertEquals(
        expected,
        ReaderHarness.readAllWays(DEFAULT, shorter.getBytes(StandardCharsets.ISO_8859_1)));
  }

  // ---------------------------------------------------------------- 0xFF

  @Test
  void syncByteDiscardsPartialMessage() {
    assertEquals(
        List.of(SYNC, json("{\"return\": 42}")),
        read(-1, withSync("{\"return\": {\"half\": ~{\"return\": 42}\n")));
  }

  @Test
  void syncByteInsideStringTokenAndBetweenMessages() {
    assertEquals(
        List.of(json("{}"), SYNC, SYNC, SYNC, json("[1]"), SYNC, json("7")),
        read(-1, withSync("{}~\"abc~123~[1]~7\n")));
  }

  @Test
  void syncByteStopsSkippingATooLargeMessage() {
    List<Object> results = read(16, withSync("{\"a\": \"0123456789abcdef\"~{\"b\": 1}"));
    assertEquals(3, results.size(), results.toString());
    assertEquals(
        error(
            QmpMessageTooLargeException.class, "QMP message exceeds the maximum size of 16 bytes"),
        results.get(0));
    assertEquals(SYNC, results.get(1));
    assertEquals(json("{\"b\": 1}"), results.get(2));
  }

  // ---------------------------------------------------------------- limits

  @Test
  void messageOfExactlyTheLimitIsAccepted() {
    String message = "{\"a\": \"" + "x".repeat(10) + "\"}"; // 19 bytes
    assertEquals(19, message.length());
    assertEquals(List.of(json(message), json("{}")), read(19, bytes(message + "\r\n{}")));
  }

  @Test
  void oneByteOverTheLimitIsRejectedOnceAndSkipped() {
    String message = "{\"a\": \"" + "x".repeat(10) + "\"}";
    ReaderHarness.Error tooLarge =
        error(
            QmpMessageTooLargeException.class, "QMP message exceeds the maximum size of 18 bytes");
    assertEquals(
        List.of(tooLarge, json("{\"n\": 1}"), tooLarge, json("{}")),
        read(18, bytes(message + "\r\n{\"n\": 1}\n" + message + "{}")));
  }

  @Test
  void tooLargeStringsAndTokensAtTopLevel() {
    ReaderHarness.Error tooLarge =
        error(QmpMessageTooLargeException.class, "QMP message exceeds the maximum size of 8 bytes");
    assertEquals(
        List.of(tooLarge, json("1"), tooLarge, json("{}")),
        read(8, bytes("\"0123456789\" 1 123456789012 {}")));
  }

  @Test
  void skippedMessageKeepsTrackOfStringsAndNesting() {
    // Brackets inside the skipped message's strings must not end it early.
    String big = "{\"a\": [\"}}}]]]\", {\"b\": \"\\\"}\"}], \"c\": \"" + "z".repeat(100) + "\"}";
    List<Object> results = read(32, bytes(big + "\n{\"after\": true}\n"));
    assertEquals(2, results.size(), results.toString());
    assertInstanceOf(ReaderHarness.Error.class, results.get(0));
    assertEquals(json("{\"after\": true}"), results.get(1));
  }

  @Test
  void memoryStaysBoundedByTheLimit() {
    LiberalJsonReader reader = new LiberalJsonReader(1024);
    ReaderHarness.Recorder recorder = new ReaderHarness.Recorder();
    byte[] open = new byte[1 << 16];
    Arrays.fill(open, (byte) '[');
    byte[] string = new byte[1 << 16];
    Arrays.fill(string, (byte) 'a');
    reader.feed(bytes("{\"s\": \""), recorder);
    for (int i = 0; i < 300; i++) { // ~20 MB of one string, then ~20 MB of nesting
      reader.feed(string, recorder);
      assertTrue(reader.bufferCapacity() <= 1024, "buffer grew to " + reader.bufferCapacity());
    }
    reader.feed(bytes("\", \"t\": "), recorder);
    for (int i = 0; i < 300; i++) {
      reader.feed(open, recorder);
      assertTrue(reader.bufferCapacity() <= 1024, "buffer grew to " + reader.bufferCapacity());
    }
    assertEquals(1, recorder.results().size());
    assertInstanceOf(ReaderHarness.Error.class, recorder.results().get(0));
  }

  @Test
  void longMessagesWithinTheLimit() {
    StringBuilder sb = new StringBuilder("{\"return\": [");
    for (int i = 0; i < 50_000; i++) {
      sb.append(i == 0 ? "" : ", ").append("{\"name\": \"item-").append(i).append("\"}");
    }
    byte[] message = bytes(sb.append("]}\r\n").toString());
    assertTrue(message.length > 1_000_000);
    byte[] input = Arrays.copyOf(message, 2 * message.length);
    System.arraycopy(message, 0, input, message.length, message.length);
    // A megabyte is too much for every split point: whole, byte by byte, and fixed-size chunks.
    List<Object> whole = ReaderHarness.readOnce(new LiberalJsonReader(), input);
    assertEquals(2, whole.size());
    assertEquals(50_000, ((JsonNode) whole.get(0)).get("return").size());
    assertEquals(whole.get(0), whole.get(1));
    for (int chunk : new int[] {7, 4096, message.length - 1, message.length + 1}) {
      LiberalJsonReader reader = new LiberalJsonReader();
      ReaderHarness.Recorder recorder = new ReaderHarness.Recorder();
      for (int off = 0; off < input.length; off += chunk) {
        reader.feed(input, off, Math.min(chunk, input.length - off), recorder);
      }
      assertEquals(whole, recorder.results(), "chunks of " + chunk);
    }
  }

  @Test
  void buffersLargerThanTheKeptSizeAreReleased() {
    LiberalJsonReader reader = new LiberalJsonReader();
    ReaderHarness.Recorder recorder = new ReaderHarness.Recorder();
    byte[] message = bytes("{\"s\": \"" + "a".repeat(200_000) + "\"}\n");
    for (int i = 0; i < message.length; i += 1000) {
      reader.feed(message, i, Math.min(1000, message.length - i), recorder);
    }
    assertEquals(1, recorder.results().size());
    assertTrue(reader.bufferCapacity() <= 64 * 1024, "kept " + reader.bufferCapacity());
  }

  @Test
  void rejectsNonPositiveLimits() {
    assertThrows(IllegalArgumentException.class, () -> new LiberalJsonReader(0));
  }

  // ---------------------------------------------------------------- malformed input

  @Test
  void malformedJsonIsReportedAndReadingGoesOn() {
    List<Object> results = read("{\"a\": }\r\n{\"a\" 1}\n{]\n}\nnope\n{\"ok\": 1}\n");
    assertEquals(6, results.size(), results.toString());
    for (int i = 0; i < 5; i++) {
      ReaderHarness.Error e = (ReaderHarness.Error) results.get(i);
      assertEquals(QmpProtocolException.class, e.type());
      assertTrue(e.message().startsWith("Malformed JSON: "), e.message());
    }
    assertEquals(json("{\"ok\": 1}"), results.get(5));
  }

  @Test
  void jacksonsTextIsKept() {
    List<Object> results = ReaderHarness.readOnce(new LiberalJsonReader(), bytes("{\"a\": }\n"));
    String message = ((ReaderHarness.Error) results.get(0)).message();
    assertTrue(message.contains("Unexpected character ('}'"), message);
    assertTrue(message.contains("line 1, column 7"), message);
  }

  @Test
  void invalidUtf8IsAProtocolError() {
    byte[] input = bytes("{\"a\": \"x?\"}\n{}");
    input[8] = (byte) 0xC3; // a lead byte followed by a quote
    List<Object> results = read(-1, input);
    assertEquals(2, results.size(), results.toString());
    assertInstanceOf(ReaderHarness.Error.class, results.get(0));
    assertEquals(json("{}"), results.get(1));
  }

  @Test
  void randomBytesNeverBreakTheReader() {
    Random random = new Random(42);
    String alphabet = "{}[]\":,\\ \n\r\tab1-.eE\u00e9~";
    for (int round = 0; round < 60; round++) {
      StringBuilder sb = new StringBuilder();
      int n = 1 + random.nextInt(80);
      for (int i = 0; i < n; i++) {
        sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      // Each result must be a value, an error or a sync, the same for every chunking.
      List<Object> results = read(1 + random.nextInt(64), withSync(sb.toString()));
      for (Object r : results) {
        assertTrue(
            r instanceof JsonNode || r instanceof ReaderHarness.Error || r == SYNC,
            String.valueOf(r));
      }
    }
  }

  // ---------------------------------------------------------------- between values

  @Test
  void betweenValuesOnlyWhenNothingOfAValueIsPending() {
    LiberalJsonReader reader = new LiberalJsonReader(16);
    ReaderHarness.Recorder recorder = new ReaderHarness.Recorder();
    assertTrue(reader.betweenValues());
    String[] pending = {
      "{\"a\": [1", "\"str", "\"s\\", "{\"s\": \"}\"", "12", "{\"big\": \"0123456789abcdef"
    };
    for (String part : pending) {
      reader.feed(bytes(part), recorder);
      assertFalse(reader.betweenValues(), part);
      reader.feed(withSync("~"), recorder);
      assertTrue(reader.betweenValues(), part);
    }
    for (String whole : new String[] {"{\"a\": [1]}", "\"str\"", "12 ", "} ", "  \r\n", ""}) {
      reader.feed(bytes(whole), recorder);
      assertTrue(reader.betweenValues(), whole);
    }
    reader.feed(bytes("[\"x\", "), recorder);
    reader.reset();
    assertTrue(reader.betweenValues());
  }

  // ---------------------------------------------------------------- reset and misbehaving handlers

  @Test
  void resetForgetsPartialInput() {
    LiberalJsonReader reader = new LiberalJsonReader();
    ReaderHarness.Recorder recorder = new ReaderHarness.Recorder();
    reader.feed(bytes("{\"half\": [1, "), recorder);
    reader.reset();
    reader.feed(bytes("{\"whole\": 1}\n"), recorder);
    assertEquals(List.of(json("{\"whole\": 1}")), recorder.results());
  }

  @Test
  void aThrowingHandlerLeavesTheBufferAtTheNextByte() {
    LiberalJsonReader reader = new LiberalJsonReader();
    List<JsonNode> seen = new ArrayList<>();
    QmpReader.Handler handler =
        new QmpReader.Handler() {
          @Override
          public void onValue(JsonNode value) {
            seen.add(value);
            if (seen.size() == 1) {
              throw new IllegalStateException("boom");
            }
          }

          @Override
          public void onError(QmpProtocolException error) {
            throw new AssertionError(error);
          }
        };
    ByteBuffer input = ByteBuffer.wrap(bytes("{\"a\": 1}{\"b\": 2}\n"));
    assertThrows(IllegalStateException.class, () -> reader.feed(input, handler));
    assertEquals(8, input.position());
    reader.feed(input, handler);
    assertEquals(List.of(json("{\"a\": 1}"), json("{\"b\": 2}")), seen);
  }

  private static List<Object> read(int limit, byte[] input) {
    return limit < 0
        ? ReaderHarness.readAllWays(DEFAULT, input)
        : ReaderHarness.readAllWays(() -> new LiberalJsonReader(limit), input);
  }

  static byte[] resource(String name) throws IOException {
    try (InputStream in =
        LiberalJsonReaderTest.class.getResourceAsStream("/org/qmp4j/protocol/qemu-7.2/" + name)) {
      if (in == null) {
        throw new IOException("missing test resource " + name);
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    }
  }
}
