package org.qmp4j.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutputTest {

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void cutsCompactMessages() {
    Output o = Output.parse(bytes("{\"return\": {}}\r\n{\"a\": \"}\\\"{\"}\r\n{\"x\""), false);
    assertEquals(2, o.messages().size());
    assertEquals("{\"a\": \"}\\\"{\"}\r\n", o.messages().get(1).raw());
    assertEquals("{\"x\"", o.rest());
    assertEquals(List.of(), o.problems());
  }

  @Test
  void countsOnlyMessagesWhoseTerminatorArrived() {
    byte[] b = bytes("{}\r\n{}\r");
    assertEquals(1, Output.count(b, b.length));
    assertEquals(0, Output.count(b, 3));
    assertEquals(1, Output.count(b, 4));
  }

  @Test
  void reportsFramingProblems() {
    assertEquals(
        List.of("message 1: bare LF (no CR) after the message"),
        Output.parse(bytes("{}\n"), false).problems());
    assertEquals(
        List.of("message 1: no CRLF after the message"),
        Output.parse(bytes("{}{}\r\n"), false).problems());
    assertEquals(
        List.of("message 1: line break inside a compact message at byte 1"),
        Output.parse(bytes("{\r\n}\r\n"), false).problems());
    assertEquals(
        List.of("message 1: bare LF inside a pretty message"),
        Output.parse(bytes("{\n    \"a\": 1\r\n}\r\n"), true).problems());
    assertEquals(List.of(), Output.parse(bytes("{\r\n    \"a\": 1\r\n}\r\n"), true).problems());
    Output junk = Output.parse(bytes("garbage\r\n{}\r\n"), false);
    assertEquals(2, junk.messages().size());
    assertTrue(junk.problems().get(0).startsWith("message 1: does not start with '{'"));
  }

  @Test
  void comparesAsJsonValuesWithTimestampsAndVersionNormalised() {
    Output.Message a =
        one(
            "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}\r\n",
            false);
    Output.Message b =
        one(
            "{\"event\": \"STOP\", \"timestamp\": {\"microseconds\": 9, \"seconds\": 8}}\r\n",
            false);
    assertTrue(a.sameAs(b));
    assertFalse(a.normalised().equals(b.normalised())); // member order differs on the wire
    Output.Message v1 =
        one(
            "{\"return\": {\"qemu\": {\"micro\": 22, \"minor\": 2}, \"package\": \"x\"}}\r\n",
            false);
    Output.Message v2 =
        one("{\"return\": {\"qemu\": {\"micro\": 0, \"minor\": 2}, \"package\": \"\"}}\r\n", false);
    assertTrue(v1.sameAs(v2));
    assertEquals(v1.normalised(), v2.normalised());
    Output.Message minor =
        one("{\"return\": {\"qemu\": {\"micro\": 0, \"minor\": 3}, \"package\": \"\"}}\r\n", false);
    assertFalse(v1.sameAs(minor));
  }

  @Test
  void numbersMustBeWrittenAlike() {
    assertFalse(one("{\"id\": 1}\r\n", false).sameAs(one("{\"id\": 1.0}\r\n", false)));
    assertTrue(one("{\"id\": 0.1}\r\n", false).sameAs(one("{\"id\": 0.1}\r\n", false)));
  }

  @Test
  void invalidJsonIsComparedAsText() {
    Output.Message inf = one("{\"id\": inf}\r\n", false);
    assertNull(inf.value());
    assertTrue(inf.sameAs(one("{\"id\": inf}\r\n", false)));
    assertFalse(inf.sameAs(one("{\"id\": -inf}\r\n", false)));
  }

  @Test
  void duplicateKeysAreNotValidJson() {
    assertNull(one("{\"a\": 1, \"a\": 2}\r\n", false).value());
  }

  private static Output.Message one(String s, boolean pretty) {
    Output o = Output.parse(bytes(s), pretty);
    assertEquals(1, o.messages().size(), s);
    return o.messages().get(0);
  }
}
