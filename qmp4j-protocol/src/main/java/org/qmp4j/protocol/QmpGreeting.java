package org.qmp4j.protocol;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Objects;

/**
 * The greeting a QMP server sends on every new connection: {@code {"QMP": {"version": {...},
 * "capabilities": ["oob"]}}}.
 *
 * @param version the server's version
 * @param capabilities the capabilities offered, e.g. {@code ["oob"]}; unknown ones are kept
 * @param json the greeting exactly as received, with any members this version of qmp4j does not
 *     know; when {@code null} is given it is built from {@code version} and {@code capabilities}
 */
public record QmpGreeting(QmpVersion version, List<String> capabilities, ObjectNode json)
    implements QmpMessage {

  /** The {@code oob} capability: out-of-band execution. */
  public static final String OOB = "oob";

  public QmpGreeting {
    Objects.requireNonNull(version, "version");
    capabilities = List.copyOf(capabilities);
    if (json == null) {
      json = build(version, capabilities);
    }
  }

  /** A greeting built from its parts, members in QEMU's order. */
  public static QmpGreeting of(QmpVersion version, List<String> capabilities) {
    return new QmpGreeting(version, capabilities, null);
  }

  /** Whether the server offers {@code capability}. */
  public boolean hasCapability(String capability) {
    return capabilities.contains(capability);
  }

  /** The greeting's JSON: the one received, or the one built from the parts. */
  @Override
  public ObjectNode toJson() {
    return json;
  }

  private static ObjectNode build(QmpVersion version, List<String> capabilities) {
    ArrayNode caps = QmpJson.arrayNode();
    capabilities.forEach(caps::add);
    ObjectNode qmp = QmpJson.objectNode();
    qmp.set("version", version.toJson());
    qmp.set("capabilities", caps);
    ObjectNode json = QmpJson.objectNode();
    json.set("QMP", qmp);
    return json;
  }
}
