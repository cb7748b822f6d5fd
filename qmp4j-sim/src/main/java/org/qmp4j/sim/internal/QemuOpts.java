package org.qmp4j.sim.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * QEMU's option syntax: {@code key=value,key=value}, a comma doubled to stand for itself, an
 * optional implied first key ({@code -device e1000,id=n0} is {@code driver=e1000}), and for {@code
 * -device} and {@code -blockdev} also a JSON object.
 */
public final class QemuOpts {
  private static final ObjectMapper JSON = new ObjectMapper();

  private QemuOpts() {}

  /**
   * The properties of {@code text}, in order (a key given twice keeps its last value).
   *
   * @param impliedKey the key of a first element without {@code =}, or null: then such an element
   *     is a flag, {@code key=on}
   */
  public static Map<String, String> parse(String text, String impliedKey) {
    Map<String, String> out = new LinkedHashMap<>();
    if (text.startsWith("{")) {
      flatten("", json(text), out);
      return out;
    }
    int i = 0;
    boolean first = true;
    while (i <= text.length()) {
      StringBuilder element = new StringBuilder();
      int eq = -1;
      while (i < text.length()) {
        char c = text.charAt(i);
        if (c == ',') {
          if (i + 1 < text.length() && text.charAt(i + 1) == ',') {
            element.append(',');
            i += 2;
            continue;
          }
          break;
        }
        if (c == '=' && eq < 0) {
          eq = element.length();
        }
        element.append(c);
        i++;
      }
      i++; // the comma
      String e = element.toString();
      if (eq >= 0) {
        out.put(e.substring(0, eq), e.substring(eq + 1));
      } else if (first && impliedKey != null) {
        out.put(impliedKey, e);
      } else if (!e.isEmpty()) {
        out.put(e, "on");
      }
      first = false;
    }
    return out;
  }

  /** {@code text} as a JSON object, for the JSON form of {@code -device} and {@code -blockdev}. */
  public static ObjectNode json(String text) {
    try {
      JsonNode n = JSON.readTree(text);
      if (!(n instanceof ObjectNode o)) {
        throw new IllegalArgumentException("JSON: expected an object");
      }
      return o;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("JSON: " + e.getOriginalMessage());
    }
  }

  /** Key=value properties with dotted keys as nested objects, for {@code -blockdev}'s key form. */
  public static ObjectNode nested(Map<String, String> props) {
    ObjectNode root = JSON.createObjectNode();
    for (Map.Entry<String, String> e : props.entrySet()) {
      String[] path = e.getKey().split("\\.");
      ObjectNode at = root;
      for (int k = 0; k < path.length - 1; k++) {
        at =
            at.has(path[k]) && at.get(path[k]).isObject()
                ? (ObjectNode) at.get(path[k])
                : at.putObject(path[k]);
      }
      String v = e.getValue();
      String key = path[path.length - 1];
      if (key.equals("read-only") || key.equals("auto-read-only")) {
        at.put(key, v.equals("on") || v.equals("true"));
      } else {
        at.put(key, v);
      }
    }
    return root;
  }

  private static void flatten(String prefix, JsonNode n, Map<String, String> out) {
    Iterator<Map.Entry<String, JsonNode>> it = n.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      String key = prefix + e.getKey();
      if (v.isObject()) {
        flatten(key + ".", v, out);
      } else if (v.isBoolean()) {
        out.put(key, v.asBoolean() ? "on" : "off");
      } else {
        out.put(key, v.asText());
      }
    }
  }
}
