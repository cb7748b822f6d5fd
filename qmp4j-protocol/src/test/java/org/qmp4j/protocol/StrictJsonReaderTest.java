package org.qmp4j.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The strict reader against QEMU 7.2's observed behaviour (reference §2). Every input is fed at
 * every split point. In the tables, {@code \xNN} in an input stands for one raw byte; an expected
 * entry starting with {@code !} is an error text, anything else a JSON value.
 */
class StrictJsonReaderTest {

  private static final String P = "!JSON parse error, ";

  static Stream<Arguments> cases() {
    return Stream.of(
        // Framing
        c("{\"execute\":\"qmp_capabilities\"}", "{\"execute\":\"qmp_capabilities\"}"),
        c("{\"a\":1}{\"b\":2}", "{\"a\":1}", "{\"b\":2}"),
        c("{\"a\":1}garbage\n", "{\"a\":1}", P + "invalid keyword 'garbage'"),
        c("42"),
        c("42 ", "42"),
        c("\"abc\"", "\"abc\""),
        c("[1, 2]", "[1,2]"),
        c("null ", "null"),
        c("true\n", "true"),
        c("}", P + "expecting value"),
        c("]", P + "expecting value"),
        c(":", P + "expecting value"),
        c(",", P + "expecting value"),
        c("{ \"execute\": }", P + "expecting value"),
        // Whitespace
        c(" \t\r\n{}\r\n", "{}"),
        c("\f", P + "stray '\f'"),
        // Single quotes and escapes
        c("{'a':'b'}", "{\"a\":\"b\"}"),
        c("'it\\'s'", "\"it's\""),
        c("\"\\'\"", "\"'\""),
        c("'say \"hi\"'", "\"say \\\"hi\\\"\""),
        c("\"\\/\\\\\\b\\f\\n\\r\\t\"", "\"/\\\\\\b\\f\\n\\r\\t\""),
        c("\"\\u00e9\\u00E9\"", "\"\u00e9\u00e9\""),
        c("\"\\uD83D\\uDE00\"", "\"\uD83D\uDE00\""),
        c("\"\\u0000\"", "\"\\u0000\""),
        c("\"\\x\"", P + "invalid escape sequence in string"),
        c("\"\\ud800\"", P + "\\ud800 is not a valid Unicode character"),
        c("\"\\uffff\"", P + "\\uffff is not a valid Unicode character"),
        c("\"\\u12G4\"", P + "\\u12G4 is not a valid Unicode character"),
        c("\"\\u12\"", P + "\\u12\" is not a valid Unicode character"),
        c("\"\\uD83D\\u0041\"", P + "\\uD83D is not a valid Unicode character"),
        c("\"\\uD83F\\uDFFE\"", P + "\\uD83F\\uDFFE is not a valid Unicode character"),
        c("\"\\uFDD0\"", P + "\\uFDD0 is not a valid Unicode character"),
        // Raw bytes in strings
        c("\"h\u00e9llo \u2603 \uD83D\uDE00\"", "\"h\u00e9llo \u2603 \uD83D\uDE00\""),
        c("\"\\xc0\\x80\"", "\"\\u0000\""),
        c("\"\\xc1\\xbf\"", P + "invalid UTF-8 sequence in string"),
        c("\"\\xed\\xa0\\x80\"", P + "invalid UTF-8 sequence in string"),
        c("\"\\xef\\xbf\\xbf\"", P + "invalid UTF-8 sequence in string"),
        c("\"\\x80\"", P + "invalid UTF-8 sequence in string"),
        c("\"\\xf4\\x90\\x80\\x80\"", P + "invalid UTF-8 sequence in string"),
        c("\"a\tb\"", P + "stray '\"a\t'"),
        c("\"\\x01\"", P + "stray '\"\u0001'"),
        c("\"100%\"", "\"100%\""),
        c("'bad \\xff", P + "stray ''bad \uFFFD'"),
        c("'\n", P + "stray ''\n'"),
        // Literals
        c("nul ", P + "invalid keyword 'nul'"),
        c("True", P + "stray 'T'"),
        c("truex ", P + "invalid keyword 'truex'"),
        c("%", P + "stray '%'"),
        c("@", P + "stray '@'"),
        c("\\x00", P + "stray ''"),
        c("\\xff", P + "stray '\uFFFD'"),
        c("\\xfe", P + "stray '\uFFFD'"),
        c("\\xff\\xff", P + "stray '\uFFFD'", P + "stray '\uFFFD'"),
        c("\"guest-pi\\xff", P + "stray '\"guest-pi\uFFFD'"),
        // Numbers
        c("01", P + "stray '01'"),
        c("-}", P + "stray '-}'"),
        c("1.}", P + "stray '1.}'"),
        c("-} ]", P + "stray '-}'", P + "expecting value"),
        c("+1", P + "stray '+'"),
        c("1e ", P + "stray '1e '"),
        c("1e+ ", P + "stray '1e+ '"),
        c(".5", P + "stray '.'"),
        c("-0 ", "0"),
        c("-0.0 ", "-0.0"),
        c("1E+2 ", "100.0"),
        c("0.1 ", "0.1"),
        // Recovery
        c("@{\"a\":1}", P + "stray '@'", "{\"a\":1}"),
        c("@ \"abc\" {\"a\":1}", P + "stray '@'", "{\"a\":1}"),
        c("{\"id\":01}", P + "stray '01'", P + "expecting value"),
        c("@abc\\x01{}", P + "stray '@'", P + "stray '\u0001'", "{}"),
        c("@abc\\xff{}", P + "stray '@'", P + "stray '\uFFFD'", "{}"),
        c("{\"execute\":\\xff{\"a\":1}", P + "stray '\uFFFD'", "{\"a\":1}"),
        c("@\t]", P + "stray '@'", P + "expecting value"),
        // Parser errors
        c("{\"a\" 1}", P + "missing : in object pair"),
        c("{\"a\":1 \"b\":2}", P + "expected separator in dict"),
        c("[1 2]", P + "expected separator in list"),
        c("{1:2}", P + "key is not a string in object"),
        c("{true:2}", P + "key is not a string in object"),
        c("{nul:2}", P + "invalid keyword 'nul'"),
        c("{{\"a\":1}:2}", P + "key is not a string in object"),
        c("{{\"a\" 1}:2}", P + "missing : in object pair"),
        c("{\"a\":1,\"a\":2}", P + "duplicate key"),
        c("{\"a\":1,\"a\":[1 2]}", P + "expected separator in list"),
        c("{,}", P + "expecting value"),
        c("[1,]", P + "expecting value"),
        c("[,1]", P + "expecting value"),
        c("{\"a\":1,}", P + "expecting value"),
        c("{]", P + "expecting value"),
        c("[}", P + "expecting value"),
        c("{\"a\":[}]", P + "expecting value"),
        c("[[]]]", "[[]]", P + "expecting value"),
        c("{}}", "{}", P + "expecting value"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("cases")
  void matchesQemu(String input, List<String> expected) {
    List<Object> got = ReaderHarness.readAllWays(QmpReader::strict, bytes(input));
    assertEquals(render(expected), render2(got), "input " + input);
  }

  @Test
  void integersAreInt64ThenUint64ThenDouble() {
    assertEquals(
        List.of(
            LongNode.valueOf(Long.MAX_VALUE),
            LongNode.valueOf(Long.MIN_VALUE),
            BigIntegerNode.valueOf(new BigInteger("18446744073709551615")),
            DoubleNode.valueOf(1.8446744073709552e19),
            DoubleNode.valueOf(-9.2233720368547758e18),
            IntNode.valueOf(7),
            DoubleNode.valueOf(Double.POSITIVE_INFINITY)),
        read(
            "9223372036854775807 -9223372036854775808 18446744073709551615"
                + " 18446744073709551616 -9223372036854775809 7 1e400 "));
  }

  @Test
  void nestingOf1024IsAcceptedAnd1025Rejected() {
    List<Object> ok = read("[".repeat(1024) + "]".repeat(1024));
    assertEquals(1, ok.size());
    assertTrue(ok.get(0) instanceof JsonNode);

    List<Object> bad = read("[".repeat(1025) + "]".repeat(1025));
    assertEquals(1 + 1025, bad.size());
    assertEquals(err("JSON nesting depth limit exceeded"), bad.get(0));
    for (int i = 1; i < bad.size(); i++) {
      assertEquals(err("JSON parse error, expecting value"), bad.get(i));
    }
  }

  @Test
  void tokenCountLimit() {
    // 2,097,152 tokens are allowed in one message; the next one is rejected.
    int elements = (2 << 20) / 2; // '[' plus "1," pairs
    StringBuilder sb = new StringBuilder(4 * elements);
    sb.append('[');
    for (int i = 0; i < elements; i++) {
      sb.append("1,");
    }
    sb.append("1]");
    List<Object> got = read(sb.toString());
    assertEquals(err("JSON token count limit exceeded"), got.get(0));
    // The rest is read as new messages: "1", then ",", ... until the final "1]".
    assertEquals(err("JSON parse error, expecting value"), got.get(got.size() - 1));
  }

  @Test
  void tokenSizeLimitFlushesAnOverlongString() {
    int max = 64 << 20;
    ByteArrayOutputStream out = new ByteArrayOutputStream(max + 64);
    out.write('"');
    byte[] as = new byte[1 << 20];
    java.util.Arrays.fill(as, (byte) 'a');
    for (int i = 0; i < 64; i++) {
      out.write(as, 0, as.length);
    }
    // Now the token is 64 MiB + 1 bytes: QEMU flushes it and reads on from the start state.
    out.writeBytes("bc {}".getBytes(StandardCharsets.US_ASCII));
    List<Object> got = ReaderHarness.readOnce(QmpReader.strict(), out.toByteArray());
    assertEquals(
        List.of(
            err("JSON token size limit exceeded"),
            err("JSON parse error, invalid keyword 'bc'"),
            ReaderHarness.json("{}")),
        got);
  }

  @Test
  void pauseStopsRightAfterTheDeliveredMessage() {
    byte[] input = bytes("{\"a\":1}{\"b\":2}@{} 7 8 ");
    QmpReader reader = QmpReader.strict();
    List<Object> seen = new ArrayList<>();
    QmpReader.Handler pausing =
        new QmpReader.Handler() {
          @Override
          public void onValue(JsonNode value) {
            seen.add(value);
            reader.pause();
          }

          @Override
          public void onError(QmpProtocolException error) {
            seen.add(error.getMessage());
            reader.pause();
          }
        };
    List<Integer> stops = new ArrayList<>();
    java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(input);
    while (buffer.hasRemaining()) {
      reader.feed(buffer, pausing);
      stops.add(buffer.position());
    }
    assertEquals(
        List.of(
            ReaderHarness.json("{\"a\":1}"),
            ReaderHarness.json("{\"b\":2}"),
            "JSON parse error, stray '@'",
            ReaderHarness.json("{}"),
            ReaderHarness.json("7"),
            ReaderHarness.json("8")),
        seen);
    // A number ends on the byte after it, which stays unread.
    assertEquals(List.of(7, 14, 15, 17, 19, 21, 22), stops);
  }

  @Test
  void longInvalidKeywordIsTruncatedLikeQemusMessageBuffer() {
    String kw = "x".repeat(5000);
    List<Object> got = read(kw + " ");
    String expected = "JSON parse error, " + ("invalid keyword '" + kw).substring(0, 1023);
    assertEquals(List.of(err(expected)), got);
  }

  private static List<Object> read(String input) {
    return ReaderHarness.readOnce(QmpReader.strict(), bytes(input));
  }

  private static ReaderHarness.Error err(String message) {
    return ReaderHarness.error(JsonSyntaxException.class, message);
  }

  private static Arguments c(String input, String... expected) {
    return Arguments.of(input, List.of(expected));
  }

  /** UTF-8 of the input, where the four characters {@code \xNN} stand for one raw byte. */
  static byte[] bytes(String input) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] utf8 = input.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < utf8.length; i++) {
      if (utf8[i] == '\\'
          && i + 3 < utf8.length
          && utf8[i + 1] == 'x'
          && isHex(utf8[i + 2])
          && isHex(utf8[i + 3])) {
        out.write(Integer.parseInt(new String(utf8, i + 2, 2, StandardCharsets.US_ASCII), 16));
        i += 3;
      } else {
        out.write(utf8[i]);
      }
    }
    return out.toByteArray();
  }

  private static boolean isHex(byte b) {
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
  }

  private static List<String> render(List<String> expected) {
    List<String> out = new ArrayList<>();
    for (String e : expected) {
      out.add(e.startsWith("!") ? e : "=" + ReaderHarness.json(e));
    }
    return out;
  }

  private static List<String> render2(List<Object> got) {
    List<String> out = new ArrayList<>();
    for (Object o : got) {
      if (o instanceof ReaderHarness.Error e) {
        assertEquals(JsonSyntaxException.class, e.type());
        out.add("!" + e.message());
      } else {
        out.add("=" + o);
      }
    }
    return out;
  }
}
