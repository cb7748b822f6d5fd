package org.qmp4j.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code query-qmp-schema} as QEMU 7.2 returns it, read and written back. */
class IntrospectionRoundTripTest {
  private static final JsonNode QEMU = ValidationTable.loadGzip(ValidationTable.SCHEMA_RESOURCE);
  private static final JsonNode UNMASKED =
      ValidationTable.loadGzip(ValidationTable.PRECISE_SCHEMA_RESOURCE);

  @Test
  void capturedSchemaIsAsExpected() {
    assertEquals(1051, QEMU.size());
    assertEquals("query-status", QEMU.get(0).get("name").asText());
  }

  @Test
  void qemuSchemaRoundTrips() {
    assertSameEntries(QEMU, QapiSchema.fromIntrospection(QEMU).toIntrospection());
  }

  @Test
  void unmaskedSchemaMasksToQemusOutput() {
    // Real names are numbered densely; QEMU's numbers have gaps where its build compiled out the
    // types' first users. Numbers aside, the output is QEMU's.
    QapiSchema precise = QapiSchema.fromIntrospection(UNMASKED);
    assertSameEntries(renumbered(QEMU), precise.toIntrospection());
    // The unmasked form written by qmp4j reads back to the same schema.
    QapiSchema again = QapiSchema.fromIntrospection(precise.toUnmaskedIntrospection());
    assertSameEntries(renumbered(QEMU), again.toIntrospection());
    assertEquals(
        "uint8",
        again.type("MigrateSetParameters").map(t -> memberType(t, "compress-level")).orElse(null));
  }

  @Test
  void membersComeInQemusOrder() {
    // QEMU prints each object's members in its QDict hash order; the writer reproduces it.
    JsonNode ours = QapiSchema.fromIntrospection(QEMU).toIntrospection();
    for (int i = 0; i < QEMU.size(); i++) {
      assertEquals(fieldOrder(QEMU.get(i)), fieldOrder(ours.get(i)), "entry " + i);
    }
  }

  /**
   * QEMU's schema declared in code, from the unmasked model: no listing order to follow, so types
   * come out in order of first use and are numbered by it, as QEMU's generator does. QEMU's
   * generator also counts uses its build compiles out (commands for other targets), which leave
   * gaps in its numbers and move types forward. The first type so moved is CpuModelInfo, first used
   * by the s390x-only query-cpu-model-comparison; up to the entry that uses it (511 of 1049
   * entries: all commands and events and 243 types) the output is QEMU's exactly, numbers closed
   * up, and after it the entries are the same.
   */
  @Test
  void firstUseOrderIsQemus() {
    QapiSchema precise = QapiSchema.fromIntrospection(UNMASKED);
    QapiSchema.Builder b = QapiSchema.newBuilder();
    for (JsonNode e : UNMASKED) {
      String name = e.get("name").asText();
      switch (e.get("meta-type").asText()) {
        case "command":
          SchemaCommand c = precise.command(name).orElseThrow();
          b.command(
              name,
              cb -> {
                cb.args(c.argType()).returns(c.retType());
                if (c.allowOob()) {
                  cb.allowOob();
                }
                c.features().forEach(cb::feature);
              });
          break;
        case "event":
          SchemaEvent ev = precise.event(name).orElseThrow();
          b.event(
              name,
              eb -> {
                eb.data(ev.argType());
                ev.features().forEach(eb::feature);
              });
          break;
        default:
          declare(b, precise.type(name).orElseThrow());
      }
    }
    com.fasterxml.jackson.databind.node.ArrayNode expected = ValidationTable.JSON.createArrayNode();
    for (JsonNode e : QEMU) {
      if (!List.of("393", "484").contains(e.get("name").asText())) {
        expected.add(e);
      }
    }
    QapiSchema declared = b.build();
    JsonNode ours = declared.toIntrospection();
    JsonNode theirs = renumbered(expected);
    int exact = 0;
    while (exact < ours.size() && theirs.get(exact).equals(ours.get(exact))) {
      exact++;
    }
    assertEquals(511, exact);
    assertEquals(
        "q_obj_query-cpu-model-expansion-arg",
        declared.commands().stream()
            .filter(c -> c.name().equals("query-cpu-model-expansion"))
            .findFirst()
            .orElseThrow()
            .argType());
    assertEquals(
        List.of("type", "model"),
        List.of(
            theirs.get(exact).at("/members/0/name").asText(),
            theirs.get(exact).at("/members/1/name").asText()));
    assertEquals(theirs.size(), ours.size());
    // The rest: the same entries, told apart by real names.
    assertEquals(
        sortedByName(precise.toUnmaskedIntrospection()),
        sortedByName(declared.toUnmaskedIntrospection()));
  }

