package org.qmp4j.sim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.schema.internal.GHashTableOrder;

/**
 * Memory hot-plug as QEMU 7.2's {@code pc}/{@code q35} machines do it: user-created memory backends
 * under {@code /objects} ({@code object-add}, {@code object-del}, {@code -object}), DIMM slots and
 * the device-memory region ({@code -m SIZE,slots=N,maxmem=MAX}), {@code pc-dimm} devices placed
 * first-fit in that region, and the ACPI memory-hotplug slots the guest reports on ({@code
 * query-acpi-ospm-status}). Guarded by the machine's monitor.
 */
public final class Memory {
  /** Backend types the simulator models, and the alignment a DIMM of each needs. */
  private static final Map<String, Long> BACKENDS =
      Map.of("memory-backend-ram", 2L << 20, "memory-backend-file", 4096L);

  /** The most DIMM slots QEMU's ACPI tables describe. */
  public static final int MAX_SLOTS = 256;

  /** A memory backend ({@code /objects/ID}). */
  static final class Backend {
    final String id;
    final String type;
    final long size;
    Dimm dimm;

    Backend(String id, String type, long size) {
      this.id = id;
      this.type = type;
      this.size = size;
    }
  }

  /** A plugged {@code pc-dimm}. */
  static final class Dimm {
    Devices.Device device;
    final Backend backend;
    final int slot;
    final long addr;

    Dimm(Backend backend, int slot, long addr) {
      this.backend = backend;
      this.slot = slot;
      this.addr = addr;
    }
  }

  private final long ram;
  private final long maxRam;
  private final int slots;
  private final long base;
  private final Map<String, Backend> backends = new LinkedHashMap<>();

  /** The children of {@code /objects} in the order of QEMU's property hash table. */
  private final GHashTableOrder objects = new GHashTableOrder();

  /** What the guest last reported per slot through _OST: {source, status}. */
  private final long[][] ost;

  Memory(MachineConfig config) {
    ram = config.memoryBytes();
    maxRam = Math.max(config.maxMemoryBytes(), ram);
    slots = config.memorySlots();
    base = deviceMemoryBase(config.machineType(), ram);
    ost = new long[slots][2];
    for (ObjectNode o : config.objects()) {
      objectAdd(o);
    }
    if (!config.machineType().equals("none")) {
      backends.put("pc.ram", new Backend("pc.ram", "memory-backend-ram", ram));
      objects.insert("pc.ram");
    }
  }

  /**
   * Where QEMU places the device-memory region: the first GiB boundary above the RAM mapped above 4
   * GiB (RAM up to 3.5 GiB on {@code pc}, 2.75 GiB on {@code q35}, stays below 4 GiB).
   */
  static long deviceMemoryBase(String machineType, long ram) {
    long lowmem;
    if (machineType.startsWith("pc-q35-")) {
      lowmem = ram >= 0xb0000000L ? 0x80000000L : ram;
    } else {
      lowmem = ram >= 0xe0000000L ? (ram > 0xe0000000L ? 0xc0000000L : 0xe0000000L) : ram;
    }
    long above = ram - lowmem;
    long gib = 1L << 30;
    return ((1L << 32) + above + gib - 1) / gib * gib;
  }

  // ---------------------------------------------------------------------------------------------
  // Backends

  void objectAdd(JsonNode a) {
    String type = Json.str(a, "qom-type", "");
    String id = Json.str(a, "id", "");
    Long align = BACKENDS.get(type);
    if (align == null) {
      throw Machine.error("object type '" + type + "' is not simulated by qmp4j");
    }
    if (!id.matches("[A-Za-z][A-Za-z0-9_.-]*")) {
      throw Machine.error("Parameter 'id' expects an identifier");
    }
    if (!a.hasNonNull("size")) {
      throw Machine.error("Parameter 'size' is missing");
    }
    if (type.equals("memory-backend-file") && !a.hasNonNull("mem-path")) {
      throw Machine.error("Parameter 'mem-path' is missing");
    }
    long size = a.get("size").asLong();
    if (size == 0) {
      throw Machine.error("property 'size' of " + type + " doesn't take value '0'");
    }
    if (objects.contains(id)) {
      throw Machine.error(
          "attempt to add duplicate property '" + id + "' to object (type 'container')");
    }
    backends.put(id, new Backend(id, type, size));
    objects.insert(id);
  }

  void objectDel(String id) {
    Backend b = backends.get(id);
    if (b == null) {
      throw Machine.error("object '" + id + "' not found");
    }
    if (b.dimm != null || id.equals("pc.ram")) {
      throw Machine.error("object '" + id + "' is in use, can not be deleted");
    }
    backends.remove(id);
    objects.remove(id);
  }

