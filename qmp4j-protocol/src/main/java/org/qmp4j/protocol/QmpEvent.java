package org.qmp4j.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Objects;

/**
 * An asynchronous event: {@code {"timestamp": {"seconds": S, "microseconds": U}, "event": "STOP",
 * "data": {...}}}.
 *
 * @param name the event name, e.g. {@code "STOP"}
 * @param data the event's data, or {@code null} when it has none; an empty object is stored as
 *     {@code null} because QEMU leaves out an empty {@code data}
 * @param seconds seconds since the epoch when the event was built ({@code -1} if the server could
 *     not read its clock)
 * @param microseconds the microseconds part ({@code -1} likewise)
 */
public record QmpEvent(String name, ObjectNode data, long seconds, long microseconds)
    implements QmpMessage {

  public QmpEvent {
    Objects.requireNonNull(name, "name");
    if (data != null && data.isEmpty()) {
      data = null;
    }
  }

  /** An event stamped with {@code at}, truncated to microseconds. */
  public static QmpEvent of(String name, ObjectNode data, Instant at) {
    return new QmpEvent(name, data, at.getEpochSecond(), at.getNano() / 1000);
  }

  /** The timestamp as an instant, or {@code null} if the server sent {@code -1}. */
  public Instant timestamp() {
    if (seconds < 0 || microseconds < 0) {
      return null;
    }
    return Instant.ofEpochSecond(seconds, microseconds * 1000);
  }

  @Override
  public ObjectNode toJson() {
    ObjectNode json = QmpJson.objectNode();
    ObjectNode timestamp = json.putObject("timestamp");
    timestamp.put("seconds", seconds);
    timestamp.put("microseconds", microseconds);
    json.put("event", name);
    if (data != null) {
      json.set("data", data);
    }
    return json;
  }
}
