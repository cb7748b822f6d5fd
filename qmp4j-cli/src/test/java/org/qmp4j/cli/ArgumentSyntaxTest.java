package org.qmp4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ArgumentSyntaxTest {

  private static String args(String line) {
    return ArgumentSyntax.arguments(ArgumentSyntax.split(line)).toString();
  }

  @Test
  void valuesAreTypedAsQmpShellTypesThem() {
    assertEquals(
        "{\"a\":1,\"b\":-2.5,\"c\":true,\"d\":false,\"e\":\"x\",\"f\":\"123\",\"g\":\"true\"}",
        args("a=1 b=-2.5 c=true d=false e=x f=\"123\" g='true'"));
    assertEquals("{\"n\":18446744073709551615}", args("n=18446744073709551615"));
  }

  @Test
  void dottedKeysNest() {
    assertEquals("{\"a\":{\"b\":1,\"c\":{\"d\":\"x\"}}}", args("a.b=1 a.c.d=x"));
  }

  @Test
  void jsonValuesKeepTheirBlanks() {
    assertEquals(
        "{\"files\":[\"a b\",\"c\"],\"o\":{\"x\":1}}", args("files=[\"a b\", \"c\"] o={\"x\": 1}"));
    assertEquals(List.of("x", "s=\"a b\""), ArgumentSyntax.split("x s=\"a b\""));
    assertEquals("{\"s\":\"a b\"}", args("s=\"a b\""));
  }

  @Test
  void oneJsonObjectIsTheArguments() {
    assertEquals("{\"path\":\"/machine\"}", args("{\"path\": \"/machine\"}"));
    assertNull(ArgumentSyntax.arguments(List.of()));
  }

  @Test
  void mistakesAreExplained() {
    assertTrue(
        assertThrows(ArgumentSyntax.SyntaxException.class, () -> args("force"))
            .getMessage()
            .contains("expected key=value"));
    assertTrue(
        assertThrows(ArgumentSyntax.SyntaxException.class, () -> args("a=1 a=2"))
            .getMessage()
            .contains("given twice"));
    assertTrue(
        assertThrows(ArgumentSyntax.SyntaxException.class, () -> args("a=1 a.b=2"))
            .getMessage()
            .contains("no object"));
    assertTrue(
        assertThrows(ArgumentSyntax.SyntaxException.class, () -> args("a=[1,"))
            .getMessage()
            .contains("not valid JSON"));
    assertThrows(ArgumentSyntax.SyntaxException.class, () -> ArgumentSyntax.split("a=\"x"));
  }
}
