package org.qmp4j.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * A command request: {@code {"execute": "query-status", "arguments": {...}, "id": 1}}, or with
 * {@code "exec-oob"} instead of {@code "execute"} for out-of-band execution.
 *
 * @param command the command name
 * @param arguments the arguments object, or {@code null} for none ({@code arguments} is then left
 *     out)
 * @param id the request id, any JSON value, or {@code null} for none (a JSON {@code null} id is a
 *     {@code NullNode})
 * @param oob whether the request is sent with {@code exec-oob}
 */
public record QmpRequest(String command, ObjectNode arguments, JsonNode id, boolean oob)
    implements QmpMessage {

  public QmpRequest {
    Objects.requireNonNull(command, "command");
  }

  /** An in-band request without arguments or id. */
  public static QmpRequest of(String command) {
    return new QmpRequest(command, null, null, false);
  }

  /** An in-band request with arguments (or {@code null}) and no id. */
  public static QmpRequest of(String command, ObjectNode arguments) {
    return new QmpRequest(command, arguments, null, false);
  }

  /** This request with another id. */
  public QmpRequest withId(JsonNode id) {
    return new QmpRequest(command, arguments, id, oob);
  }

  /** This request with a numeric id (see {@link QmpJson#number(long)}). */
  public QmpRequest withId(long id) {
    return withId(QmpJson.number(id));
  }

  /** This request sent in-band ({@code false}) or out-of-band ({@code true}). */
  public QmpRequest withOob(boolean oob) {
    return new QmpRequest(command, arguments, id, oob);
  }

  @Override
  public ObjectNode toJson() {
    ObjectNode json = QmpJson.objectNode();
    json.put(oob ? "exec-oob" : "execute", command);
    if (arguments != null) {
      json.set("arguments", arguments);
    }
    if (id != null) {
      json.set("id", id);
    }
    return json;
  }
}
