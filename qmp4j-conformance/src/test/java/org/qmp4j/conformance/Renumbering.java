package org.qmp4j.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renames the masked type names of a {@code query-qmp-schema} reply ({@code "0"}, {@code "17"},
 * {@code "[17]"}) densely in order of first appearance, so that two listings of the same schema
 * compare equal when only their numbering differs.
 */
final class Renumbering {
  private static final Pattern MASKED = Pattern.compile("(\\[*)([0-9]+)(\\]*)");
  private static final java.util.Set<String> TYPE_MEMBERS =
      java.util.Set.of("arg-type", "ret-type", "type", "element-type");

  private Renumbering() {}

  static JsonNode apply(JsonNode schema) {
    JsonNode copy = schema.deepCopy();
    Map<String, String> names = new HashMap<>();
    for (JsonNode entry : copy) {
      ((ObjectNode) entry).set("name", masked(entry.get("name"), names));
      rename(entry, names);
    }
    return copy;
  }

  private static JsonNode masked(JsonNode name, Map<String, String> names) {
    if (name == null || !name.isTextual()) {
      return name;
    }
    Matcher m = MASKED.matcher(name.asText());
    if (!m.matches()) {
      return name;
    }
    String n = names.computeIfAbsent(m.group(2), k -> Integer.toString(names.size()));
    return TextNode.valueOf(m.group(1) + n + m.group(3));
  }

  private static void rename(JsonNode node, Map<String, String> names) {
    if (node instanceof ObjectNode o) {
      Iterator<Map.Entry<String, JsonNode>> it = o.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (TYPE_MEMBERS.contains(e.getKey())) {
          e.setValue(masked(e.getValue(), names));
        } else {
          rename(e.getValue(), names);
        }
      }
    } else if (node != null && node.isArray()) {
      for (JsonNode x : node) {
        rename(x, names);
      }
    }
  }
}
