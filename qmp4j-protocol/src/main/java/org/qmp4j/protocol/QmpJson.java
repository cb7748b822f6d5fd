package org.qmp4j.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The one Jackson configuration qmp4j uses for JSON values, and helpers to move between {@link
 * JsonNode} trees and your own types.
 *
 * <p>Numbers keep their exact value: integers become {@code IntNode}, {@code LongNode} or, beyond
 * 64 bits, {@code BigIntegerNode}; other numbers become {@code DoubleNode} (QEMU holds them as C
 * doubles). Binding ignores members your type does not declare (QEMU adds members over time), and
 * converting your objects to JSON leaves out {@code null} properties (QMP spells "absent" by
 * omission; QEMU rejects {@code null} for most optional arguments).
 *
 * <p>Everything here is thread-safe. Do not reconfigure the mapper returned by {@link #mapper()};
 * {@link ObjectMapper#copy()} it if you need other settings.
 */
public final class QmpJson {

  /**
   * Deepest nesting the reader accepts. QEMU's own parser stops at 1024 levels, so no QEMU output
   * is deeper.
   */
  public static final int MAX_NESTING_DEPTH = 2048;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private static final ObjectMapper MAPPER = newMapper();

  private static final ObjectReader TREE_READER = MAPPER.reader();

  private QmpJson() {}

  private static ObjectMapper newMapper() {
    JsonFactory factory =
        JsonFactory.builder()
            .streamReadConstraints(
                StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_NESTING_DEPTH)
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxDocumentLength(-1)
                    .build())
            .build();
    return JsonMapper.builder(factory)
        .nodeFactory(NODES)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .disable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .disable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
        .serializationInclusion(JsonInclude.Include.NON_NULL)
        .build();
  }

  /** The shared, configured mapper. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** The node factory of all trees qmp4j builds. */
  public static JsonNodeFactory nodeFactory() {
    return NODES;
  }

  /** A new empty object node. */
  public static ObjectNode objectNode() {
    return NODES.objectNode();
  }

  /**
   * A number node for {@code value} of the kind the reader produces for the same digits: an {@code
   * IntNode} if it fits an int, else a {@code LongNode}. (Jackson's nodes of different kinds are
   * never {@code equals}, so ids built here compare equal to ids read back.)
   */
  public static JsonNode number(long value) {
    return value == (int) value ? NODES.numberNode((int) value) : NODES.numberNode(value);
  }

  /** A new empty array node. */
  public static ArrayNode arrayNode() {
    return NODES.arrayNode();
  }

  /**
   * Parses standard JSON text (one value) into a tree.
   *
   * @throws QmpProtocolException if {@code json} is not one well-formed JSON value
   */
  public static JsonNode parse(String json) {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    return parse(bytes, 0, bytes.length);
  }

  /**
   * Parses UTF-8 JSON text (one value) from {@code bytes[off, off + len)}; {@code len < 0} means to
   * the end of the array.
   *
   * @throws QmpProtocolException if the bytes are not one well-formed JSON value
   */
  public static JsonNode parse(byte[] bytes, int off, int len) {
    int length = len < 0 ? bytes.length - off : len;
    JsonNode node;
    try {
      node = TREE_READER.readTree(bytes, off, length);
    } catch (JsonProcessingException e) {
      throw new QmpProtocolException(describe(e), e);
    } catch (IOException | RuntimeException e) {
      throw new QmpProtocolException("Malformed JSON: " + e.getMessage(), e);
    }
    if (node == null || node.isMissingNode()) {
      throw new QmpProtocolException("Malformed JSON: no value");
    }
    return node;
  }

  /** Jackson's description of a parse failure, without the source excerpt. */
  static String describe(JsonProcessingException e) {
    StringBuilder sb = new StringBuilder("Malformed JSON: ").append(e.getOriginalMessage());
    if (e.getLocation() != null && e.getLocation().getLineNr() > 0) {
      sb.append(" (line ")
          .append(e.getLocation().getLineNr())
          .append(", column ")
          .append(e.getLocation().getColumnNr())
          .append(')');
    }
    return sb.toString();
  }

  /**
   * Binds {@code value} to {@code type} with the shared mapper, e.g. a {@code query-status} reply
   * to a record.
   *
   * @throws IllegalArgumentException if the value does not fit the type
   */
  public static <T> T convert(JsonNode value, Class<T> type) {
    return convert(value, MAPPER.constructType(type));
  }

  /** Binds {@code value} to a generic type, e.g. {@code new TypeReference<List<Foo>>() {}}. */
  public static <T> T convert(JsonNode value, TypeReference<T> type) {
    return convert(value, MAPPER.constructType(type));
  }

  /** Binds {@code value} to a type built with the mapper's type factory. */
  public static <T> T convert(JsonNode value, JavaType type) {
    try {
      return MAPPER.treeToValue(value, type);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e.getOriginalMessage(), e);
    }
  }

  /**
   * The JSON tree of {@code value} (a record, POJO, map, list, string, number...). {@code null}
   * gives a {@code NullNode}.
   *
   * @throws IllegalArgumentException if the value cannot be serialised
   */
  public static JsonNode toNode(Object value) {
    if (value == null) {
      return NODES.nullNode();
    }
    if (value instanceof JsonNode) {
      return (JsonNode) value;
    }
    JsonNode node = MAPPER.valueToTree(value);
    return node == null ? NODES.nullNode() : node;
  }

  /**
   * The JSON object of {@code value}, e.g. a record of command arguments.
   *
   * @throws IllegalArgumentException if the value does not serialise to a JSON object
   */
  public static ObjectNode toObjectNode(Object value) {
    JsonNode node = toNode(value);
    if (!node.isObject()) {
      throw new IllegalArgumentException(
          "expected a value that maps to a JSON object, got " + node.getNodeType());
    }
    return (ObjectNode) node;
  }
}
