package org.qmp4j.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The table of argument validation cases recorded from QEMU 7.2 ({@code qemu-7.2-validation.json}):
 * each row is a command, its arguments and QEMU's answer, {@code "ok"} or {@code {"class": ...,
 * "desc": ...}}. A row marked {@code "handler": true} failed in the command's handler, after
 * validation passed.
 */
final class ValidationTable {
  static final String RESOURCE = "qemu-7.2-validation.json";
  static final String SCHEMA_RESOURCE = "qemu-7.2-schema.json.gz";
  static final String PRECISE_SCHEMA_RESOURCE = "qemu-7.2-schema-unmasked.json.gz";
  static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One case. {@code arguments} is null when the request has no arguments member; {@code
   * introspected}, when not null, is the answer of a validator that knows only the masked schema
   * (integer widths and alternate names lost), where it differs from QEMU's.
   */
  record Row(
      String command,
      JsonNode arguments,
      boolean handler,
      String note,
      JsonNode qemu,
      JsonNode introspected) {
    boolean ok() {
      return qemu.isTextual() && qemu.asText().equals("ok");
    }

    String errorClass() {
      return qemu.path("class").asText(null);
    }

    String desc() {
      return qemu.path("desc").asText(null);
    }

    @Override
    public String toString() {
      return command + " " + arguments;
    }
  }

  private ValidationTable() {}

  static JsonNode header(JsonNode table) {
    ObjectNode h = table.deepCopy();
    h.remove("rows");
    return h;
  }

  static List<Row> rows(JsonNode table) {
    List<Row> rows = new ArrayList<>();
    for (JsonNode r : table.get("rows")) {
      rows.add(
          new Row(
              r.get("command").asText(),
              r.get("arguments"),
              r.path("handler").asBoolean(false),
              r.path("note").asText(null),
              r.path("qemu"),
              r.get("introspected")));
    }
    return rows;
  }

  static JsonNode load() {
    try (InputStream in = resource(RESOURCE)) {
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode loadGzip(String name) {
    try (InputStream in = new GZIPInputStream(resource(name))) {
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static InputStream resource(String name) {
    InputStream in = ValidationTable.class.getResourceAsStream(name);
    if (in == null) {
      throw new IllegalStateException("missing test resource " + name);
    }
    return in;
  }

  /** Writes the table with one row per line, so that diffs stay readable. */
  static void write(Path file, JsonNode header, List<Row> rows) throws IOException {
    StringBuilder sb = new StringBuilder("{\n");
    header
        .fields()
        .forEachRemaining(
            e -> {
              try {
                sb.append("  ")
                    .append(JSON.writeValueAsString(e.getKey()))
                    .append(": ")
                    .append(JSON.writeValueAsString(e.getValue()))
                    .append(",\n");
              } catch (IOException ex) {
                throw new UncheckedIOException(ex);
              }
            });
    sb.append("  \"rows\": [\n");
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      ObjectNode o = JSON.createObjectNode().put("command", r.command());
      if (r.arguments() != null) {
        o.set("arguments", r.arguments());
      }
      if (r.handler()) {
        o.put("handler", true);
      }
      if (r.note() != null) {
        o.put("note", r.note());
      }
      o.set("qemu", r.qemu());
      if (r.introspected() != null) {
        o.set("introspected", r.introspected());
      }
      sb.append("    ").append(JSON.writeValueAsString(o));
      sb.append(i + 1 < rows.size() ? ",\n" : "\n");
    }
    sb.append("  ]\n}\n");
    Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
  }
}
