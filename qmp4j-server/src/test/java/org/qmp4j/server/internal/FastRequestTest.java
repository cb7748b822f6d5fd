package org.qmp4j.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.qmp4j.protocol.QmpProtocolException;
import org.qmp4j.protocol.QmpReader;
import org.qmp4j.protocol.internal.StrictJsonReader;

/**
 * The fast request scan against the strict reader: whatever the scan accepts, the reader reads as
 * exactly that request, ending at the same byte, and what follows reads the same whether the reader
 * saw the request or the scan skipped it.
 */
class FastRequestTest {
  private static final String[] ACCEPTED = {
    "{\"execute\":\"query-status\"}",
    "{\"execute\": \"query-status\", \"id\": 1}\r\n",
    " \r\n\t{ \"id\" : \"abc\" , \"execute\" : \"x-y_z.1\" }",
    "{\"execute\":\"a\",\"id\":-0}",
    "{\"execute\":\"a\",\"id\":0}",
    "{\"execute\":\"a\",\"id\":-123456789012345678}",
    "{\"execute\":\"a\",\"id\":2147483648}",
    "{\"execute\":\"a\",\"id\":\"it's {a} [test]: ~\"}",
    "{\"execute\":\"\"}",
  };

  private static final String[] REJECTED = {
    "{\"execute\":\"a\",\"id\":1234567890123456789}",
    "{\"execute\":\"a\",\"id\":1.5}",
    "{\"execute\":\"a\",\"id\":01}",
    "{\"execute\":\"a\",\"id\":1e5}",
    "{\"execute\":\"a\",\"id\":true}",
    "{\"execute\":\"a\",\"id\":null}",
    "{\"execute\":\"a\",\"id\":[1]}",
    "{\"execute\":\"a\",\"id\":\"\\u0041\"}",
    "{\"execute\":'a'}",
    "{'execute':\"a\"}",
    "{\"execute\":\"a\",\"execute\":\"b\"}",
    "{\"execute\":\"a\",\"id\":1,\"id\":2}",
    "{\"execute\":\"a\",\"arguments\":{}}",
    "{\"exec-oob\":\"a\"}",
    "{\"id\":1}",
    "{}",
    "{\"execute\":\"a\",}",
    "{\"execute\":\"a\" \"id\":1}",
    "{\"execute\":\"a\"]",
    "{\"execute\":\"\u00e9\"}",
    "{\"execute\":\"a\tb\"}",
    "{\"execute\":\"a\"",
    "\f{\"execute\":\"a\"}",
    "[{\"execute\":\"a\"}]",
    "{\"execute\":\"a\",\"id\":1",
    "{\"execute\":\"a\",\"id\":-}",
  };

  @Test
  void acceptsTheCommonShapesAndAgreesWithTheReader() {
    for (String input : ACCEPTED) {
      byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
      assertTrue(new FastRequest().scan(bytes, 0, bytes.length) > 0, input);
      assertTrue(agrees(bytes), input);
    }
  }

  @Test
  void leavesEverythingElseToTheReader() {
    for (String input : REJECTED) {
      byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
      assertEquals(-1, new FastRequest().scan(bytes, 0, bytes.length), input);
    }
    byte[] tooLong =
        ("{\"execute\":\"a\",\"id\":\"" + "x".repeat(FastRequest.MAX_SCAN) + "\"}")
            .getBytes(StandardCharsets.US_ASCII);
    assertEquals(-1, new FastRequest().scan(tooLong, 0, tooLong.length));
  }

  @Test
  void scansWithinTheGivenRange() {
    byte[] bytes = "xx{\"execute\":\"ab\",\"id\":7}yy".getBytes(StandardCharsets.US_ASCII);
    FastRequest scan = new FastRequest();
    assertEquals(25, scan.scan(bytes, 2, bytes.length));
    assertEquals(
        "ab",
        new String(
            bytes, scan.nameStart(), scan.nameEnd() - scan.nameStart(), StandardCharsets.US_ASCII));
    assertEquals("ab".hashCode(), scan.nameHash());
    assertEquals(7, scan.id(bytes).intValue());
    assertEquals(-1, scan.scan(bytes, 2, 24));
    byte[] crlf = "{\"execute\":\"ab\"} \r\n\t\r\n{".getBytes(StandardCharsets.US_ASCII);
    assertEquals(crlf.length - 1, scan.scan(crlf, 0, crlf.length));
  }