  /** {@code qom-list /objects} and {@code /objects/ID}; null for another path. */
  ArrayNode qomList(String path) {
    if (path.equals("/objects")) {
      ArrayNode out = Json.arr();
      out.addObject().put("name", "type").put("type", "string");
      List<String> names = new ArrayList<>(objects.keys());
      Collections.reverse(names);
      for (String n : names) {
        out.addObject().put("name", n).put("type", "child<" + backends.get(n).type + ">");
      }
      return out;
    }
    if (path.startsWith("/objects/") && backends.containsKey(path.substring(9))) {
      Backend b = backends.get(path.substring(9));
      ArrayNode out = Json.arr();
      out.addObject().put("name", "type").put("type", "string");
      String[][] props = {
        {"share", "bool"},
        {"size", "int"},
        {"dump", "bool"},
        {"prealloc-threads", "int"},
        {"x-use-canonical-path-for-ramblock-id", "bool"},
        {"policy", "HostMemPolicy"},
        {"prealloc-context", "link<thread-context>"},
        {"prealloc", "bool"},
        {"reserve", "bool"},
        {"host-nodes", "int"},
        {"merge", "bool"}
      };
      for (String[] p : props) {
        out.addObject().put("name", p[0]).put("type", p[1]);
      }
      out.addObject().put("name", b.id + "[0]").put("type", "child<memory-region>");
      return out;
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // DIMMs

  /**
   * The checks of QEMU's pre-plug and realize of a {@code pc-dimm}, in its order; returns where the
   * DIMM goes. {@code memdev} null: not given.
   */
  Dimm prePlug(String memdev, Integer slotHint) {
    Backend b = null;
    if (memdev != null) {
      b = backends.get(memdev);
      if (b == null || b.id.equals("pc.ram")) {
        throw new QmpErrorException.DeviceNotFoundException(
            "Device '" + memdev + "' not found", null, null);
      }
    }
    if (slotHint != null && (slotHint < 0 || slotHint >= slots) && slotHint != -1) {
      throw Machine.error(
          "invalid slot number " + slotHint + ", valid range is [0-" + (slots - 1) + "]");
    }
    if (slots <= 0) {
      throw Machine.error("no slots where allocated, please specify the 'slots' option");
    }
    int slot;
    if (slotHint != null && slotHint >= 0) {
      if (dimmInSlot(slotHint) != null) {
        throw Machine.error("slot " + slotHint + " is busy");
      }
      slot = slotHint;
    } else {
      slot = 0;
      while (slot < slots && dimmInSlot(slot) != null) {
        slot++;
      }
      if (slot == slots) {
        throw Machine.error("no free slots available");
      }
    }
    if (b == null) {
      throw Machine.error("'memdev' property must be set");
    }
    long used = 0;
    for (Dimm d : dimms()) {
      used += d.backend.size;
    }
    if (used + b.size > maxRam - ram) {
      throw Machine.error(
          String.format(
              "not enough space, currently 0x%x in use of total space for memory devices 0x%x",
              used, maxRam - ram));
    }
    long align = BACKENDS.get(b.type);
    if (b.size % align != 0) {
      throw Machine.error(String.format("backend memory size must be multiple of 0x%x", align));
    }
    long addr = alignUp(base, align);
    for (Dimm d : dimms()) {
      if (d.addr < addr + b.size && addr < d.addr + d.backend.size) {
        addr = alignUp(d.addr + d.backend.size, align);
      } else if (d.addr >= addr + b.size) {
        break;
      }
    }
    if (b.dimm != null) {
      throw Machine.error("can't use already busy memdev: " + memdev);
    }
    return new Dimm(b, slot, addr);
  }

  private static long alignUp(long v, long align) {
    return (v + align - 1) / align * align;
  }

  /** The DIMM is realized as {@code device}. */
  void plugged(Dimm d, Devices.Device device) {
    d.device = device;
    d.backend.dimm = d;
  }

  /** The DIMM's device is gone: its backend is free again. */
  void unplugged(Devices.Device device) {
    for (Dimm d : dimms()) {
      if (d.device == device) {
        d.backend.dimm = null;
      }
    }
  }

  Dimm dimmOf(Devices.Device device) {
    for (Dimm d : dimms()) {
      if (d.device == device) {
        return d;
      }
    }
    return null;
  }

  private Dimm dimmInSlot(int slot) {
    for (Dimm d : dimms()) {
      if (d.slot == slot) {
        return d;
      }
    }
    return null;
  }

  /** The plugged DIMMs by address. */
  private List<Dimm> dimms() {
    List<Dimm> out = new ArrayList<>();
    for (Backend b : backends.values()) {
      if (b.dimm != null) {
        out.add(b.dimm);
      }
    }
    out.sort(Comparator.comparingLong(d -> d.addr));
    return out;
  }

  /** The DIMMs in the order QEMU walks the machine's children (by QOM path). */
  private List<Dimm> byPath() {
    List<Dimm> out = dimms();
    out.sort(Comparator.comparingInt(d -> d.slot));
    return out;
  }

  /** The guest reports on a slot through _OST. */
  void ost(int slot, long source, long status) {
    if (slot >= 0 && slot < slots) {
      ost[slot][0] = source;
      ost[slot][1] = status;
    }
  }

  /** The slot of the DIMM {@code device}, or -1. */
  int slotOf(Devices.Device device) {
    Dimm d = dimmOf(device);
    return d == null ? -1 : d.slot;
  }

  // ---------------------------------------------------------------------------------------------
  // Queries

  ArrayNode queryMemoryDevices() {
    ArrayNode out = Json.arr();
    for (Dimm d : byPath()) {
      ObjectNode data =
          Json.obj(
              "memdev",
              "/objects/" + d.backend.id,
              "hotplugged",
              d.device.hotplugged,
              "addr",
              d.addr,
              "hotpluggable",
              true,
              "size",
              d.backend.size,
              "slot",
              d.slot,
              "node",
              0);
      if (!d.device.path.equals(d.device.id)) {
        data.put("id", d.device.id);
      }
      out.add(Json.obj("type", "dimm", "data", data));
    }
    return out;
  }

  ObjectNode querySizeSummary() {
    long plugged = 0;
    for (Dimm d : dimms()) {
      plugged += d.backend.size;
    }
    return Json.obj("base-memory", ram, "plugged-memory", plugged);
  }

  ArrayNode queryAcpiOspmStatus() {
    ArrayNode out = Json.arr();
    for (int s = 0; s < slots; s++) {
      Dimm d = dimmInSlot(s);
      ObjectNode o = Json.obj();
      if (d != null && !d.device.path.equals(d.device.id)) {
        o.put("device", d.device.id);
      }
      o.put("source", ost[s][0]).put("status", ost[s][1]);
      o.put("slot", String.valueOf(s)).put("slot-type", "DIMM");
      out.add(o);
    }
    return out;
  }

  /** HMP {@code info memory-devices}. */
  String infoMemoryDevices() {
    StringBuilder sb = new StringBuilder();
    for (Dimm d : byPath()) {
      sb.append("Memory device [dimm]: \"")
          .append(d.device.path.equals(d.device.id) ? "" : d.device.id)
          .append("\"\r\n");
      sb.append("  addr: 0x").append(Long.toHexString(d.addr)).append("\r\n");
      sb.append("  slot: ").append(d.slot).append("\r\n");
      sb.append("  node: 0\r\n");
      sb.append("  size: ").append(d.backend.size).append("\r\n");
      sb.append("  memdev: /objects/").append(d.backend.id).append("\r\n");
      sb.append("  hotplugged: ").append(d.device.hotplugged).append("\r\n");
      sb.append("  hotpluggable: true\r\n");
    }
    return sb.toString();
  }

  /** HMP {@code info memory_size_summary}. */
  String infoSizeSummary() {
    ObjectNode s = querySizeSummary();
    return "base memory: "
        + s.get("base-memory").asLong()
        + "\r\nplugged memory: "
        + s.get("plugged-memory").asLong()
        + "\r\n";
  }

  /**
   * {@code -object TYPE,id=ID,size=SIZE[,mem-path=...]} as {@code object-add} arguments (sizes with
   * QEMU's suffixes: bytes, or K, M, G, T).
   */
  public static ObjectNode fromOpts(String text) {
    Map<String, String> p = QemuOpts.parse(text, "qom-type");
    ObjectNode o = Json.obj();
    for (Map.Entry<String, String> e : p.entrySet()) {
      if (e.getKey().equals("size")) {
        o.put("size", size(text, e.getValue()));
      } else {
        o.put(e.getKey(), e.getValue());
      }
    }
    return o;
  }

  private static long size(String text, String v) {
    long unit = 1;
    String digits = v;
    if (!v.isEmpty() && Character.isLetter(v.charAt(v.length() - 1))) {
      int shift = "BKMGTPE".indexOf(Character.toUpperCase(v.charAt(v.length() - 1))) * 10;
      if (shift < 0) {
        throw new IllegalArgumentException(
            "-object " + text + ": Parameter 'size' expects a non-negative number below 2^64");
      }
      unit = 1L << shift;
      digits = v.substring(0, v.length() - 1);
    }
    try {
      return Math.multiplyExact(Long.parseLong(digits), unit);
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException(
          "-object " + text + ": Parameter 'size' expects a non-negative number below 2^64");
    }
  }
}
