package org.qmp4j.sim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.sim.RunState;

/**
 * Drives, their media and trays, named block nodes, I/O errors, image corruption and quorum
 * reports. Guarded by the machine's monitor.
 */
public final class Block {
  private static final AtomicInteger NODE_NUMBERS = new AtomicInteger(100);

  /** An image opened as a block node. */
  static final class Node {
    final String nodeName;
    final boolean autoNamed;
    final String file;
    final String format;
    final long virtualSize;
    final long actualSize;
    long allocated;
    boolean readOnly;
    boolean corrupt;
    String attachedTo;

    Node(String nodeName, boolean autoNamed, String file, String format, long size, long actual) {
      this.nodeName = nodeName;
      this.autoNamed = autoNamed;
      this.file = file;
      this.format = format;
      this.virtualSize = size;
      this.actualSize = actual;
    }
  }

  /** A drive (a BlockBackend) and the guest device it is attached to. */
  static final class Drive {
    /** The key in {@link #drives}: the name, or a unique key for an anonymous backend. */
    final String key;

    /** The backend's name: {@code query-block}'s {@code device}, "" when anonymous. */
    final String id;

    final String deviceId;
    final String qdev;
    final boolean removable;
    final boolean tray;
    final String rerror;
    final String werror;
    boolean trayOpen;
    boolean locked;
    String ioStatus = "ok";
    Node medium;

    /** QEMU's BlockBackend root state: whether a medium changed in "retain" mode is read-only. */
    boolean rootReadOnly;

    Drive(String key, MachineConfig.DriveSpec spec) {
      this.key = key;
      this.id = spec.id();
      this.deviceId = spec.deviceId();
      this.qdev = spec.qdev();
      this.removable = spec.removable();
      this.tray = spec.tray();
      this.rerror = spec.rerror() == null ? "report" : spec.rerror();
      this.werror = spec.werror() == null ? "enospc" : spec.werror();
      this.rootReadOnly = spec.readOnly();
    }
  }

  /** What opening an image on the host tells: its format and sizes. */
  record Probe(String format, long virtualSize, long actualSize) {}

  private final Machine machine;
  final Map<String, Drive> drives = new LinkedHashMap<>();
  final Map<String, Node> nodes = new LinkedHashMap<>();
  final Jobs jobs;

  Block(Machine machine) {
    this.machine = machine;
    for (ObjectNode blockdev : machine.config().blockdevs()) {
      try {
        blockdevAdd(blockdev);
      } catch (QmpErrorException e) {
        throw new IllegalArgumentException("-blockdev " + blockdev + ": " + e.desc());
      }
    }
    int anonymous = 0;
    for (MachineConfig.DriveSpec spec : machine.config().drives()) {
      Drive d = new Drive(spec.id().isEmpty() ? "\u0000anonymous" + anonymous++ : spec.id(), spec);
      Node existing = spec.nodeName() == null ? null : nodes.get(spec.nodeName());
      if (existing != null) {
        attach(d, existing);
      } else if (spec.file() != null) {
        Node n =
            new Node(
                spec.nodeName() != null ? spec.nodeName() : nextNodeName(),
                spec.nodeName() == null,
                spec.file(),
                spec.format() != null ? spec.format() : "raw",
                spec.virtualSize(),
                spec.actualSize() >= 0 ? spec.actualSize() : spec.virtualSize() / 64);
        n.readOnly = spec.readOnly();
        nodes.put(n.nodeName, n);
        attach(d, n);
      }
      drives.put(d.key, d);
    }
    this.jobs = new Jobs(machine, this);
  }

  private static String nextNodeName() {
    return "#block" + NODE_NUMBERS.getAndAdd(18);
  }

  private Node autoNode(String file, String format, long size, long actual) {
    Node n = new Node(nextNodeName(), true, file, format, size, Math.max(actual, 0));
    nodes.put(n.nodeName, n);
    return n;
  }

  /** A node for an image a job creates (drive-mirror's target), not yet attached. */
  Node unattachedNode(String file, String format, long size, long actual) {
    Node n = new Node(nextNodeName(), true, file, format, size, actual);
    return n;
  }

  /**
   * A completed mirror switches its drive over to the target, which then holds what the mirror
   * wrote ({@code copied} bytes allocated); an auto-named old medium goes away.
   */
  void switchOver(Drive d, Node target, long copied) {
    Node old = d.medium;
    if (old != null) {
      old.attachedTo = null;
      if (old.autoNamed) {
        nodes.remove(old.nodeName);
      }
    }
    target.allocated = Math.max(target.allocated, copied);
    target.readOnly = old != null && old.readOnly;
    nodes.put(target.nodeName, target);
    attach(d, target);
  }

