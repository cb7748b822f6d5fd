package org.qmp4j.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.qmp4j.schema.SchemaType.ArrayType;
import org.qmp4j.schema.SchemaType.Member;
import org.qmp4j.schema.SchemaType.ObjectType;
import org.qmp4j.schema.SchemaType.Variant;

class QapiSchemaBuilderTest {

  private static QapiSchema sample() {
    return QapiSchema.newBuilder()
        .enumType("QMPCapability", "oob")
        .enumType("Kind", e -> e.value("a").value("b", "deprecated").feature("unstable"))
        .object("Base", o -> o.member("kind", "Kind").optional("id", "str"))
        .object("VariantA", o -> o.member("sizes", "[uint16]"))
        .object("Thing", o -> o.base("Base").tag("kind").variant("a", "VariantA").feature("f1"))
        .object("Unused", o -> o.member("x", "str"))
        .alternate("StrOrNull", "str", "null")
        .command("query-status", null, "Status")
        .object("Status", o -> o.member("status", "str").member("running", "bool"))
        .command("qmp_capabilities", c -> c.args(o -> o.optional("enable", "[QMPCapability]")))
        .command("make", c -> c.args("Thing").returns("[int64]").allowOob().feature("unstable"))
        .event("THING", e -> e.data(o -> o.member("x", "StrOrNull", "deprecated")))
        .event("PLAIN")
        .build();
  }

  private static JsonNode json(String s) throws Exception {
    return ValidationTable.JSON.readTree(s.replace('\'', '"'));
  }

  @Test
  void basesComeFirstAndEveryTagValueHasABranch() {
    QapiSchema s = sample();
    ObjectType thing = (ObjectType) s.type("Thing").orElseThrow();
    assertEquals("Base", thing.base());
    assertEquals(List.of("kind", "id"), thing.members().stream().map(Member::name).toList());
    assertEquals(
        List.of(new Variant("a", "VariantA"), new Variant("b", QapiSchema.EMPTY_OBJECT)),
        thing.variants());
    assertEquals(new ArrayType("[uint16]", "uint16"), s.type("[uint16]").orElseThrow());
    assertTrue(s.type("[[Kind]]").isPresent());
    assertFalse(s.type("[Nope]").isPresent());
    assertEquals(
        "q_obj_qmp_capabilities-arg", s.command("qmp_capabilities").orElseThrow().argType());
    assertEquals(QapiSchema.EMPTY_OBJECT, s.event("PLAIN").orElseThrow().argType());
    assertEquals(
        List.of("query-status", "qmp_capabilities", "make"),
        s.commands().stream().map(SchemaCommand::name).toList());
    assertEquals(List.of("THING", "PLAIN"), s.events().stream().map(SchemaEvent::name).toList());
  }

