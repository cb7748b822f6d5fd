package org.qmp4j.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.qmp4j.protocol.QmpProtocolException;
import org.qmp4j.protocol.QmpReader;

/**
 * The client's fast reply path must report exactly what the liberal reader alone reports, for any
 * input and any way the input is split into reads.
 */
class ReplyReaderTest {

  private static final String[] INPUTS = {
    "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true},"
        + " \"id\": \"qmp4j-1\"}\r\n",
    "{\"return\": {}, \"id\": \"qmp4j-2\"}\r\n{\"return\": [], \"id\": \"qmp4j-3\"}\r\n",
    "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 123456}}\r\n",
    "{\"return\": [1, -2, 2147483647, -2147483648, 2147483648, -9223372036854775807, 0],"
        + " \"id\": \"a\"}\n",
    "{\"return\": 12345678901234567890, \"id\": \"big\"}\n",
    "{\"return\": 1.5e3, \"id\": \"float\"}\n{\"return\": -0, \"id\": \"mz\"}\n",
    "{\"return\": \"caf\u00e9 \\\"q\\\" \\u0041\", \"id\": \"esc\"}\n",
    "{\"a\": 1, \"a\": 2}\n",
    "{\"return\": null, \"x\": [true, false, null, [[{}]]], \"id\": \"lit\"}\n",
    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}, \"id\": \"e\"}\r\n",
    "garbage {\"return\": {}, \"id\": \"after\"}\n",
    "{\"bad\": tru}\n{\"return\": {}, \"id\": \"ok\"}\n",
    "{\"x\": 01}\n{\"y\": 1,}\n{\"z\" 1}\n[1, 2]\n\"str\"\n42 {\"n\": 1}\n",
    "{\"half\": \u00ff{\"return\": {}, \"id\": \"sync\"}\n",
    "{\"nul\": \"a\u0000b\"}\n}{\"return\": {}, \"id\": \"stray\"}\n",
    "   \r\n\t{ \"s\" : { \"t\" : [ 1 , 2 ] } , \"id\" : \"ws\" }   \n",
    "{\"deep\": " + "[".repeat(100) + "]".repeat(100) + "}\n",
    "{\"str\": \"{not [a \\\\\"container}\"}\n",
  };

  @Test
  void reportsWhatTheLiberalReaderReports() {
    Random random = new Random(42);
    for (String input : INPUTS) {
      byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
      if (input.indexOf('\u00e9') >= 0) {
        bytes = input.getBytes(StandardCharsets.UTF_8);
      }
      List<String> expected = run(bytes, new int[] {bytes.length}, false);
      assertEquals(expected, run(bytes, new int[] {bytes.length}, true), input);
      for (int trial = 0; trial < 50; trial++) {
        int[] splits = randomSplits(bytes.length, random);
        assertEquals(expected, run(bytes, splits, true), input + " split " + trial);
      }
      for (int at = 1; at < bytes.length; at++) {
        assertEquals(expected, run(bytes, new int[] {at, bytes.length - at}, true), input + at);
      }
    }
  }

  @Test
  void allInputsInOneStream() {
    StringBuilder all = new StringBuilder();
    for (String input : INPUTS) {
      if (input.indexOf('\u00e9') < 0) {
        all.append(input);
      }
    }
    byte[] bytes = all.toString().getBytes(StandardCharsets.ISO_8859_1);
    List<String> expected = run(bytes, new int[] {bytes.length}, false);
    Random random = new Random(7);
    for (int trial = 0; trial < 200; trial++) {
      assertEquals(expected, run(bytes, randomSplits(bytes.length, random), true));
    }
  }

  @Test
  void numbersAreTheNodesJacksonMakes() {
    byte[] bytes =
        "{\"i\": 2147483647, \"l\": 2147483648, \"n\": -2147483649}\n"
            .getBytes(StandardCharsets.US_ASCII);
    List<JsonNode> values = new ArrayList<>();
    reader(true).feed(ByteBuffer.wrap(bytes), handler(values, new ArrayList<>()));
    assertInstanceOf(IntNode.class, values.get(0).get("i"));
    assertInstanceOf(LongNode.class, values.get(0).get("l"));
    assertInstanceOf(LongNode.class, values.get(0).get("n"));
  }

  @Test
  void aMessageAboveTheLimitIsRefused() {
    byte[] bytes =
        "{\"return\": \"0123456789\", \"id\": \"x\"}\n{\"return\": 1, \"id\": \"y\"}\n"
            .getBytes(StandardCharsets.US_ASCII);
    List<String> expected = new ArrayList<>();
    QmpReader.Handler h = recorder(expected);
    new ReplyReader(QmpReader.liberal(30), 30, 16, false).feed(ByteBuffer.wrap(bytes), h);
    List<String> actual = new ArrayList<>();
    new ReplyReader(QmpReader.liberal(30), 30, 16, true)
        .feed(ByteBuffer.wrap(bytes), recorder(actual));
    assertEquals(expected, actual);
    assertEquals(2, actual.size());
    assertEquals(true, actual.get(0).startsWith("error"));
  }

  private static int[] randomSplits(int length, Random random) {
    List<Integer> parts = new ArrayList<>();
    int left = length;
    while (left > 0) {
      int n = 1 + random.nextInt(Math.min(left, 40));
      parts.add(n);
      left -= n;
    }
    return parts.stream().mapToInt(Integer::intValue).toArray();
  }

  private static ReplyReader reader(boolean fast) {
    return new ReplyReader(1 << 20, 8, fast);
  }

  private static List<String> run(byte[] bytes, int[] splits, boolean fast) {
    List<String> out = new ArrayList<>();
    ReplyReader r = reader(fast);
    QmpReader.Handler h = recorder(out);
    int at = 0;
    for (int n : splits) {
      ByteBuffer direct = ByteBuffer.allocateDirect(n);
      direct.put(bytes, at, n).flip();
      r.feed(direct, h);
      assertEquals(0, direct.remaining());
      at += n;
    }
    return out;
  }

  private static QmpReader.Handler recorder(List<String> out) {
    return new QmpReader.Handler() {
      @Override
      public void onValue(JsonNode value) {
        out.add("value " + value.getClass().getSimpleName() + " " + describe(value));
      }

      @Override
      public void onError(QmpProtocolException error) {
        out.add("error " + error.getClass().getSimpleName() + " " + error.getMessage());
      }

      @Override
      public void onSync() {
        out.add("sync");
      }
    };
  }

  private static QmpReader.Handler handler(List<JsonNode> values, List<String> errors) {
    return new QmpReader.Handler() {
      @Override
      public void onValue(JsonNode value) {
        values.add(value);
      }

      @Override
      public void onError(QmpProtocolException error) {
        errors.add(error.getMessage());
      }
    };
  }

  /** The value with each node's type, so that an int and a long node differ. */
  private static String describe(JsonNode n) {
    StringBuilder sb = new StringBuilder();
    describe(n, sb);
    return sb.toString();
  }

  private static void describe(JsonNode n, StringBuilder sb) {
    sb.append(n.getNodeType()).append(':').append(n.getClass().getSimpleName());
    if (n.isContainerNode()) {
      sb.append('{');
      n.fields()
          .forEachRemaining(
              e -> {
                sb.append(e.getKey()).append('=');
                describe(e.getValue(), sb);
                sb.append(',');
              });
      if (n.isArray()) {
        for (JsonNode c : n) {
          describe(c, sb);
          sb.append(',');
        }
      }
      sb.append('}');
    } else {
      sb.append('=').append(n.toString());
    }
  }
}