  private static void attach(Drive d, Node n) {
    d.medium = n;
    n.attachedTo = d.key;
  }

  // ---------------------------------------------------------------------------------------------
  // Lookup, with QEMU's texts

  /** The drive by {@code device} (its name) or {@code id} (its guest device's qdev id). */
  Drive lookup(JsonNode args) {
    String device = Json.str(args, "device", null);
    String id = Json.str(args, "id", null);
    if ((device == null) == (id == null)) {
      throw Machine.error("Need exactly one of 'device' and 'id'");
    }
    if (device != null) {
      Drive d = drives.get(device);
      if (d == null) {
        throw deviceNotFound(device);
      }
      return d;
    }
    for (Drive d : drives.values()) {
      if (id.equals(d.deviceId)) {
        if (!id.equals(d.qdev)) {
          throw Machine.error("Device does not have a block device backend");
        }
        return d;
      }
    }
    throw deviceNotFound(id);
  }

  Drive drive(String device) {
    Drive d = drives.get(device);
    if (d == null) {
      throw deviceNotFound(device);
    }
    return d;
  }

  static QmpErrorException deviceNotFound(String name) {
    return new QmpErrorException.DeviceNotFoundException(
        "Device '" + name + "' not found", null, null);
  }

  private static String label(JsonNode args, Drive d) {
    return Json.str(args, "device", null) != null ? d.id : d.deviceId;
  }

  // ---------------------------------------------------------------------------------------------
  // Trays and media

  ArrayNode queryBlock() {
    ArrayNode out = Json.arr();
    for (Drive d : drives.values()) {
      ObjectNode e = Json.obj("io-status", d.qdev != null ? d.ioStatus : null, "device", d.id);
      e.put("locked", d.locked);
      e.put("removable", d.removable);
      if (d.medium != null) {
        e.set("inserted", inserted(d.medium));
      }
      Json.put(e, "qdev", d.qdev);
      if (d.tray) {
        e.put("tray_open", d.trayOpen);
      }
      e.put("type", "unknown");
      out.add(e);
    }
    return out;
  }

  private static ObjectNode inserted(Node n) {
    ObjectNode image =
        Json.obj(
            "virtual-size",
            n.virtualSize,
            "filename",
            n.file,
            "format",
            n.format,
            "actual-size",
            n.actualSize);
    if (n.format.equals("qcow2")) {
      image.put("cluster-size", 65536);
      image.set(
          "format-specific",
          Json.obj(
              "type",
              "qcow2",
              "data",
              Json.obj(
                  "compat",
                  "1.1",
                  "compression-type",
                  "zlib",
                  "lazy-refcounts",
                  false,
                  "refcount-bits",
                  16,
                  "corrupt",
                  n.corrupt,
                  "extended-l2",
                  false)));
    }
    image.put("dirty-flag", false);
    ObjectNode i = Json.obj("iops_rd", 0, "detect_zeroes", "off", "image", image, "iops_wr", 0);
    i.put("ro", n.readOnly);
    i.put("node-name", n.nodeName);
    i.put("backing_file_depth", 0);
    i.put("drv", n.format);
    i.put("iops", 0);
    i.put("bps_wr", 0);
    i.put("write_threshold", 0);
    i.put("encrypted", false);
    i.put("bps", 0);
    i.put("bps_rd", 0);
    i.set("cache", Json.obj("no-flush", false, "direct", false, "writeback", true));
    i.put("file", n.file);
    return i;
  }

  private void requireRemovable(Drive d) {
    if (!d.removable) {
      throw Machine.error("Device '" + d.id + "' is not removable");
    }
  }

  /** Moves the tray of a device that has one (QEMU ignores tray commands for the others). */
  private void moveTray(Drive d, boolean open) {
    if (d.tray && d.trayOpen != open) {
      d.trayOpen = open;
      machine.emit(
          "DEVICE_TRAY_MOVED",
          Json.obj("device", d.id, "id", d.deviceId != null ? d.deviceId : "", "tray-open", open));
    }
  }

  void openTray(JsonNode args) {
    Drive d = lookup(args);
    requireRemovable(d);
    if (d.locked && !Json.bool(args, "force", false)) {
      throw Machine.error(
          "Device '"
              + label(args, d)
              + "' is locked and force was not specified, wait for tray to open and try again");
    }
    d.locked = false;
    moveTray(d, true);
  }

  void closeTray(JsonNode args) {
    Drive d = lookup(args);
    requireRemovable(d);
    moveTray(d, false);
  }

  void eject(JsonNode args) {
    Drive d = lookup(args);
    requireRemovable(d);
    openTray(args);
    removeMedium(args);
  }