  /** Numbers by first use, breadth first; integers as int; unused types left out. */
  @Test
  void introspectionIsQemus() throws Exception {
    JsonNode expected =
        json(
            "["
                + "{'name': 'query-status', 'ret-type': '1', 'meta-type': 'command', 'arg-type': '0'},"
                + "{'name': 'qmp_capabilities', 'ret-type': '0', 'meta-type': 'command',"
                + " 'arg-type': '2'},"
                + "{'name': 'make', 'ret-type': '[int]', 'allow-oob': true, 'meta-type': 'command',"
                + " 'arg-type': '3', 'features': ['unstable']},"
                + "{'name': 'THING', 'meta-type': 'event', 'arg-type': '4'},"
                + "{'name': 'PLAIN', 'meta-type': 'event', 'arg-type': '0'},"
                + "{'name': '0', 'members': [], 'meta-type': 'object'},"
                + "{'name': '1', 'members': [{'name': 'status', 'type': 'str'},"
                + " {'name': 'running', 'type': 'bool'}], 'meta-type': 'object'},"
                + "{'name': '2', 'members': [{'name': 'enable', 'default': null, 'type': '[5]'}],"
                + " 'meta-type': 'object'},"
                + "{'name': '3', 'tag': 'kind', 'variants': [{'case': 'a', 'type': '7'},"
                + " {'case': 'b', 'type': '0'}], 'members': [{'name': 'kind', 'type': '6'},"
                + " {'name': 'id', 'default': null, 'type': 'str'}], 'meta-type': 'object',"
                + " 'features': ['f1']},"
                + "{'name': '[int]', 'element-type': 'int', 'meta-type': 'array'},"
                + "{'name': 'int', 'json-type': 'int', 'meta-type': 'builtin'},"
                + "{'name': '4', 'members': [{'name': 'x', 'type': '8', 'features': ['deprecated']}],"
                + " 'meta-type': 'object'},"
                + "{'name': 'str', 'json-type': 'string', 'meta-type': 'builtin'},"
                + "{'name': 'bool', 'json-type': 'boolean', 'meta-type': 'builtin'},"
                + "{'name': '[5]', 'element-type': '5', 'meta-type': 'array'},"
                + "{'name': '5', 'members': [{'name': 'oob'}], 'meta-type': 'enum',"
                + " 'values': ['oob']},"
                + "{'name': '6', 'members': [{'name': 'a'}, {'name': 'b', 'features':"
                + " ['deprecated']}], 'meta-type': 'enum', 'values': ['a', 'b'],"
                + " 'features': ['unstable']},"
                + "{'name': '7', 'members': [{'name': 'sizes', 'type': '[int]'}],"
                + " 'meta-type': 'object'},"
                + "{'name': '8', 'members': [{'type': 'str'}, {'type': 'null'}],"
                + " 'meta-type': 'alternate'},"
                + "{'name': 'null', 'json-type': 'null', 'meta-type': 'builtin'}"
                + "]");
    JsonNode actual = sample().toIntrospection();
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.get(i), actual.get(i), "entry " + i);
    }
    assertEquals(expected, actual);
  }

  @Test
  void unmaskedIntrospectionReadsBackToTheSameSchema() {
    QapiSchema s = sample();
    QapiSchema again = QapiSchema.fromIntrospection(s.toUnmaskedIntrospection());
    assertEquals(s.toIntrospection(), again.toIntrospection());
    assertEquals(s.type("VariantA"), again.type("VariantA"));
    // Introspection flattens bases: the members stay, in order, the base's name does not.
    ObjectType thing = (ObjectType) again.type("Thing").orElseThrow();
    assertEquals(null, thing.base());
    assertEquals(((ObjectType) s.type("Thing").orElseThrow()).members(), thing.members());
    assertEquals(s.commands(), again.commands());
    assertEquals(s.events(), again.events());
  }

  @Test
  void inconsistentSchemasAreRefused() {
    assertRefused(b -> b.command("c", "Nope", null), "unknown type 'Nope'");
    assertRefused(b -> b.command("c", "str", null), "not an object type");
    assertRefused(b -> b.event("E", "[str]"), "not an object type");
    assertRefused(b -> b.object("O", o -> o.member("a", "str").member("a", "int")), "two members");
    assertRefused(b -> b.object("O", o -> o.member("a", "[Nope]")), "unknown type '[Nope]'");
    assertRefused(
        b -> b.object("O", o -> o.member("t", "str").tag("t").variant("x", "q_empty")),
        "not a mandatory enum member");
    assertRefused(
        b ->
            b.enumType("E", "x")
                .object("O", o -> o.optional("t", "E").tag("t").variant("x", "q_empty")),
        "not a mandatory enum member");
    assertRefused(
        b ->
            b.enumType("E", "x")
                .object("O", o -> o.member("t", "E").tag("t").variant("y", "q_empty")),
        "not a value of the tag's enum");
    assertRefused(
        b -> b.enumType("E", "x").object("O", o -> o.member("t", "E").tag("t").variant("x", "str")),
        "not an object type without variants");
    assertRefused(b -> b.object("O", o -> o.base("P")).object("P", o -> o.base("O")), "loop");
    assertRefused(b -> b.object("O", o -> o.base("str")), "base 'str'");
    assertRefused(b -> b.alternate("A", "int", "number"), "two branches of JSON type number");
    assertRefused(b -> b.alternate("A", "str", "any"), "cannot be told apart");
    assertRefused(b -> b.alternate("A"), "no branches");
    assertRefused(b -> b.command("c", null, null).command("c", null, null), "declared twice");
    assertThrows(
        IllegalArgumentException.class, () -> QapiSchema.newBuilder().enumType("E").enumType("E"));
    assertThrows(IllegalArgumentException.class, () -> QapiSchema.newBuilder().enumType("int"));
    assertThrows(
        IllegalArgumentException.class, () -> QapiSchema.newBuilder().object("[x]", o -> {}));
  }

  private static void assertRefused(Consumer<QapiSchema.Builder> spec, String why) {
    QapiSchema.Builder b = QapiSchema.newBuilder();
    spec.accept(b);
    IllegalStateException e = assertThrows(IllegalStateException.class, b::build);
    assertTrue(e.getMessage().contains(why), e.getMessage());
  }

  @Test
  void malformedIntrospectionIsRefused() throws Exception {
    assertThrows(IllegalArgumentException.class, () -> QapiSchema.fromIntrospection(json("{}")));
    assertThrows(IllegalArgumentException.class, () -> QapiSchema.fromIntrospection(json("[1]")));
    assertThrows(
        IllegalArgumentException.class,
        () -> QapiSchema.fromIntrospection(json("[{'name': 'x', 'meta-type': 'object'}]")));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            QapiSchema.fromIntrospection(
                json("[{'name': 'c', 'meta-type': 'command', 'arg-type': '9', 'ret-type': '9'}]")));
    // Unknown members and meta-types are tolerated, so a newer QEMU's schema can be read.
    QapiSchema s =
        QapiSchema.fromIntrospection(
            json(
                "[{'name': 'c', 'meta-type': 'command', 'arg-type': '0', 'ret-type': '1',"
                    + " 'x-new': 1},"
                    + "{'name': '0', 'meta-type': 'object', 'members': []},"
                    + "{'name': '1', 'meta-type': 'tuple'}]"));
    assertTrue(s.supports("c/ret-type"));
  }
}
