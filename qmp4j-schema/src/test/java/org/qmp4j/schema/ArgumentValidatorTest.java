package org.qmp4j.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.qmp4j.protocol.QmpErrorException;

/**
 * Validation and coercion against a schema declared in code, with QAPI's precise integer types.
 * (The texts themselves are checked against QEMU in {@link ValidationTableTest}.)
 */
class ArgumentValidatorTest {
  private static final QapiSchema SCHEMA =
      QapiSchema.newBuilder()
          .enumType("Color", "red", "green", "blue")
          .enumType("Shape", "circle", "square", "dot")
          .alternate("ColorOrNumber", "Color", "int")
          .alternate("PointOrStr", "Point", "str")
          .object("Point", o -> o.member("x", "int").member("y", "int"))
          .object("Base", o -> o.member("shape", "Shape").optional("name", "str"))
          .object("Circle", o -> o.member("radius", "number"))
          .object("Square", o -> o.member("side", "uint32"))
          .object(
              "Figure",
              o ->
                  o.base("Base")
                      .tag("shape")
                      .variant("circle", "Circle")
                      .variant("square", "Square"))
          .command(
              "all",
              c ->
                  c.args(
                      o ->
                          o.optional("i8", "int8")
                              .optional("i16", "int16")
                              .optional("i32", "int32")
                              .optional("i64", "int")
                              .optional("u8", "uint8")
                              .optional("u16", "uint16")
                              .optional("u32", "uint32")
                              .optional("u64", "uint64")
                              .optional("sz", "size")
                              .optional("num", "number")
                              .optional("b", "bool")
                              .optional("n", "null")
                              .optional("anything", "any")
                              .optional("s", "str")
                              .optional("color", "Color")
                              .optional("colors", "[Color]")
                              .optional("cn", "ColorOrNumber")
                              .optional("ps", "[PointOrStr]")
                              .optional("matrix", "[[int]]")
                              .optional("figure", "Figure")
                              .optional("u32s", "[uint32]")))
          .command("figure", c -> c.args("Figure"))
          .command("noargs", null, null)
          .command("free", c -> c.args(o -> o.member("driver", "str")).freeForm())
          .build();

  private static ObjectNode json(String s) {
    try {
      return (ObjectNode) ValidationTable.JSON.readTree(s);
    } catch (Exception e) {
      throw new IllegalArgumentException(s, e);
    }
  }

  private static ObjectNode ok(String command, String args) {
    return SCHEMA.validateArguments(command, json(args));
  }

  private static String error(String command, String args) {
    QmpErrorException e =
        assertThrows(QmpErrorException.class, () -> SCHEMA.validateArguments(command, json(args)));
    assertEquals(QmpErrorException.GENERIC_ERROR, e.errorClass());
    return e.desc();
  }

  @Test
  void uint64AndSizeTakeNegativesAsTwosComplement() {
    ObjectNode out = ok("all", "{\"u64\": -1, \"sz\": -9223372036854775808}");
    assertEquals(new BigInteger("18446744073709551615"), out.get("u64").bigIntegerValue());
    assertEquals(new BigInteger("9223372036854775808"), out.get("sz").bigIntegerValue());
    assertEquals(
        new BigInteger("18446744073709551615"),
        ok("all", "{\"u64\": 18446744073709551615}").get("u64").bigIntegerValue());
    assertEquals(5, ok("all", "{\"u64\": 5}").get("u64").longValue());
    assertEquals("Parameter 'u64' expects uint64", error("all", "{\"u64\": 18446744073709551616}"));
    assertEquals("Parameter 'sz' expects uint64", error("all", "{\"sz\": 1.0}"));
  }

  @Test
  void signedRanges() {
    assertEquals(-128, ok("all", "{\"i8\": -128}").get("i8").intValue());
    assertEquals("Parameter 'i8' expects int8_t", error("all", "{\"i8\": 128}"));
    assertEquals("Parameter 'i16' expects int16_t", error("all", "{\"i16\": -32769}"));
    assertEquals("Parameter 'i32' expects int32_t", error("all", "{\"i32\": 2147483648}"));
    assertEquals(
        "Invalid parameter type for 'i8', expected: integer", error("all", "{\"i8\": \"1\"}"));
    assertEquals(
        "Invalid parameter type for 'i64', expected: integer",
        error("all", "{\"i64\": 9223372036854775808}"));
  }

  @Test
  void unsignedRanges() {
    assertEquals(255, ok("all", "{\"u8\": 255}").get("u8").intValue());
    assertEquals("Parameter 'u8' expects uint8_t", error("all", "{\"u8\": 256}"));
    assertEquals("Parameter 'u16' expects uint16_t", error("all", "{\"u16\": -1}"));
    assertEquals(4294967295L, ok("all", "{\"u32\": 4294967295}").get("u32").longValue());
    assertEquals("Parameter 'null' expects uint32_t", error("all", "{\"u32s\": [1, 4294967296]}"));
    assertEquals("Parameter 'u32s[1]' expects uint64", error("all", "{\"u32s\": [1, true]}"));
  }

  @Test
  void doublesAreNeverIntegersButIntegersAreNumbers() {
    assertEquals(
        "Invalid parameter type for 'i64', expected: integer", error("all", "{\"i64\": 1.0}"));
    assertEquals(
        "Invalid parameter type for 'i64', expected: integer", error("all", "{\"i64\": 1e2}"));
    JsonNode num = ok("all", "{\"num\": 3}").get("num");
    assertTrue(num.isDouble());
    assertEquals(3.0, num.doubleValue());
    assertEquals(
        1.8446744073709552E19,
        ok("all", "{\"num\": 18446744073709551616}").get("num").doubleValue());
    assertEquals(
        "Invalid parameter type for 'num', expected: number", error("all", "{\"num\": \"1\"}"));
  }