  void removeMedium(JsonNode args) {
    Drive d = lookup(args);
    requireRemovable(d);
    if (d.tray && !d.trayOpen) {
      throw Machine.error("Tray of device '" + label(args, d) + "' is not open");
    }
    if (d.medium != null) {
      d.rootReadOnly = d.medium.readOnly;
      d.medium.attachedTo = null;
      if (d.medium.autoNamed) {
        nodes.remove(d.medium.nodeName);
      }
      d.medium = null;
    }
  }

  void insertMedium(JsonNode args) {
    Drive d = lookup(args);
    String nodeName = Json.str(args, "node-name", "");
    Node n = nodes.get(nodeName);
    if (n == null) {
      throw Machine.error("Node '" + nodeName + "' not found");
    }
    requireRemovable(d);
    if (d.tray && !d.trayOpen) {
      throw Machine.error("Tray of the device is not open"); // blockdev-insert-medium's words
    }
    if (d.medium != null) {
      throw Machine.error("There already is a medium in the device");
    }
    if (n.attachedTo != null) {
      throw Machine.error("Node '" + nodeName + "' is already in use");
    }
    attach(d, n);
  }

  void changeMedium(JsonNode args) {
    Drive d = lookup(args);
    requireRemovable(d);
    String filename = Json.str(args, "filename", "");
    if (d.medium != null) {
      d.rootReadOnly = d.medium.readOnly;
    }
    String mode = Json.str(args, "read-only-mode", "retain");
    boolean readOnly = mode.equals("retain") ? d.rootReadOnly : mode.equals("read-only");
    Node n = open(filename, Json.str(args, "format", null), readOnly);
    n.readOnly = readOnly;
    openTray(args);
    removeMedium(args);
    attach(d, n);
    closeTray(args);
  }

  /**
   * Opens {@code filename} on the host, as QEMU does, to learn its size and format. A qcow2 image
   * opened read-write takes the write permission on its file at once; a guest device using the same
   * file does not share it, so QEMU's image locking refuses the open (before the format is
   * checked).
   */
  private Node open(String filename, String format, boolean readOnly) {
    Probe probe;
    try {
      if (!readOnly && Files.exists(Path.of(filename))) {
        boolean qcow2 =
            format != null
                ? format.equals("qcow2")
                : probe(filename, null).format().equals("qcow2");
        for (Drive d : drives.values()) {
          if (qcow2 && d.medium != null && d.qdev != null && d.medium.file.equals(filename)) {
            throw Machine.error("Failed to get \"write\" lock");
          }
        }
      }
      probe = probe(filename, format);
    } catch (IllegalArgumentException e) {
      throw Machine.error(e.getMessage());
    }
    return autoNode(filename, probe.format(), probe.virtualSize(), probe.actualSize());
  }

  /**
   * Looks at an image on the host: its format ({@code format}, or qcow2 or raw by its first bytes)
   * and sizes.
   *
   * @throws IllegalArgumentException with QEMU's text when it cannot be opened as {@code format}
   */
  static Probe probe(String filename, String format) {
    Path p = Path.of(filename);
    if (!Files.exists(p)) {
      throw new IllegalArgumentException(
          "Could not open '" + filename + "': No such file or directory");
    }
    try {
      long size = Files.size(p);
      byte[] head = new byte[32];
      int got;
      try (InputStream in = Files.newInputStream(p)) {
        got = in.readNBytes(head, 0, head.length);
      }
      boolean qcow2 = got >= 32 && head[0] == 'Q' && head[1] == 'F' && head[2] == 'I';
      String fmt = format != null ? format : qcow2 ? "qcow2" : "raw";
      if (fmt.equals("qcow2")) {
        if (!qcow2) {
          throw new IllegalArgumentException("Image is not in qcow2 format");
        }
        size = ByteBuffer.wrap(head, 24, 8).getLong();
      }
      long actual = Math.max(4096, (Files.size(p) + 4095) / 4096 * 4096);
      return new Probe(fmt, size, actual);
    } catch (IOException e) {
      throw new IllegalArgumentException("Could not open '" + filename + "': " + e.getMessage());
    }
  }

  /** blockdev-add, for the drivers whose images the simulator can open: file, raw, qcow2. */
  void blockdevAdd(JsonNode args) {
    String nodeName = Json.str(args, "node-name", null);
    if (nodeName == null) {
      throw Machine.error("A top-level node-name is required"); // QEMU 7.2's words for blockdev-add
    }
    if (nodes.containsKey(nodeName) || drives.containsKey(nodeName)) {
      throw Machine.error(
          "node-name '" + nodeName + "' is already in use"); // bdrv_assign_node_name
    }
    String driver = Json.str(args, "driver", "");
    JsonNode file = args.get("file");
    String filename;
    if (driver.equals("file")) {
      filename = Json.str(args, "filename", "");
    } else if (file != null && file.isObject()) {
      filename = Json.str(file, "filename", "");
    } else if (file != null && file.isTextual()) {
      Node ref = nodes.get(file.asText());
      if (ref == null) {
        throw Machine.error("Cannot find device='' nor node-name='" + file.asText() + "'");
      }
      filename = ref.file;
    } else {
      throw Machine.error("The simulator cannot open block driver '" + driver + "'");
    }
    Node opened =
        open(filename, driver.equals("file") ? "raw" : driver, Json.bool(args, "read-only", false));
    nodes.remove(opened.nodeName);
    Node n =
        new Node(
            nodeName, false, opened.file, opened.format, opened.virtualSize, opened.actualSize);
    n.readOnly = Json.bool(args, "read-only", false);
    nodes.put(nodeName, n);
  }