  /** Random edits of the shapes above: the scan may reject anything, but never disagree. */
  @Test
  void randomVariantsNeverDisagreeWithTheReader() {
    byte[] alphabet =
        "{}[]:,\"' \t\r\n\f0123456789-+.eE\\aexcutidn\u00e9\u0000\u007f\u00ff\u00fe"
            .getBytes(StandardCharsets.ISO_8859_1);
    List<String> seeds = new ArrayList<>(List.of(ACCEPTED));
    seeds.addAll(List.of(REJECTED));
    Random random = new Random(42);
    int accepted = 0;
    for (int n = 0; n < 200_000; n++) {
      StringBuilder s = new StringBuilder(seeds.get(random.nextInt(seeds.size())));
      if (random.nextBoolean()) {
        s.append(seeds.get(random.nextInt(seeds.size())));
      }
      int edits = random.nextInt(4);
      for (int e = 0; e < edits && s.length() > 0; e++) {
        int at = random.nextInt(s.length());
        char c = (char) (alphabet[random.nextInt(alphabet.length)] & 0xFF);
        switch (random.nextInt(3)) {
          case 0 -> s.insert(at, c);
          case 1 -> s.deleteCharAt(at);
          default -> s.setCharAt(at, c);
        }
      }
      byte[] bytes = s.toString().getBytes(StandardCharsets.ISO_8859_1);
      if (agrees(bytes)) {
        accepted++;
      }
    }
    assertTrue(accepted > 10_000, "too few variants took the fast path: " + accepted);
  }

  /**
   * Fails if the scan accepts {@code bytes} but the reader disagrees; returns whether it accepted.
   */
  private static boolean agrees(byte[] bytes) {
    FastRequest scan = new FastRequest();
    int stop = scan.scan(bytes, 0, bytes.length);
    if (stop < 0) {
      return false;
    }
    String input = new String(bytes, StandardCharsets.ISO_8859_1);
    // The reader, fed everything, pausing after the first event.
    StrictJsonReader reader = new StrictJsonReader();
    assertTrue(reader.betweenMessages());
    List<Object> first = new ArrayList<>();
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    reader.feed(buffer, recorder(first, reader, true));
    assertEquals(1, first.size(), input);
    assertTrue(buffer.position() <= stop, input);
    assertTrue(reader.betweenMessages(), input);
    // the scan also took the whitespace after the request, which the reader skips without a trace
    assertTrue(input.substring(buffer.position(), stop).isBlank(), input);
    assertTrue(input.substring(buffer.position(), stop).matches("[ \t\r\n]*"), input);
    List<Object> nothing = new ArrayList<>();
    reader.feed(
        ByteBuffer.wrap(bytes, buffer.position(), stop - buffer.position()),
        recorder(nothing, reader, false));
    assertEquals(List.of(), nothing, input);
    assertTrue(reader.betweenMessages(), input);
    buffer.position(stop);
    ObjectNode request = (ObjectNode) first.get(0);
    String name =
        new String(
            bytes,
            scan.nameStart(),
            scan.nameEnd() - scan.nameStart(),
            StandardCharsets.ISO_8859_1);
    assertEquals(name, request.get("execute").textValue(), input);
    assertEquals(name.hashCode(), scan.nameHash(), input);
    JsonNode id = request.get("id");
    if (id == null) {
      assertNull(scan.id(bytes), input);
      assertEquals(1, request.size(), input);
    } else {
      assertEquals(id, scan.id(bytes), input);
      assertSame(id.getClass(), scan.id(bytes).getClass(), input);
      assertEquals(2, request.size(), input);
    }
    // What follows: the same events whether or not the reader saw the request.
    List<Object> rest = new ArrayList<>();
    reader.feed(buffer, recorder(rest, reader, false));
    StrictJsonReader skipping = new StrictJsonReader();
    List<Object> restSkipped = new ArrayList<>();
    skipping.feed(
        ByteBuffer.wrap(bytes, stop, bytes.length - stop), recorder(restSkipped, skipping, false));
    assertEquals(rest, restSkipped, input);
    assertFalse(rest.contains(null));
    return true;
  }

  private static QmpReader.Handler recorder(List<Object> events, QmpReader reader, boolean once) {
    return new QmpReader.Handler() {
      @Override
      public void onValue(JsonNode value) {
        events.add(value);
        if (once) {
          reader.pause();
        }
      }

      @Override
      public void onError(QmpProtocolException error) {
        events.add(error.getMessage());
        if (once) {
          reader.pause();
        }
      }
    };
  }
}