  @Test
  void scalarsNullAndAny() {
    assertEquals("Invalid parameter type for 'b', expected: boolean", error("all", "{\"b\": 0}"));
    assertTrue(ok("all", "{\"n\": null}").get("n").isNull());
    assertEquals("Invalid parameter type for 'n', expected: null", error("all", "{\"n\": 0}"));
    ObjectNode args = json("{\"anything\": {\"deep\": [1, 2.5, null, {\"k\": false}]}}");
    assertSame(args.get("anything"), SCHEMA.validateArguments("all", args).get("anything"));
    assertEquals("Invalid parameter type for 's', expected: string", error("all", "{\"s\": null}"));
  }

  @Test
  void enumsAndListsOfEnums() {
    assertEquals("green", ok("all", "{\"color\": \"green\"}").get("color").asText());
    assertEquals(
        "Parameter 'color' does not accept value 'pink'", error("all", "{\"color\": \"pink\"}"));
    assertEquals(
        "Parameter 'null' does not accept value 'pink'",
        error("all", "{\"colors\": [\"red\", \"pink\"]}"));
    assertEquals(
        "Invalid parameter type for 'colors[1]', expected: string",
        error("all", "{\"colors\": [\"red\", 1]}"));
    assertEquals(
        "Invalid parameter type for 'colors', expected: array",
        error("all", "{\"colors\": \"red\"}"));
  }

  @Test
  void alternatesPickTheirBranchByJsonType() {
    assertEquals("red", ok("all", "{\"cn\": \"red\"}").get("cn").asText());
    assertEquals(7, ok("all", "{\"cn\": 7}").get("cn").intValue());
    assertEquals("Parameter 'cn' does not accept value 'pink'", error("all", "{\"cn\": \"pink\"}"));
    assertEquals(
        "Invalid parameter type for 'cn', expected: integer", error("all", "{\"cn\": 7.5}"));
    assertEquals(
        "Invalid parameter type for 'cn', expected: ColorOrNumber", error("all", "{\"cn\": null}"));
    assertEquals(
        "Invalid parameter type for 'null', expected: PointOrStr",
        error("all", "{\"ps\": [\"a\", 1]}"));
    assertEquals("Parameter 'ps[1].y' is missing", error("all", "{\"ps\": [\"a\", {\"x\": 1}]}"));
    assertEquals(
        "Parameter 'ps[0].z' is unexpected",
        error("all", "{\"ps\": [{\"x\": 1, \"y\": 2, \"z\": 3}]}"));
  }

  @Test
  void nestedListsAndPaths() {
    assertEquals(
        "Invalid parameter type for 'matrix[1][0]', expected: integer",
        error("all", "{\"matrix\": [[1, 2], [\"x\"]]}"));
    assertEquals(
        "Invalid parameter type for 'figure.radius', expected: number",
        error("all", "{\"figure\": {\"shape\": \"circle\", \"radius\": \"big\"}}"));
  }

  @Test
  void unionsVisitBaseThenVariant() {
    ObjectNode out = ok("figure", "{\"radius\": 2, \"shape\": \"circle\"}");
    assertEquals(json("{\"shape\": \"circle\", \"radius\": 2.0}"), out);
    assertEquals("Parameter 'shape' is missing", error("figure", "{\"radius\": 2}"));
    assertEquals(
        "Parameter 'shape' does not accept value 'hexagon'",
        error("figure", "{\"shape\": \"hexagon\"}"));
    assertEquals("Parameter 'side' is missing", error("figure", "{\"shape\": \"square\"}"));
    assertEquals(
        "Invalid parameter type for 'name', expected: string",
        error("figure", "{\"shape\": \"square\", \"name\": 1, \"side\": \"x\"}"));
    // 'dot' has no branch of its own: QAPI gives it the empty one.
    assertEquals(json("{\"shape\": \"dot\"}"), ok("figure", "{\"shape\": \"dot\"}"));
    assertEquals(
        "Parameter 'radius' is unexpected", error("figure", "{\"shape\": \"dot\", \"radius\": 1}"));
  }

  @Test
  void missingBeforeUnexpected() {
    assertEquals("Parameter 'shape' is missing", error("figure", "{\"zz\": 1}"));
    assertEquals("Parameter 'zz' is unexpected", error("noargs", "{\"zz\": 1}"));
  }

  @Test
  void absentArgumentsAreAnEmptyObject() {
    assertEquals(json("{}"), SCHEMA.validateArguments("noargs", null));
    assertEquals(
        json("{}"),
        SCHEMA.validateArguments(
            "noargs", com.fasterxml.jackson.databind.node.MissingNode.getInstance()));
    QmpErrorException e =
        assertThrows(QmpErrorException.class, () -> SCHEMA.validateArguments("figure", null));
    assertEquals("Parameter 'shape' is missing", e.desc());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            SCHEMA.validateArguments("noargs", ValidationTable.JSON.getNodeFactory().arrayNode()));
  }

  @Test
  void freeFormCommandsTakeAnyObject() {
    ObjectNode args = json("{\"whatever\": [1], \"driver\": 5}");
    assertSame(args, SCHEMA.validateArguments("free", args));
  }

  @Test
  void unknownCommand() {
    QmpErrorException e =
        assertThrows(QmpErrorException.class, () -> SCHEMA.validateArguments("nope", null));
    assertEquals(QmpErrorException.COMMAND_NOT_FOUND, e.errorClass());
    assertEquals("The command nope has not been found", e.desc());
  }
}
