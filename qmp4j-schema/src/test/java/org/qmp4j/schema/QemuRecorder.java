package org.qmp4j.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.qmp4j.schema.ValidationTable.Row;

/**
 * Re-records this module's QEMU test data from the real QEMU on the PATH:
 *
 * <ul>
 *   <li>{@code qemu-7.2-schema.json.gz}: the return value of {@code query-qmp-schema};
 *   <li>{@code qemu-7.2-validation.json}: the {@code "qemu"} answer of every row (the rows
 *       themselves, and their {@code handler} marks, are edited by hand).
 * </ul>
 *
 * <p>Run it with {@code ./mvnw -B -o -pl qmp4j-schema -am -Precord-qemu -DskipTests
 * process-test-classes}, or with the resource directory as its only argument. All rows go to one
 * QEMU in table order, so a row's command must not change what a later row sees.
 */
public final class QemuRecorder {
  private QemuRecorder() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "src/test/resources/org/qmp4j/schema");
    Path tableFile = dir.resolve(ValidationTable.RESOURCE);
    JsonNode table = ValidationTable.JSON.readTree(tableFile.toFile());
    List<Row> rows = ValidationTable.rows(table);
    List<Row> recorded = new ArrayList<>();
    ObjectNode header = (ObjectNode) ValidationTable.header(table);
    int changed = 0;
    try (QemuMonitor qemu = QemuMonitor.start()) {
      JsonNode version = qemu.greeting().path("QMP").path("version");
      header.put(
          "recordedFrom",
          "QEMU "
              + version.at("/qemu/major").asInt()
              + "."
              + version.at("/qemu/minor").asInt()
              + "."
              + version.at("/qemu/micro").asInt()
              + " ("
              + version.path("package").asText()
              + "), qemu-system-x86_64 -S -machine none -nodefaults");

      JsonNode schema = qemu.execute("query-qmp-schema", null).get("return");
      try (OutputStream out =
          new GZIPOutputStream(
              Files.newOutputStream(dir.resolve(ValidationTable.SCHEMA_RESOURCE)))) {
        out.write(ValidationTable.JSON.writeValueAsString(schema).getBytes(StandardCharsets.UTF_8));
      }
      System.out.println("query-qmp-schema: " + schema.size() + " entries");

      for (Row r : rows) {
        JsonNode reply = qemu.execute(r.command(), r.arguments());
        JsonNode answer;
        if (reply.has("error")) {
          answer =
              ValidationTable.JSON
                  .createObjectNode()
                  .put("class", reply.at("/error/class").asText())
                  .put("desc", reply.at("/error/desc").asText());
        } else {
          answer = ValidationTable.JSON.getNodeFactory().textNode("ok");
        }
        if (!answer.equals(r.qemu())) {
          changed++;
          System.out.println("changed: " + r + ": " + r.qemu() + " -> " + answer);
        }
        recorded.add(
            new Row(r.command(), r.arguments(), r.handler(), r.note(), answer, r.introspected()));
      }
    }
    ValidationTable.write(tableFile, header, recorded);
    System.out.println(recorded.size() + " rows recorded, " + changed + " changed");
  }
}
