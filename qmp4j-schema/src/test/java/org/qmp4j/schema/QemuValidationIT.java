package org.qmp4j.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.schema.ValidationTable.Row;

/**
 * Against the real QEMU on the PATH: its schema is still the recorded one and round-trips, and it
 * still answers the validation table as recorded, as does the validator with the schema just read
 * from it. Skips without QEMU, unless {@code CI=true}.
 */
class QemuValidationIT {
  private static QemuMonitor qemu;
  private static JsonNode live;

  @BeforeAll
  static void start() throws Exception {
    if (!QemuMonitor.available()) {
      if ("true".equals(System.getenv("CI"))) {
        fail(QemuMonitor.BINARY + " is not on the PATH, and CI=true");
      }
      Assumptions.abort(QemuMonitor.BINARY + " is not on the PATH");
    }
    qemu = QemuMonitor.start();
    live = qemu.execute("query-qmp-schema", null).get("return");
  }

  @AfterAll
  static void stop() throws Exception {
    if (qemu != null) {
      qemu.close();
    }
  }

  @Test
  void liveSchemaIsTheRecordedOneAndRoundTrips() {
    assertEquals(ValidationTable.loadGzip(ValidationTable.SCHEMA_RESOURCE), live);
    assertEquals(live, QapiSchema.fromIntrospection(live).toIntrospection());
  }

  @Test
  void qemuAndValidatorStillAnswerTheTable() throws Exception {
    QapiSchema schema = QapiSchema.fromIntrospection(live);
    List<String> mismatches = new ArrayList<>();
    int checked = 0;
    for (Row r : ValidationTable.rows(ValidationTable.load())) {
      JsonNode reply = qemu.execute(r.command(), r.arguments());
      JsonNode answer =
          reply.has("error")
              ? ValidationTable.JSON
                  .createObjectNode()
                  .put("class", reply.at("/error/class").asText())
                  .put("desc", reply.at("/error/desc").asText())
              : ValidationTable.JSON.getNodeFactory().textNode("ok");
      if (!answer.equals(r.qemu())) {
        mismatches.add("QEMU now answers " + r + " with " + answer + ", recorded " + r.qemu());
      }
      if (r.handler() || r.ok()) {
        continue;
      }
      JsonNode expected = r.introspected() != null ? r.introspected() : answer;
      String ours;
      try {
        schema.validateArguments(r.command(), r.arguments());
        ours = "ok";
      } catch (QmpErrorException e) {
        ours = e.desc();
      }
      if (!expected.path("desc").asText("ok").equals(ours)) {
        mismatches.add("qmp4j answers " + r + " with " + ours + ", expected " + expected);
      }
      checked++;
    }
    assertEquals(List.of(), mismatches);
    assertTrue(checked >= 80, "validation errors checked: " + checked);
  }
}
