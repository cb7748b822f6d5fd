package org.qmp4j.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.qmp4j.schema.QapiSchema;
import org.qmp4j.schema.SchemaCommand;
import org.qmp4j.schema.SchemaEvent;
import org.qmp4j.sim.internal.Commands;

/**
 * The simulator's {@code query-qmp-schema} agrees with QEMU 7.2's (as QEMU printed it, masked) for
 * every command and event it implements: the same structure once the type numbers are followed.
 */
class SchemaTest {
  private static JsonNode qemuSchema() throws IOException {
    try (InputStream in = SchemaTest.class.getResourceAsStream("qemu-7.2-schema.json.gz")) {
      return SimClient.JSON.readTree(new GZIPInputStream(in));
    }
  }

  private static Map<String, JsonNode> byName(JsonNode list) {
    Map<String, JsonNode> m = new HashMap<>();
    list.forEach(e -> m.put(e.get("name").asText(), e));
    return m;
  }

  /** The entry named {@code type} with its type references expanded (arrays and builtins kept). */
  private static String shape(Map<String, JsonNode> s, String type, Set<String> seen) {
    if (type.startsWith("[")) {
      return "[" + shape(s, type.substring(1, type.length() - 1), seen) + "]";
    }
    JsonNode e = s.get(type);
    if (e == null || e.get("meta-type").asText().equals("builtin")) {
      return type;
    }
    if (!seen.add(type)) {
      return "<rec>";
    }
    JsonNode copy = e.deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) copy).remove("name");
    StringBuilder sb = new StringBuilder(copy.get("meta-type").asText()).append('{');
    for (JsonNode m : copy.path("members")) {
      sb.append(m.path("name").asText(""))
          .append(m.has("default") ? "?" : "")
          .append(':')
          .append(m.has("type") ? shape(s, m.get("type").asText(), seen) : "")
          .append(m.path("features"))
          .append(',');
    }
    sb.append(copy.path("values")).append(copy.path("tag"));
    for (JsonNode v : copy.path("variants")) {
      sb.append(v.get("case").asText()).append('=').append(shape(s, v.get("type").asText(), seen));
    }
    for (JsonNode a : copy.path("members")) {
      if (!a.has("name")) {
        sb.append('|').append(shape(s, a.get("type").asText(), seen));
      }
    }
    seen.remove(type);
    return sb.append('}').append(copy.path("features")).toString();
  }

  @Test
  void everyCommandAndEventHasQemusShape() throws Exception {
    Map<String, JsonNode> qemu = byName(qemuSchema());
    QapiSchema schema = SimulatedMachine.schema();
    Map<String, JsonNode> ours = byName(schema.toIntrospection());
    int compared = 0;
    for (SchemaCommand c : schema.commands()) {
      if (c.name().startsWith(Commands.PREFIX)) {
        continue;
      }
      JsonNode q = qemu.get(c.name());
      JsonNode o = ours.get(c.name());
      assertEquals(q.path("allow-oob"), o.path("allow-oob"), c.name());
      assertEquals(
          shape(qemu, q.get("arg-type").asText(), new HashSet<>()),
          shape(ours, o.get("arg-type").asText(), new HashSet<>()),
          c.name() + " arguments");
      assertEquals(
          shape(qemu, q.get("ret-type").asText(), new HashSet<>()),
          shape(ours, o.get("ret-type").asText(), new HashSet<>()),
          c.name() + " return");
      compared++;
    }
    for (SchemaEvent e : schema.events()) {
      assertEquals(
          shape(qemu, qemu.get(e.name()).get("arg-type").asText(), new HashSet<>()),
          shape(ours, ours.get(e.name()).get("arg-type").asText(), new HashSet<>()),
          e.name());
      compared++;
    }
    assertEquals(Commands.QEMU_COMMANDS.size() + Commands.QEMU_EVENTS.size(), compared);
  }

  @Test
  void extensionsAreDownstreamNamed() {
    long ext =
        SimulatedMachine.schema().commands().stream()
            .filter(c -> c.name().startsWith("__org.qmp4j_"))
            .count();
    assertTrue(ext >= 20, "extension commands: " + ext);
    for (SchemaCommand c : SimulatedMachine.schema().commands()) {
      assertTrue(
          Commands.QEMU_COMMANDS.contains(c.name()) || c.name().startsWith(Commands.PREFIX),
          c.name());
    }
  }
}
