package org.qmp4j.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * A successful reply: {@code {"return": {...}, "id": 1}}.
 *
 * @param value the {@code return} value; commands without a result return {@code {}}
 * @param id the id of the request, or {@code null} if the request had none (a JSON {@code null} id
 *     is a {@code NullNode})
 */
public record QmpReturn(JsonNode value, JsonNode id) implements QmpMessage {

  public QmpReturn {
    Objects.requireNonNull(value, "value");
  }

  /** The reply of a command without a result: {@code {"return": {}}}. */
  public static QmpReturn empty(JsonNode id) {
    return new QmpReturn(QmpJson.objectNode(), id);
  }

  /** Binds the return value to {@code type} with {@link QmpJson#convert(JsonNode, Class)}. */
  public <T> T valueAs(Class<T> type) {
    return QmpJson.convert(value, type);
  }

  @Override
  public ObjectNode toJson() {
    ObjectNode json = QmpJson.objectNode();
    json.set("return", value);
    if (id != null) {
      json.set("id", id);
    }
    return json;
  }
}
