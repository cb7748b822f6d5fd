package org.qmp4j.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * A QEMU version, as the greeting and {@code query-version} report it: {@code {"qemu": {"micro":
 * 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}}.
 *
 * @param major the major version, e.g. 7
 * @param minor the minor version, e.g. 2
 * @param micro the micro version, e.g. 22
 * @param packageName the {@code package} string: build information, often empty, never null
 */
public record QmpVersion(int major, int minor, int micro, String packageName)
    implements Comparable<QmpVersion> {

  public QmpVersion {
    Objects.requireNonNull(packageName, "packageName");
  }

  /** {@code major.minor.micro}, e.g. {@code "7.2.22"}. */
  public String versionString() {
    return major + "." + minor + "." + micro;
  }

  /** Whether this version is {@code major.minor} or later. */
  public boolean isAtLeast(int major, int minor) {
    return this.major > major || (this.major == major && this.minor >= minor);
  }

  /** Orders by major, minor, micro; the package string does not count. */
  @Override
  public int compareTo(QmpVersion other) {
    int c = Integer.compare(major, other.major);
    if (c == 0) {
      c = Integer.compare(minor, other.minor);
    }
    return c != 0 ? c : Integer.compare(micro, other.micro);
  }

  /** The {@code VersionInfo} object, members in QEMU's order. */
  public ObjectNode toJson() {
    ObjectNode qemu = QmpJson.objectNode();
    qemu.put("micro", micro);
    qemu.put("minor", minor);
    qemu.put("major", major);
    ObjectNode json = QmpJson.objectNode();
    json.set("qemu", qemu);
    json.put("package", packageName);
    return json;
  }

  /**
   * Reads a {@code VersionInfo} object.
   *
   * @throws QmpProtocolException if it lacks {@code qemu.major/minor/micro} as integers or a string
   *     {@code package}
   */
  public static QmpVersion fromJson(JsonNode json) {
    JsonNode qemu = json == null ? null : json.get("qemu");
    if (qemu == null || !qemu.isObject()) {
      throw new QmpProtocolException(
          "QMP version lacks a 'qemu' object: " + MessageShapes.preview(json));
    }
    JsonNode pkg = json.get("package");
    if (pkg == null || !pkg.isTextual()) {
      throw new QmpProtocolException(
          "QMP version lacks a string 'package': " + MessageShapes.preview(json));
    }
    return new QmpVersion(
        versionPart(qemu, "major", json),
        versionPart(qemu, "minor", json),
        versionPart(qemu, "micro", json),
        pkg.textValue());
  }

  private static int versionPart(JsonNode qemu, String name, JsonNode json) {
    JsonNode part = qemu.get(name);
    if (part == null || !part.canConvertToInt() || !part.isIntegralNumber()) {
      throw new QmpProtocolException(
          "QMP version lacks an integer 'qemu." + name + "': " + MessageShapes.preview(json));
    }
    return part.intValue();
  }
}
