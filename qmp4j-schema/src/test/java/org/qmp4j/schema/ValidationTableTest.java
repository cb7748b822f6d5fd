package org.qmp4j.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.schema.ValidationTable.Row;

/**
 * The validator against QEMU 7.2's answers to the recorded table (see {@link QemuRecorder}): with
 * QEMU's schema as its introspection reports it, and with the same schema unmasked (real names and
 * integer widths, see {@code src/test/scripts/qapi_unmask.py}).
 */
class ValidationTableTest {
  private static final JsonNode TABLE = ValidationTable.load();
  private static final List<Row> ROWS = ValidationTable.rows(TABLE);

  private static final QapiSchema INTROSPECTED =
      QapiSchema.fromIntrospection(ValidationTable.loadGzip(ValidationTable.SCHEMA_RESOURCE));
  private static final QapiSchema UNMASKED =
      QapiSchema.fromIntrospection(
          ValidationTable.loadGzip(ValidationTable.PRECISE_SCHEMA_RESOURCE));

  @Test
  void tableIsBigEnough() {
    assertTrue(ROWS.size() >= 80, "rows: " + ROWS.size());
    long errors = ROWS.stream().filter(r -> !r.ok() && !r.handler()).count();
    assertTrue(errors >= 80, "validation errors: " + errors);
  }

  @Test
  void unmaskedSchemaAnswersLikeQemuOnEveryRow() {
    List<String> mismatches = new ArrayList<>();
    for (Row r : ROWS) {
      JsonNode actual = outcome(UNMASKED, r);
      if (!expected(r).equals(actual)) {
        mismatches.add(r + ": QEMU " + r.qemu() + ", qmp4j " + actual);
      }
    }
    assertEquals(List.of(), mismatches);
  }

  @Test
  void introspectedSchemaAnswersLikeQemuExceptWhereItCannotKnow() {
    List<String> mismatches = new ArrayList<>();
    int differing = 0;
    for (Row r : ROWS) {
      JsonNode actual = outcome(INTROSPECTED, r);
      JsonNode expected = r.introspected() != null ? r.introspected() : expected(r);
      if (r.introspected() != null) {
        differing++;
        // Widened integers never refuse what QEMU accepts; the gaps are in refusals only.
        assertTrue(!expected(r).asText("").equals("ok"), "QEMU accepts " + r);
      }
      if (!expected.equals(actual)) {
        mismatches.add(r + ": expected " + expected + ", qmp4j " + actual);
      }
    }
    assertEquals(List.of(), mismatches);
    assertTrue(differing < ROWS.size() / 4, "rows that differ: " + differing);
  }

  /** What validation must answer: "ok" where QEMU's validation passed, else QEMU's error. */
  private static JsonNode expected(Row r) {
    if (r.ok() || r.handler()) {
      return JsonNodeFactory.instance.textNode("ok");
    }
    return r.qemu();
  }

  private static JsonNode outcome(QapiSchema schema, Row r) {
    try {
      schema.validateArguments(r.command(), r.arguments());
      return JsonNodeFactory.instance.textNode("ok");
    } catch (QmpErrorException e) {
      return JsonNodeFactory.instance
          .objectNode()
          .put("class", e.errorClass())
          .put("desc", e.desc());
    }
  }
}
