package org.qmp4j.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * An error reply: {@code {"id": 1, "error": {"class": "GenericError", "desc": "..."}}}.
 *
 * @param errorClass the error class, e.g. {@code "GenericError"}
 * @param desc the human-readable description
 * @param id the id of the request, or {@code null} if there is none (QEMU sends none for JSON
 *     syntax errors; a JSON {@code null} id is a {@code NullNode})
 */
public record QmpErrorReply(String errorClass, String desc, JsonNode id) implements QmpMessage {

  public QmpErrorReply {
    Objects.requireNonNull(errorClass, "errorClass");
    Objects.requireNonNull(desc, "desc");
  }

  /** The reply a server sends for {@code error}, answering the request with {@code id}. */
  public static QmpErrorReply of(QmpErrorException error, JsonNode id) {
    return new QmpErrorReply(error.errorClass(), error.desc(), id);
  }

  /**
   * The exception for this reply, of the subtype matching its class (see {@link
   * QmpErrorException#of}).
   *
   * @param command the command that failed, or {@code null} if unknown
   */
  public QmpErrorException toException(String command) {
    return QmpErrorException.of(errorClass, desc, id, command);
  }

  @Override
  public ObjectNode toJson() {
    ObjectNode json = QmpJson.objectNode();
    if (id != null) {
      json.set("id", id);
    }
    ObjectNode error = json.putObject("error");
    error.put("class", errorClass);
    error.put("desc", desc);
    return json;
  }
}
