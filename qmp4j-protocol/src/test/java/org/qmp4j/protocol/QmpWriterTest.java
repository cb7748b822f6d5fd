package org.qmp4j.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QmpWriterTest {
  private static final JsonNodeFactory NODES = QmpJson.nodeFactory();

  private static final String NOT_FOUND_ERROR =
      "\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope has not been found\"}";

  // ---------------------------------------------------------------- against real QEMU 7.2

  /**
   * QEMU's compact output, parsed (keeping QEMU's member order) and written again, must give QEMU's
   * compact and pretty bytes exactly.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "greeting",
        "qmp_capabilities",
        "query-status",
        "query-version",
        "error",
        "empties",
        "strings"
      })
  void rewritesQemuOutputByteForByte(String capture) throws IOException {
    byte[] compact = resource("compact/" + capture + ".bin");
    byte[] pretty = resource("pretty/" + capture + ".bin");
    JsonNode value = QmpJson.parse(compact, 0, compact.length);

    assertBytes(compact, QmpWriter.compact().writeMessage(value));
    assertBytes(pretty, QmpWriter.pretty().writeMessage(value));
  }

  /** A reply and an event in one capture: each message rewritten alone. */
  @Test
  void rewritesQemuEventAndReply() throws IOException {
    for (String style : List.of("compact", "pretty")) {
      byte[] capture = resource(style + "/reset-event.bin");
      List<Object> values = ReaderHarness.readOnce(QmpReader.liberal(), capture);
      assertEquals(2, values.size());
      QmpWriter writer = style.equals("pretty") ? QmpWriter.pretty() : QmpWriter.compact();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (Object value : values) {
        writer.writeMessage((JsonNode) value, out);
      }
      assertBytes(capture, out.toByteArray());
    }
  }

  /** The numbers QEMU echoed back, written from the values as the request carried them. */
  @Test
  void writesNumbersAsQemuDoes() throws IOException {
    String request =
        "[0.1,1.0,-0.0,-0,1e300,2.5e-5,1E+2,1e400,-1e400,18446744073709551615,"
            + "18446744073709551616,-9223372036854775809,9223372036854775807,"
            + "-9223372036854775808,5e-324,1.7976931348623157e308,123456.789,1e16,1e17,"
            + "0.0001,0.00001]";
    JsonNode id = QmpJson.parse(request);
    for (String style : List.of("compact", "pretty")) {
      QmpWriter writer = style.equals("pretty") ? QmpWriter.pretty() : QmpWriter.compact();
      QmpErrorReply reply =
          new QmpErrorReply("CommandNotFound", "The command nope has not been found", id);
      assertBytes(resource(style + "/numbers.bin"), writer.writeMessage(reply.toJson()));
    }
  }

  /**
   * Values built in reverse of QEMU's output order come out in QEMU's order with {@link
   * QmpWriter.MemberOrder#QEMU}. (Reversed, because within one hash bucket QEMU yields the member
   * inserted last first: reversing its output gives back its insertion order for those.)
   */
  @ParameterizedTest
  @ValueSource(
      strings = {"greeting", "query-status", "query-version", "error", "empties", "reset-event"})
  void qemuMemberOrderMatchesQdict(String capture) throws IOException {
    byte[] compact = resource("compact/" + capture + ".bin");
    JsonNode first = (JsonNode) ReaderHarness.readOnce(QmpReader.liberal(), compact).get(0);
    byte[] expected = Arrays.copyOf(compact, QmpWriter.compact().writeMessage(first).length);
    JsonNode reversed = reverseMembers(first);

    QmpWriter.MemberOrder qemu = QmpWriter.MemberOrder.QEMU;
    assertBytes(expected, QmpWriter.compact().withMemberOrder(qemu).writeMessage(reversed));
    assertBytes(
        QmpWriter.pretty().writeMessage(first),
        QmpWriter.pretty().withMemberOrder(qemu).writeMessage(reversed));
    assertFalse(Arrays.equals(expected, QmpWriter.compact().writeMessage(reversed)));
  }

  @Test
  void qdictBucketsMatchTheReference() {
    // Buckets quoted in the QEMU reference (section 2.6).
    assertEquals(162, org.qmp4j.protocol.internal.QdictOrder.bucket("exec-oob"));
    assertEquals(299, org.qmp4j.protocol.internal.QdictOrder.bucket("execute"));
    assertEquals(490, org.qmp4j.protocol.internal.QdictOrder.bucket("foo"));
    assertEquals(233, org.qmp4j.protocol.internal.QdictOrder.bucket("a"));
  }

  @Test
  void qemuOrderPutsTheLaterMemberFirstWithinABucket() {
    // Find two keys that share a bucket.
    String a = "k0";
    String b = null;
    for (int i = 1; b == null; i++) {
      if (org.qmp4j.protocol.internal.QdictOrder.bucket("k" + i)
          == org.qmp4j.protocol.internal.QdictOrder.bucket(a)) {
        b = "k" + i;
      }
    }
    ObjectNode object = QmpJson.objectNode();
    object.put(a, 1);
    object.put(b, 2);
    QmpWriter writer = QmpWriter.compact().withMemberOrder(QmpWriter.MemberOrder.QEMU);
    assertEquals("{\"" + b + "\": 2, \"" + a + "\": 1}", writer.toJson(object));
  }

  @Test
  void memberNamesOfRepeatedAndCollidingKeysStayExact() {
    // The writer caches member names (their bucket and written form) by String.hashCode: equal
    // keys in other String instances, keys whose cache slots collide, and keys too long to cache
    // all get QEMU's bucket and their own bytes.
    QmpWriter qemu = QmpWriter.compact().withMemberOrder(QmpWriter.MemberOrder.QEMU);
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      keys.add("k" + i);
      keys.add("member-" + Integer.toHexString(i * 7919));
    }
    keys.add("x".repeat(200));
    keys.add("Aa"); // same hashCode as "BB"
    keys.add("BB");
    for (int round = 0; round < 2; round++) {
      for (String key : keys) {
        String copy = new String(key.toCharArray());
        assertEquals(
            referenceBucket(key), org.qmp4j.protocol.internal.QdictOrder.bucket(copy), key);
        ObjectNode pair = QmpJson.objectNode().put(copy, 1).put("k0", 2);
        String expected =
            referenceBucket(key) < referenceBucket("k0")
                ? "{\"" + key + "\": 1, \"k0\": 2}"
                : "{\"k0\": 2, \"" + key + "\": 1}";
        assertEquals(key.equals("k0") ? "{\"k0\": 2}" : expected, qemu.toJson(pair));
      }
    }
  }

  /** QEMU's tdb_hash modulo 512 of an ASCII key, written out independently of QdictOrder. */
  private static int referenceBucket(String key) {
    byte[] b = key.getBytes(StandardCharsets.US_ASCII);
    int value = 0x238F13AF * b.length;
    for (int i = 0; i < b.length; i++) {
      value += (b[i] & 0xFF) << (i * 5 % 24);
    }
    return Integer.remainderUnsigned(1103515243 * value + 12345, 512);
  }

  @Test
  void qemuOrderOfNestedAndLargeObjectsMatchesTheSortedMembers() {
    ObjectNode root = QmpJson.objectNode();
    for (int i = 0; i < 300; i++) {
      ObjectNode child = root.putObject("c" + i);
      for (int j = 0; j < i % 7; j++) {
        child.put("m" + (j * 31 + i), j);
        if (j == 3) {
          child.putObject("inner").put("z", 1).put("y", 2).putArray("a").addObject().put("q", 1);
        }
      }
    }
    QmpWriter qemu = QmpWriter.compact().withMemberOrder(QmpWriter.MemberOrder.QEMU);
    for (QmpWriter insertion : List.of(QmpWriter.compact(), QmpWriter.pretty())) {
      QmpWriter ordered = insertion.withMemberOrder(QmpWriter.MemberOrder.QEMU);
      assertBytes(insertion.writeMessage(qdictSorted(root)), ordered.writeMessage(root));
    }
    QmpWriter.Buffer buffer = new QmpWriter.Buffer();
    qemu.writeMessage(root, buffer);
    qemu.writeMessage(root, buffer);
    assertBytes(concat(qemu.writeMessage(root), qemu.writeMessage(root)), buffer.toByteArray());
  }

  /** A deep copy with every object's members inserted in QDict order (the reference sort). */
  private static JsonNode qdictSorted(JsonNode node) {
    if (node.isObject()) {
      List<Map.Entry<String, JsonNode>> members = new ArrayList<>();
      node.fields().forEachRemaining(members::add);
      ObjectNode copy = QmpJson.objectNode();
      for (Map.Entry<String, JsonNode> member :
          org.qmp4j.protocol.internal.QdictOrder.sort(members, Map.Entry::getKey)) {
        copy.set(member.getKey(), qdictSorted(member.getValue()));
      }
      return copy;
    }
    if (node.isArray()) {
      ArrayNode copy = QmpJson.arrayNode();
      node.forEach(element -> copy.add(qdictSorted(element)));
      return copy;
    }
    return node;
  }

  @Test
  void writeReturnIsTheReplyObjectsBytes() {
    List<JsonNode> values =
        Arrays.asList(
            null,
            QmpJson.objectNode(),
            QmpJson.parse("{\"status\": \"prelaunch\", \"singlestep\": false, \"running\": false}"),
            QmpJson.parse("[1, {\"b\": 2, \"a\": [], \"c\": {}}]"),
            NODES.textNode("x\u00e9"));
    List<JsonNode> ids =
        Arrays.asList(
            null,
            NODES.numberNode(7),
            NODES.textNode("a\"b"),
            QmpJson.parse("{\"y\": 1, \"x\": [2]}"));
    List<QmpWriter> writers = new ArrayList<>();
    for (QmpWriter w : List.of(QmpWriter.compact(), QmpWriter.pretty(), QmpWriter.guestAgent())) {
      writers.add(w);
      writers.add(w.withMemberOrder(QmpWriter.MemberOrder.QEMU));
    }
    for (QmpWriter writer : writers) {
      for (JsonNode value : values) {
        for (JsonNode id : ids) {
          ObjectNode reply = QmpJson.objectNode();
          reply.set("return", value == null ? QmpJson.objectNode() : value);
          if (id != null) {
            reply.set("id", id);
          }
          QmpWriter.Buffer buffer = new QmpWriter.Buffer();
          writer.writeReturn(value, id, buffer);
          assertBytes(writer.writeMessage(reply), buffer.toByteArray());
        }
      }
    }
    QmpWriter.Buffer buffer = new QmpWriter.Buffer();
    QmpWriter.compact().withMemberOrder(QmpWriter.MemberOrder.QEMU).writeReturn(null, null, buffer);
    assertEquals("{\"return\": {}}\r\n", buffer.toString());
  }

  @Test
  void guestAgentDialectMatchesQemuGa() throws IOException {
    byte[] session = resource("qga-session.bin");
    List<Object> values = ReaderHarness.readOnce(QmpReader.liberal(), session);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Object value : values) {
      if (value == ReaderHarness.SYNC) {
        out.write(0xFF);
      } else {
        QmpWriter.guestAgent().writeMessage((JsonNode) value, out);
      }
    }
    assertBytes(session, out.toByteArray());
  }

  // ---------------------------------------------------------------- layout

  @Test
  void compactLayout() {
    JsonNode value = QmpJson.parse("{\"a\": [1, {}, [], {\"b\": null}], \"c\": true}");
    assertEquals(
        "{\"a\": [1, {}, [], {\"b\": null}], \"c\": true}", QmpWriter.compact().toJson(value));
    assertEquals("{}", QmpWriter.compact().toJson(QmpJson.objectNode()));
    assertEquals("[]", QmpWriter.compact().toJson(QmpJson.arrayNode()));
    assertEquals("\"x\"", QmpWriter.compact().toJson(NODES.textNode("x")));
  }

  @Test
  void prettyLayoutOfEmptyContainers() {
    assertEquals("{\r\n}", QmpWriter.pretty().toJson(QmpJson.objectNode()));
    assertEquals("[\r\n]", QmpWriter.pretty().toJson(QmpJson.arrayNode()));
    assertEquals("{\r\n}\r\n", ascii(QmpWriter.pretty().writeMessage(QmpJson.objectNode())));
    JsonNode nested = QmpJson.parse("[[], {}]");
    assertEquals("[\r\n    [\r\n    ],\r\n    {\r\n    }\r\n]", QmpWriter.pretty().toJson(nested));
  }

  @Test
  void guestAgentPrettyUsesLf() {
    QmpWriter writer = QmpWriter.of(QmpWriter.Style.PRETTY, QmpWriter.Dialect.GUEST_AGENT);
    assertEquals(
        "{\n    \"a\": [\n        1\n    ]\n}\n",
        ascii(writer.writeMessage(QmpJson.parse("{\"a\": [1]}"))));
  }

  @Test
  void terminators() {
    JsonNode value = QmpJson.parse("{\"return\": {}}");
    assertEquals("{\"return\": {}}\r\n", ascii(QmpWriter.compact().writeMessage(value)));
    assertEquals("{\"return\": {}}\n", ascii(QmpWriter.guestAgent().writeMessage(value)));
    assertEquals("{\"return\": {}}", QmpWriter.compact().toJson(value));
  }

  @Test
  void factoriesAndAccessors() {
    assertSame(QmpWriter.compact(), QmpWriter.compact());
    assertEquals(QmpWriter.Style.PRETTY, QmpWriter.pretty().style());
    assertEquals(QmpWriter.Dialect.GUEST_AGENT, QmpWriter.guestAgent().dialect());
    assertEquals(QmpWriter.MemberOrder.INSERTION, QmpWriter.compact().memberOrder());
    QmpWriter qemu = QmpWriter.pretty().withMemberOrder(QmpWriter.MemberOrder.QEMU);
    assertEquals(QmpWriter.MemberOrder.QEMU, qemu.memberOrder());
    assertEquals(QmpWriter.Style.PRETTY, qemu.style());
  }

  // ---------------------------------------------------------------- strings

  @Test
  void escapes() {
    assertEquals(
        "\"q\\\" b\\\\ \\b\\f\\n\\r\\t / \\u0000\\u0001\\u001F ~\\u007F\\u0080\\u00E9\\u2603\"",
        str("q\" b\\ \b\f\n\r\t / \u0000\u0001\u001f ~\u007f\u0080\u00e9\u2603"));
  }

  @Test
  void supplementaryCodePointsBecomeUpperCaseSurrogatePairs() {
    assertEquals("\"\\uD83D\\uDE00\"", str("\uD83D\uDE00"));
    assertEquals("\"\\uDBFF\\uDFFD\"", str(new String(Character.toChars(0x10FFFD))));
  }

  @Test
  void invalidCodePointsBecomeReplacementCharacters() {
    assertEquals("\"a\\uFFFDb\"", str("a\uD800b"), "lone high surrogate");
    assertEquals("\"a\\uFFFDb\"", str("a\uDC00b"), "lone low surrogate");
    assertEquals("\"\\uFFFD\"", str("\uD800"), "high surrogate at the end");
    assertEquals("\"\\uFFFD\\uFFFD\"", str("\uDC00\uD800"), "pair in the wrong order");
    assertEquals("\"\\uFFFD\\uFFFD\"", str("\uFFFE\uFFFF"), "BMP noncharacters");
    assertEquals("\"\\uFFFD\"", str("\uFDD0"), "noncharacter block");
    assertEquals("\"\\uFDCF\\uFDF0\"", str("\uFDCF\uFDF0"), "just outside the block");
    assertEquals(
        "\"\\uFFFD\"", str(new String(Character.toChars(0x1FFFF))), "supplementary noncharacter");
    assertEquals("\"\\uFFFD\"", str(new String(Character.toChars(0x10FFFF))));
  }

  @Test
  void keysAreEscapedToo() {
    ObjectNode object = QmpJson.objectNode();
    object.put("k\u00e9\"", 1);
    assertEquals("{\"k\\u00E9\\\"\": 1}", QmpWriter.compact().toJson(object));
  }

  @Test
  void longStringsWithManyEscapes() {
    StringBuilder sb = new StringBuilder();
    StringBuilder expected = new StringBuilder("\"");
    for (int i = 0; i < 20000; i++) {
      sb.append("\u2603a\uD83D\uDE00");
      expected.append("\\u2603a\\uD83D\\uDE00");
    }
    assertEquals(expected.append('"').toString(), str(sb.toString()));
  }

  // ---------------------------------------------------------------- numbers

  @Test
  void integers() {
    assertEquals("0", num(NODES.numberNode(0)));
    assertEquals("-7", num(NODES.numberNode((short) -7)));
    assertEquals("2147483647", num(NODES.numberNode(Integer.MAX_VALUE)));
    assertEquals("-9223372036854775808", num(NODES.numberNode(Long.MIN_VALUE)));
    assertEquals("9223372036854775807", num(NODES.numberNode(Long.MAX_VALUE)));
    assertEquals("-1234567890123", num(NODES.numberNode(-1234567890123L)));
  }

  @Test
  void bigIntegersInsideUint64AndInt64AreIntegers() {
    BigInteger two64 = BigInteger.ONE.shiftLeft(64);
    assertEquals("18446744073709551615", num(NODES.numberNode(two64.subtract(BigInteger.ONE))));
    assertEquals("9223372036854775808", num(NODES.numberNode(BigInteger.ONE.shiftLeft(63))));
    assertEquals(
        "-9223372036854775808", num(NODES.numberNode(BigInteger.ONE.shiftLeft(63).negate())));
    assertEquals("5", num(NODES.numberNode(BigInteger.valueOf(5))));
  }

  @Test
  void bigIntegersOutsideBecomeDoubles() {
    BigInteger two64 = BigInteger.ONE.shiftLeft(64);
    assertEquals("1.8446744073709552e+19", num(NODES.numberNode(two64)));
    assertEquals(
        "-9.2233720368547758e+18",
        num(NODES.numberNode(BigInteger.ONE.shiftLeft(63).negate().subtract(BigInteger.ONE))));
    assertEquals("1e+40", num(NODES.numberNode(BigInteger.TEN.pow(40))));
    assertEquals("inf", num(NODES.numberNode(BigInteger.TEN.pow(400))));
  }

  @Test
  void doublesFloatsAndDecimals() {
    assertEquals("0.10000000000000001", num(NODES.numberNode(0.1)));
    assertEquals("1", num(NODES.numberNode(1.0)));
    assertEquals("-0", num(NODES.numberNode(-0.0)));
    assertEquals("1.0000000000000001e+300", num(NODES.numberNode(1e300)));
    assertEquals("2.5000000000000001e-05", num(NODES.numberNode(2.5e-5)));
    assertEquals("inf", num(NODES.numberNode(Double.POSITIVE_INFINITY)));
    assertEquals("-inf", num(NODES.numberNode(Double.NEGATIVE_INFINITY)));
    assertEquals("nan", num(NODES.numberNode(Double.NaN)));
    assertEquals("0.10000000149011612", num(NODES.numberNode(0.1f)));
    assertEquals("0.10000000000000001", num(NODES.numberNode(new BigDecimal("0.1"))));
    assertEquals("inf", num(NODES.numberNode(new BigDecimal("1e400"))));
    assertEquals("100", num(NODES.numberNode(new BigDecimal("1E+2"))));
  }

  // ---------------------------------------------------------------- outputs and misuse

  @Test
  void buffersAreReusableAndAppend() throws IOException {
    QmpWriter.Buffer buffer = new QmpWriter.Buffer(16);
    JsonNode big = QmpJson.parse("{\"return\": [" + "1, ".repeat(1000) + "2]}");
    QmpWriter.compact().writeMessage(big, buffer);
    QmpWriter.compact().writeMessage(QmpJson.parse("{}"), buffer);
    byte[] expected = concat(QmpWriter.compact().writeMessage(big), "{}\r\n".getBytes());
    assertArrayEquals(expected, buffer.toByteArray());
    assertEquals(expected.length, buffer.length());
    assertEquals(expected.length, buffer.asByteBuffer().remaining());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    buffer.writeTo(out);
    assertArrayEquals(expected, out.toByteArray());

    buffer.clear();
    QmpWriter.compact().write(NODES.numberNode(3), buffer);
    assertEquals("3", buffer.toString());
  }

  // ---------------------------------------------------------------- dense (requests)

  @Test
  void requestWriterIsDenseAndEndsInLf() {
    ObjectNode request = NODES.objectNode();
    request.put("execute", "query-status");
    request.put("id", 7);
    assertBytes(
        "{\"execute\":\"query-status\",\"id\":7}\n".getBytes(StandardCharsets.US_ASCII),
        QmpWriter.request().writeMessage(request));
    assertEquals(QmpWriter.Style.DENSE, QmpWriter.request().style());
  }

  @Test
  void denseKeepsWhitespaceInsideStringsOnly() {
    ObjectNode args = NODES.objectNode();
    args.put("command-line", "info block , : \" x");
    args.set("list", NODES.arrayNode().add(1).add(NODES.objectNode()).add(NODES.arrayNode()));
    args.putObject("nested").put("a", true).putNull("b");
    ObjectNode request = NODES.objectNode();
    request.put("execute", "human-monitor-command");
    request.set("arguments", args);
    assertEquals(
        "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":"
            + "\"info block , : \\\" x\",\"list\":[1,{},[]],\"nested\":{\"a\":true,\"b\":null}}}\n",
        new String(QmpWriter.request().writeMessage(request), StandardCharsets.US_ASCII));
  }

  /** For every capture of QEMU's output: no whitespace outside strings, and the same value back. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "greeting",
        "qmp_capabilities",
        "query-status",
        "query-version",
        "error",
        "empties",
        "strings"
      })
  void denseIsCompactWithoutWhitespace(String capture) throws IOException {
    byte[] compact = resource("compact/" + capture + ".bin");
    JsonNode value = QmpJson.parse(compact, 0, compact.length);
    for (QmpWriter.MemberOrder order : QmpWriter.MemberOrder.values()) {
      byte[] dense = QmpWriter.request().withMemberOrder(order).writeMessage(value);
      byte[] spaced =
          QmpWriter.of(QmpWriter.Style.COMPACT, QmpWriter.Dialect.GUEST_AGENT)
              .withMemberOrder(order)
              .writeMessage(value);
      assertEquals(
          withoutWhitespaceOutsideStrings(spaced), new String(dense, StandardCharsets.US_ASCII));
      assertEquals(value, QmpJson.parse(dense, 0, dense.length));
    }
  }

  private static String withoutWhitespaceOutsideStrings(byte[] json) {
    StringBuilder out = new StringBuilder();
    boolean inString = false;
    for (int i = 0; i < json.length; i++) {
      char c = (char) json[i];
      if (inString) {
        out.append(c);
        if (c == '\\') {
          out.append((char) json[++i]);
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
        out.append(c);
      } else if (c != ' ' || i == json.length - 1) {
        out.append(c);
      }
    }
    return out.toString();
  }

  @Test
  void failedWriteDoesNotPoisonTheThreadsBuffer() {
    ArrayNode bad = QmpJson.arrayNode();
    bad.add(1);
    bad.add(MissingNode.getInstance());
    assertThrows(IllegalArgumentException.class, () -> QmpWriter.compact().writeMessage(bad));
    assertEquals("[1]", QmpWriter.compact().toJson(QmpJson.parse("[1]")));
  }

  @Test
  void pojoAndBinaryNodes() {
    ObjectNode object = QmpJson.objectNode();
    object.putPOJO("p", Map.of("x", 1));
    object.put("b", new byte[] {1, 2, 3});
    assertEquals("{\"p\": {\"x\": 1}, \"b\": \"AQID\"}", QmpWriter.compact().toJson(object));
  }

  @Test
  void largeValuesRoundTrip() {
    ArrayNode array = QmpJson.arrayNode();
    for (int i = 0; i < 10_000; i++) {
      array.addObject().put("name", "item-" + i).put("value", i + 0.25);
    }
    byte[] bytes = QmpWriter.pretty().writeMessage(array);
    assertTrue(array.equals(QmpJson.parse(bytes, 0, bytes.length)), "round trip differs");
  }

  // ---------------------------------------------------------------- helpers

  private static String str(String s) {
    return QmpWriter.compact().toJson(NODES.textNode(s));
  }

  private static String num(JsonNode n) {
    return QmpWriter.compact().toJson(n);
  }

  private static String ascii(byte[] bytes) {
    return new String(bytes, StandardCharsets.US_ASCII);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  static byte[] resource(String name) throws IOException {
    try (InputStream in =
        QmpWriterTest.class.getResourceAsStream("/org/qmp4j/protocol/qemu-7.2/" + name)) {
      if (in == null) {
        throw new IOException("missing test resource " + name);
      }
      return in.readAllBytes();
    }
  }

  private static void assertBytes(byte[] expected, byte[] actual) {
    assertEquals(ascii(expected), ascii(actual));
    assertArrayEquals(expected, actual);
  }

  /** A deep copy with every object's members in reverse order. */
  private static JsonNode reverseMembers(JsonNode node) {
    if (node.isObject()) {
      List<Map.Entry<String, JsonNode>> members = new ArrayList<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        members.add(it.next());
      }
      Collections.reverse(members);
      ObjectNode copy = QmpJson.objectNode();
      for (Map.Entry<String, JsonNode> member : members) {
        copy.set(member.getKey(), reverseMembers(member.getValue()));
      }
      return copy;
    }
    if (node.isArray()) {
      ArrayNode copy = QmpJson.arrayNode();
      node.forEach(element -> copy.add(reverseMembers(element)));
      return copy;
    }
    return node;
  }
}
