package org.qmp4j.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QmpJsonTest {

  record StatusInfo(String status, boolean running, boolean singlestep) {}

  record BlockArgs(String device, @JsonProperty("node-name") String nodeName, Long size) {}

  @Test
  void numbersKeepTheirExactKind() {
    JsonNode v =
        QmpJson.parse("[1, 4294967296, 18446744073709551615, -9223372036854775809, 0.5, 1e400]");
    assertInstanceOf(IntNode.class, v.get(0));
    assertInstanceOf(LongNode.class, v.get(1));
    assertInstanceOf(BigIntegerNode.class, v.get(2));
    assertEquals(new BigInteger("18446744073709551615"), v.get(2).bigIntegerValue());
    assertInstanceOf(BigIntegerNode.class, v.get(3));
    assertInstanceOf(DoubleNode.class, v.get(4));
    assertEquals(Double.POSITIVE_INFINITY, v.get(5).doubleValue());
  }

  @Test
  void numberNodesMatchWhatTheReaderProduces() {
    assertEquals(QmpJson.parse("7"), QmpJson.number(7));
    assertEquals(QmpJson.parse("-2147483648"), QmpJson.number(Integer.MIN_VALUE));
    assertEquals(QmpJson.parse("4294967296"), QmpJson.number(1L << 32));
    assertEquals(QmpJson.parse("-9223372036854775808"), QmpJson.number(Long.MIN_VALUE));
  }

  @Test
  void convertBindsRepliesAndIgnoresUnknownMembers() {
    JsonNode reply =
        QmpJson.parse(
            "{\"status\": \"running\", \"singlestep\": false, \"running\": true, \"new\": 1}");
    assertEquals(new StatusInfo("running", true, false), QmpJson.convert(reply, StatusInfo.class));
    List<Map<String, Integer>> list =
        QmpJson.convert(QmpJson.parse("[{\"a\": 1}]"), new TypeReference<>() {});
    assertEquals(List.of(Map.of("a", 1)), list);
  }

  @Test
  void convertFailsWithIllegalArgument() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> QmpJson.convert(QmpJson.parse("{\"running\": [1]}"), StatusInfo.class));
    assertTrue(e.getMessage().contains("boolean"), e.getMessage());
  }

  @Test
  void toNodeLeavesOutNulls() {
    JsonNode args = QmpJson.toNode(new BlockArgs("drive0", null, 1L << 40));
    assertEquals(QmpJson.parse("{\"device\": \"drive0\", \"size\": 1099511627776}"), args);
    assertEquals(
        "{\"node-name\": \"n\"}",
        QmpWriter.compact().toJson(QmpJson.toObjectNode(new BlockArgs(null, "n", null))));
    assertEquals(NullNode.instance, QmpJson.toNode(null));
    assertThrows(IllegalArgumentException.class, () -> QmpJson.toObjectNode(List.of(1)));
  }

  @Test
  void parseErrorsAreProtocolExceptions() {
    QmpProtocolException e =
        assertThrows(QmpProtocolException.class, () -> QmpJson.parse("{\"a\": nope}"));
    assertTrue(
        e.getMessage().startsWith("Malformed JSON: Unrecognized token 'nope'"), e.getMessage());
    assertThrows(QmpProtocolException.class, () -> QmpJson.parse(""));
    assertThrows(QmpProtocolException.class, () -> QmpJson.parse("   "));
  }

  @Test
  void deepNestingUpToQemusLimitParses() {
    String deep = "[".repeat(1100) + "]".repeat(1100);
    assertEquals(1, QmpJson.parse(deep).size());
    String tooDeep =
        "[".repeat(QmpJson.MAX_NESTING_DEPTH + 1) + "]".repeat(QmpJson.MAX_NESTING_DEPTH + 1);
    assertThrows(QmpProtocolException.class, () -> QmpJson.parse(tooDeep));
  }
}
