package org.qmp4j.sim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Small builders for JSON values. */
public final class Json {
  public static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Json() {}

  /** An object from alternating keys and values; {@code null} values are left out. */
  public static ObjectNode obj(Object... keysAndValues) {
    ObjectNode o = NODES.objectNode();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      put(o, (String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return o;
  }

  public static ObjectNode put(ObjectNode o, String key, Object v) {
    if (v == null) {
      return o;
    }
    if (v instanceof JsonNode n) {
      o.set(key, n);
    } else if (v instanceof String s) {
      o.put(key, s);
    } else if (v instanceof Boolean b) {
      o.put(key, b);
    } else if (v instanceof Integer n) {
      o.put(key, n);
    } else if (v instanceof Long n) {
      o.put(key, n);
    } else if (v instanceof Double n) {
      o.put(key, n);
    } else {
      throw new IllegalArgumentException("not a JSON value: " + v.getClass());
    }
    return o;
  }

  public static ArrayNode arr() {
    return NODES.arrayNode();
  }

  /** The text member {@code key} of {@code o}, or {@code dflt} when absent. */
  public static String str(JsonNode o, String key, String dflt) {
    JsonNode n = o == null ? null : o.get(key);
    return n == null || n.isNull() ? dflt : n.asText();
  }

  public static boolean bool(JsonNode o, String key, boolean dflt) {
    JsonNode n = o == null ? null : o.get(key);
    return n == null || n.isNull() ? dflt : n.asBoolean();
  }

  public static long num(JsonNode o, String key, long dflt) {
    JsonNode n = o == null ? null : o.get(key);
    return n == null || n.isNull() ? dflt : n.asLong();
  }
}
