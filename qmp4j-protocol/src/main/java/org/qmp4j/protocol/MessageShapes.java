package org.qmp4j.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** Recognises the five QMP message shapes in received JSON (see {@link QmpMessage#fromJson}). */
final class MessageShapes {
  private static final int PREVIEW_LIMIT = 200;

  /** The members that decide a message's shape, in the order they are tried. */
  private static final String[] MARKERS = {
    "QMP", "return", "error", "event", "execute", "exec-oob"
  };

  private MessageShapes() {}

  static QmpMessage classify(JsonNode json) {
    if (json == null || !json.isObject()) {
      throw new QmpProtocolException(
          "Not a QMP message: expected a JSON object, got " + preview(json));
    }
    ObjectNode object = (ObjectNode) json;
    List<String> present = new ArrayList<>(2);
    for (String marker : MARKERS) {
      if (object.has(marker)) {
        present.add(marker);
      }
    }
    if (present.isEmpty()) {
      throw new QmpProtocolException(
          "Not a QMP message: no 'QMP', 'return', 'error', 'event', 'execute' or 'exec-oob'"
              + " member: "
              + preview(json));
    }
    if (present.size() > 1) {
      throw new QmpProtocolException(
          "Not a QMP message: both '"
              + present.get(0)
              + "' and '"
              + present.get(1)
              + "' members: "
              + preview(json));
    }
    switch (present.get(0)) {
      case "QMP":
        return greeting(object);
      case "return":
        return new QmpReturn(object.get("return"), object.get("id"));
      case "error":
        return errorReply(object);
      case "event":
        return event(object);
      default:
        return request(object);
    }
  }

  private static QmpGreeting greeting(ObjectNode json) {
    JsonNode qmp = json.get("QMP");
    if (!qmp.isObject()) {
      throw bad("greeting member 'QMP' must be an object", json);
    }
    JsonNode version = qmp.get("version");
    if (version == null || !version.isObject()) {
      throw bad("greeting lacks a 'version' object", json);
    }
    JsonNode caps = qmp.get("capabilities");
    if (caps == null || !caps.isArray()) {
      throw bad("greeting lacks a 'capabilities' array", json);
    }
    List<String> capabilities = new ArrayList<>(caps.size());
    for (JsonNode cap : caps) {
      if (!cap.isTextual()) {
        throw bad("greeting capabilities must be strings", json);
      }
      capabilities.add(cap.textValue());
    }
    return new QmpGreeting(QmpVersion.fromJson(version), capabilities, json);
  }

  private static QmpErrorReply errorReply(ObjectNode json) {
    JsonNode error = json.get("error");
    if (!error.isObject()) {
      throw bad("error member 'error' must be an object", json);
    }
    JsonNode errorClass = error.get("class");
    if (errorClass == null || !errorClass.isTextual()) {
      throw bad("error reply lacks a string 'class'", json);
    }
    JsonNode desc = error.get("desc");
    if (desc == null || !desc.isTextual()) {
      throw bad("error reply lacks a string 'desc'", json);
    }
    return new QmpErrorReply(errorClass.textValue(), desc.textValue(), json.get("id"));
  }

  private static QmpEvent event(ObjectNode json) {
    JsonNode name = json.get("event");
    if (!name.isTextual()) {
      throw bad("event member 'event' must be a string", json);
    }
    JsonNode timestamp = json.get("timestamp");
    if (timestamp == null || !timestamp.isObject()) {
      throw bad("event lacks a 'timestamp' object", json);
    }
    long seconds = timestampPart(timestamp, "seconds", json);
    long microseconds = timestampPart(timestamp, "microseconds", json);
    JsonNode data = json.get("data");
    if (data != null && !data.isObject()) {
      throw bad("event member 'data' must be an object", json);
    }
    return new QmpEvent(name.textValue(), (ObjectNode) data, seconds, microseconds);
  }

  private static long timestampPart(JsonNode timestamp, String name, JsonNode json) {
    JsonNode part = timestamp.get(name);
    if (part == null || !part.isIntegralNumber() || !part.canConvertToLong()) {
      throw bad("event timestamp lacks an integer '" + name + "'", json);
    }
    return part.longValue();
  }

  private static QmpRequest request(ObjectNode json) {
    boolean oob = !json.has("execute");
    String member = oob ? "exec-oob" : "execute";
    JsonNode command = json.get(member);
    if (!command.isTextual()) {
      throw bad("QMP input member '" + member + "' must be a string", json);
    }
    JsonNode arguments = json.get("arguments");
    if (arguments != null && !arguments.isObject()) {
      throw bad("QMP input member 'arguments' must be an object", json);
    }
    return new QmpRequest(command.textValue(), (ObjectNode) arguments, json.get("id"), oob);
  }

  private static QmpProtocolException bad(String what, JsonNode json) {
    return new QmpProtocolException("Not a QMP message: " + what + ": " + preview(json));
  }

  /** The compact JSON of {@code json}, cut to a length fit for an error message. */
  static String preview(JsonNode json) {
    if (json == null) {
      return "nothing";
    }
    String text = QmpWriter.compact().toJson(json);
    return text.length() <= PREVIEW_LIMIT ? text : text.substring(0, PREVIEW_LIMIT) + "...";
  }
}