  void blockdevDel(JsonNode args) {
    String nodeName = Json.str(args, "node-name", "");
    Node n = nodes.get(nodeName);
    if (n == null || n.autoNamed) {
      throw Machine.error("Failed to find node with node-name='" + nodeName + "'");
    }
    if (n.attachedTo != null) {
      throw Machine.error("Node " + nodeName + " is in use");
    }
    nodes.remove(nodeName);
  }

  /**
   * A system reset: IDE CD-ROMs close their trays and unlock them, without DEVICE_TRAY_MOVED (QEMU
   * 7.2's ide_reset clears the tray state silently).
   */
  void reset() {
    for (Drive d : drives.values()) {
      if (d.tray) {
        d.trayOpen = false;
        d.locked = false;
      }
    }
  }

  /** {@code cont} resets every drive's I/O status. */
  void resetIoStatus() {
    for (Drive d : drives.values()) {
      d.ioStatus = "ok";
    }
    jobs.resetIoStatus();
  }

  // ---------------------------------------------------------------------------------------------
  // Errors a guest's I/O meets

  /**
   * A guest request on {@code device} fails: BLOCK_IO_ERROR with the drive's rerror/werror action,
   * then STOP (state io-error) when the action is stop.
   */
  public void ioError(String device, String operation, boolean nospace) {
    synchronized (machine) {
      Drive d = drive(device);
      if (d.medium == null) {
        throw Machine.error("Device '" + device + "' has no medium");
      }
      String policy = operation.equals("read") ? d.rerror : d.werror;
      String action;
      switch (policy) {
        case "ignore":
          action = "ignore";
          break;
        case "stop":
          action = "stop";
          break;
        case "enospc":
          action = nospace ? "stop" : "report";
          break;
        case "report":
        default:
          action = "report";
          break;
      }
      ObjectNode data =
          Json.obj(
              "device",
              d.id,
              "node-name",
              d.medium.nodeName,
              "operation",
              operation,
              "action",
              action);
      data.put("nospace", nospace);
      data.put("reason", nospace ? "No space left on device" : "Input/output error");
      machine.emit("BLOCK_IO_ERROR", data);
      if (action.equals("stop")) {
        d.ioStatus = nospace ? "nospace" : "failed";
        machine.vmStop(RunState.IO_ERROR);
      }
    }
  }

  /** The image behind {@code device} is found corrupt (BLOCK_IMAGE_CORRUPTED). */
  public void imageCorrupted(String device, String msg, Long offset, Long size, boolean fatal) {
    synchronized (machine) {
      Drive d = drive(device);
      if (d.medium == null) {
        throw Machine.error("Device '" + device + "' has no medium");
      }
      machine.emit(
          "BLOCK_IMAGE_CORRUPTED",
          Json.obj(
              "device",
              d.id,
              "node-name",
              d.medium.nodeName,
              "msg",
              msg,
              "offset",
              offset,
              "size",
              size,
              "fatal",
              fatal));
      if (fatal) {
        d.medium.corrupt = true;
        d.medium.readOnly = true;
      }
    }
  }

  /** A quorum's children disagree beyond its vote threshold (QUORUM_FAILURE). */
  public void quorumFailure(String reference, long sectorNum, long sectorsCount) {
    machine.emit(
        "QUORUM_FAILURE",
        Json.obj("reference", reference, "sector-num", sectorNum, "sectors-count", sectorsCount));
  }

  /** A quorum child reports bad data or an error (QUORUM_REPORT_BAD). */
  public void quorumReportBad(
      String type, String nodeName, long sectorNum, long sectorsCount, String error) {
    machine.emit(
        "QUORUM_REPORT_BAD",
        Json.obj(
            "type",
            type,
            "error",
            error,
            "node-name",
            nodeName,
            "sector-num",
            sectorNum,
            "sectors-count",
            sectorsCount));
  }

  List<String> driveNames() {
    return new ArrayList<>(drives.keySet());
  }

  public Jobs jobs() {
    return jobs;
  }
}