  private static java.util.Map<String, JsonNode> sortedByName(JsonNode schema) {
    java.util.Map<String, JsonNode> out = new java.util.TreeMap<>();
    for (JsonNode e : schema) {
      // The unused DisplayCocoa and CpuModelCompareResult are listed by QEMU only.
      if (!List.of("DisplayCocoa", "CpuModelCompareResult").contains(e.get("name").asText())) {
        out.put(e.get("name").asText(), e);
      }
    }
    return out;
  }

  private static void declare(QapiSchema.Builder b, SchemaType t) {
    if (t instanceof SchemaType.EnumType en) {
      if (!t.name().equals("QType")) {
        b.enumType(
            t.name(),
            eb -> {
              en.values().forEach(v -> eb.value(v.name(), v.features().toArray(String[]::new)));
              en.features().forEach(eb::feature);
            });
      }
    } else if (t instanceof SchemaType.ObjectType o) {
      if (!t.name().equals(QapiSchema.EMPTY_OBJECT)) {
        b.object(
            t.name(),
            ob -> {
              for (SchemaType.Member m : o.members()) {
                String[] f = m.features().toArray(String[]::new);
                if (m.optional()) {
                  ob.optional(m.name(), m.type(), f);
                } else {
                  ob.member(m.name(), m.type(), f);
                }
              }
              if (o.tag() != null) {
                ob.tag(o.tag());
                o.variants().forEach(v -> ob.variant(v.name(), v.type()));
              }
              o.features().forEach(ob::feature);
            });
      }
    } else if (t instanceof SchemaType.AlternateType a) {
      b.alternate(a.name(), a.types(), a.features());
    }
  }

  /** QEMU's output with its type numbers made dense (0, 1, 2, … in increasing order). */
  private static JsonNode renumbered(JsonNode schema) {
    java.util.TreeSet<Integer> numbers = new java.util.TreeSet<>();
    for (JsonNode e : schema) {
      if (e.get("name").asText().matches("[0-9]+")) {
        numbers.add(Integer.parseInt(e.get("name").asText()));
      }
    }
    java.util.Map<String, String> rank = new java.util.HashMap<>();
    for (int n : numbers) {
      rank.put(Integer.toString(n), Integer.toString(rank.size()));
    }
    String text = schema.toString();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("\"([0-9]+)(\\]*)\"|\"(\\[+)([0-9]+)(\\]+)\"")
            .matcher(text);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String rep =
          m.group(1) != null
              ? "\"" + rank.getOrDefault(m.group(1), m.group(1)) + m.group(2) + "\""
              : "\"" + m.group(3) + rank.getOrDefault(m.group(4), m.group(4)) + m.group(5) + "\"";
      m.appendReplacement(sb, java.util.regex.Matcher.quoteReplacement(rep));
    }
    m.appendTail(sb);
    try {
      return ValidationTable.JSON.readTree(sb.toString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String memberType(SchemaType t, String member) {
    return ((SchemaType.ObjectType) t).member(member).type();
  }

  private static List<String> fieldOrder(JsonNode n) {
    List<String> out = new ArrayList<>();
    if (n.isObject()) {
      n.fields()
          .forEachRemaining(
              e -> {
                out.add(e.getKey());
                out.addAll(fieldOrder(e.getValue()));
              });
    } else if (n.isArray()) {
      n.forEach(x -> out.addAll(fieldOrder(x)));
    }
    return out;
  }

  private static void assertSameEntries(JsonNode expected, JsonNode actual) {
    for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
      assertEquals(expected.get(i), actual.get(i), "entry " + i);
    }
    assertEquals(expected.size(), actual.size(), "number of entries");
    assertEquals(expected, actual);
  }
}
