package org.qmp4j.sim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.schema.internal.GHashTableOrder;
import org.qmp4j.sim.RunState;

/**
 * Guest devices: hot-plug and unplug (acknowledged by the simulated guest), the PCI bus, QOM paths,
 * NICs and their receive filters, virtio-serial ports, DIMMs, and the balloon. Guarded by the
 * machine's monitor.
 */
public final class Devices {
  /** What the simulator knows of a device model: PCI identity and QOM type. */
  record Model(
      String driver,
      boolean pci,
      int vendor,
      int device,
      int subsystem,
      int classCode,
      String desc) {}

  static final Map<String, Model> MODELS = new LinkedHashMap<>();

  static {
    model(new Model("virtio-net-pci", true, 0x1af4, 0x1000, 1, 0x0200, "Ethernet controller"));
    model(new Model("e1000", true, 0x8086, 0x100e, 0x1100, 0x0200, "Ethernet controller"));
    model(new Model("virtio-blk-pci", true, 0x1af4, 0x1001, 2, 0x0100, "SCSI controller"));
    model(new Model("virtio-balloon-pci", true, 0x1af4, 0x1002, 5, 0x00ff, null));
    // No desc for classes QEMU's table does not name (observed: "class_info": {"class": 1920})
    model(new Model("virtio-serial-pci", true, 0x1af4, 0x1003, 3, 0x0780, null));
    model(new Model("ide-cd", false, 0, 0, 0, 0, null));
    model(new Model("ide-hd", false, 0, 0, 0, 0, null));
    model(new Model("virtserialport", false, 0, 0, 0, 0, null));
    model(new Model("virtconsole", false, 0, 0, 0, 0, null));
    model(new Model("pc-dimm", false, 0, 0, 0, 0, null));
    model(new Model("i6300esb", true, 0x8086, 0x25ab, 0x1100, 0x0880, null));
    model(new Model("pvpanic", false, 0, 0, 0, 0, null));
  }

  private static void model(Model m) {
    MODELS.put(m.driver(), m);
  }

  static final class Device {
    final String id;
    final String path;
    final Model model;
    final int slot;
    final boolean hotplugged;
    String mac;
    boolean pendingUnplug;

    /** The unplug was requested before the guest first ran: a second device_del is refused. */
    boolean unplugRefusesRepeat;

    boolean portOpen;
    String portName;
    ScheduledFuture<?> unplugTimer;

    Device(String id, String path, Model model, int slot, boolean hotplugged) {
      this.id = id;
      this.path = path;
      this.model = model;
      this.slot = slot;
      this.hotplugged = hotplugged;
    }
  }

  private final Machine machine;
  final Map<String, Device> devices = new LinkedHashMap<>();

  /** Memory backends, DIMM slots and the device-memory region. */
  final Memory memory;

  /**
   * The children of {@code /machine/peripheral} and {@code /machine/peripheral-anon} in the order
   * of QEMU's property hash table (qom-list lists them from it, last first).
   */
  private final Map<String, GHashTableOrder> containers = new HashMap<>();

  /** Whether the guest has run since the machine started (left prelaunch once). */
  private boolean guestHasRun;

  private int anonymous;
  private int macCounter = 0x56;
  private Device balloon;
  private long balloonActual;
  private long balloonTarget;
  private ScheduledFuture<?> balloonTimer;

  Devices(Machine machine) {
    this.machine = machine;
    try {
      memory = new Memory(machine.config());
    } catch (QmpErrorException e) {
      throw new IllegalArgumentException("-object: " + e.desc(), e);
    }
    for (MachineConfig.DeviceSpec d : machine.config().devices()) {
      Memory.Dimm dimm = null;
      if (d.driver().equals("pc-dimm")) {
        try {
          dimm = memory.prePlug(d.memdev(), null);
        } catch (QmpErrorException e) {
          throw new IllegalArgumentException("-device pc-dimm: " + e.desc(), e);
        }
      }
      Device dev = add(d.driver(), d.id(), d.mac(), d.slot(), false);
      if (dimm != null) {
        memory.plugged(dimm, dev);
      }
      if (d.driver().equals("virtio-balloon-pci")) {
        balloon = dev;
      }
      dev.portName = d.portName();
    }
    balloonActual = machine.config().memoryBytes();
    balloonTarget = balloonActual;
    if (!machine.config().startPaused()) {
      agentStarts(); // the guest boots at once (the timer finds the machine running)
    }
    guestHasRun = !machine.config().startPaused();
  }

  private GHashTableOrder container(String path) {
    return containers.computeIfAbsent(
        path.substring(0, path.lastIndexOf('/')), p -> new GHashTableOrder());
  }

  private static String childName(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  private Device add(String driver, String id, String mac, int wantedSlot, boolean hotplugged) {
    Model m = MODELS.get(driver);
    if (m == null) {
      throw Machine.error("'" + driver + "' is not a valid device model name");
    }
    if (id != null && devices.containsKey(id)) {
      throw Machine.error("Duplicate device ID '" + id + "'");
    }
    if (id != null && !id.matches("[A-Za-z][A-Za-z0-9_.-]*")) {
      throw Machine.error(
          "Parameter 'id' expects an identifier"); // QEMU's text for ids that are not identifiers
    }
    String path =
        id != null
            ? "/machine/peripheral/" + id
            : "/machine/peripheral-anon/device[" + anonymous++ + "]";
    int slot = 0;
    if (m.pci()) {
      if (machine.config().machineType().equals("none")) {
        throw Machine.error("No 'PCI' bus found for device '" + driver + "'");
      }
      slot = wantedSlot >= 0 ? wantedSlot : firstFreeSlot(driver);
    }
    Device d = new Device(id != null ? id : path, path, m, slot, hotplugged);
    if (driver.equals("virtio-net-pci") || driver.equals("e1000")) {
      d.mac = mac != null ? mac : String.format("52:54:00:12:34:%02x", macCounter++);
    }
    devices.put(d.id, d);
    container(path).insert(childName(path));
    return d;
  }

  /** The first PCI slot no device uses: from 2 on {@code pc}, from 1 on {@code q35}. */
  private int firstFreeSlot(String driver) {
    for (int s = q35() ? 1 : 2; s < 32; s++) {
      boolean used = false;
      for (Device d : devices.values()) {
        used |= d.model.pci() && d.slot == s;
      }
      if (!used) {
        return s;
      }
    }
    throw Machine.error("PCI: no slot/function available for " + driver + ", all in use");
  }

  private boolean q35() {
    return machine.config().machineType().startsWith("pc-q35-");
  }

  // ---------------------------------------------------------------------------------------------
  // Hot-plug

  void deviceAdd(JsonNode args) {
    String driver = Json.str(args, "driver", "");
    String id = Json.str(args, "id", null);
    if (driver.equals("virtio-balloon-pci") && balloon != null) {
      throw Machine.error("Only one balloon device is supported");
    }
    if (driver.equals("virtserialport") || driver.equals("virtconsole")) {
      requireSerialBus(driver, Json.str(args, "bus", null));
    }
    Memory.Dimm dimm = null;
    if (driver.equals("pc-dimm")) {
      if (id != null && devices.containsKey(id)) {
        throw Machine.error("Duplicate device ID '" + id + "'");
      }
      JsonNode slot = args.get("slot");
      dimm =
          memory.prePlug(
              Json.str(args, "memdev", null),
              slot == null
                  ? null
                  : slot.isNumber() ? slot.asInt() : Integer.valueOf(slot.asText()));
    }
    Device d = add(driver, id, Json.str(args, "mac", null), -1, true);
    if (dimm != null) {
      memory.plugged(dimm, d);
    }
    if (driver.equals("virtio-balloon-pci")) {
      balloon = d;
    }
    if (driver.equals("virtserialport") || driver.equals("virtconsole")) {
      d.portName = Json.str(args, "name", d.id);
      if (machine.state() == RunState.RUNNING) {
        agentStarts();
      }
    }
  }

  void deviceDel(String id) {
    Device d = devices.get(id);
    if (d == null) {
      Device byPath = null;
      for (Device x : devices.values()) {
        if (x.path.equals(id)) {
          byPath = x;
        }
      }
      if (byPath == null) {
        throw new QmpErrorException.DeviceNotFoundException(
            "Device '" + id + "' not found", null, null);
      }
      d = byPath;
    }
    boolean dimm = d.model.driver().equals("pc-dimm");
    if (d.pendingUnplug && d.unplugRefusesRepeat && !dimm) {
      // QEMU 7.2 refuses a repeated request only for an unplug asked before the guest ever ran;
      // afterwards it asks the guest again (observed: SeaBIOS run, or not, between the two).
      throw Machine.error("Device " + id + " is already in the process of unplug");
    }
    if (!d.model.pci() && !d.model.driver().startsWith("virt") && !d.hotplugged && !dimm) {
      // IDE devices cannot be unplugged; QEMU puts a device without bus= on the last IDE bus
      throw Machine.error("Bus 'ide.1' does not support hotplugging");
    }
    if (d.pendingUnplug) {
      return;
    }
    d.pendingUnplug = true;
    d.unplugRefusesRepeat = !guestHasRun;
    scheduleUnplug(d);
  }

  private void scheduleUnplug(Device d) {
    if (machine.state() != RunState.RUNNING || machine.config().guestUnplugDelay() == null) {
      return; // the guest acknowledges once it runs
    }
    d.unplugTimer =
        machine.schedule(
            machine.config().guestUnplugDelay(),
            () -> {
              synchronized (machine) {
                if (devices.get(d.id) == d && machine.state() == RunState.RUNNING) {
                  unplugged(d);
                }
              }
            });
  }

  /** The guest released the device: DEVICE_DELETED for its virtio backend, then for itself. */
  void unplugged(Device d) {
    int slot = memory.slotOf(d);
    if (slot >= 0) {
      // A Linux guest reports the ejection in progress (_OST 0x103, 0x80), then ejects (_EJ0)
      memory.ost(slot, 0x103, 0x80);
      acpiOst(d.path.equals(d.id) ? null : d.id, String.valueOf(slot), "DIMM", 0x103, 0x80);
      memory.unplugged(d);
    }
    devices.remove(d.id);
    container(d.path).remove(childName(d.path));
    if (d == balloon) {
      balloon = null;
    }
    if (d.model.driver().startsWith("virtio-") && d.model.pci()) {
      machine.emit("DEVICE_DELETED", Json.obj("path", d.path + "/virtio-backend"));
    }
    machine.emit(
        "DEVICE_DELETED", Json.obj("device", d.path.equals(d.id) ? null : d.id, "path", d.path));
  }

  /** The guest acknowledges every pending unplug (when it runs again). */
  void guestRuns() {
    guestHasRun = true;
    for (Device d : new ArrayList<>(devices.values())) {
      if (d.pendingUnplug && d.unplugTimer == null) {
        scheduleUnplug(d);
      }
    }
    balloonStep();
    agentStarts();
  }

  /** The guest acknowledges the unplug of {@code id} now. */
  public void acknowledgeUnplug(String id) {
    synchronized (machine) {
      Device d = devices.get(id);
      if (d == null || !d.pendingUnplug) {
        throw Machine.error("Device '" + id + "' is not being unplugged");
      }
      unplugged(d);
    }
  }

  /** Memory hot-(un)plug as a guest reports it through ACPI _OST. */
  public void acpiOst(String device, String slot, String slotType, long source, long status) {
    if ("DIMM".equals(slotType) && slot != null && slot.matches("[0-9]+")) {
      memory.ost(Integer.parseInt(slot), source, status);
    }
    machine.emit(
        "ACPI_DEVICE_OST",
        Json.obj(
            "info",
            Json.obj(
                "device",
                device,
                "slot",
                slot,
                "slot-type",
                slotType,
                "source",
                source,
                "status",
                status)));
  }

  /** The guest refused to release a DIMM. */
  public void memUnplugError(String device, String msg) {
    synchronized (machine) {
      Device d = devices.get(device);
      if (d != null) {
        d.pendingUnplug = false;
        if (d.unplugTimer != null) {
          d.unplugTimer.cancel(false);
          d.unplugTimer = null;
        }
      }
      machine.emit("MEM_UNPLUG_ERROR", Json.obj("device", device, "msg", msg));
    }
  }

  void reset() {
    for (Device d : new ArrayList<>(devices.values())) {
      if (d.pendingUnplug
          && machine.state() != RunState.RUNNING
          && !d.model.driver().equals("pc-dimm")) {
        // A reset completes pending unplugs, as QEMU's reset of the hotplug controller does.
        unplugged(d);
      }
    }
    if (machine.state() == RunState.RUNNING) {
      agentStarts(); // the guest boots again
    }
  }

  // ---------------------------------------------------------------------------------------------
  // QOM and PCI

  ArrayNode qomList(String path) {
    ArrayNode objects = memory.qomList(path);
    if (objects != null) {
      return objects;
    }
    ArrayNode out = Json.arr();
    out.addObject().put("name", "type").put("type", "string");
    if (path.equals("/")) {
      String type = machine.config().machineType();
      if (!type.equals("none")) {
        out.addObject().put("name", "objects").put("type", "child<container>");
      }
      out.addObject().put("name", "machine").put("type", "child<" + type + "-machine>");
      out.addObject().put("name", "chardevs").put("type", "child<container>");
      return out;
    }
    if (path.equals("/machine")) {
      out.addObject().put("name", "peripheral").put("type", "child<container>");
      out.addObject().put("name", "peripheral-anon").put("type", "child<container>");
      out.addObject().put("name", "unattached").put("type", "child<container>");
      return out;
    }
    if (path.equals("/machine/peripheral") || path.equals("/machine/peripheral-anon")) {
      // QEMU iterates the container's property hash table and prepends each child to the list
      Map<String, Device> byName = new HashMap<>();
      for (Device d : devices.values()) {
        byName.put(d.path, d);
      }
      List<String> names =
          new ArrayList<>(containers.getOrDefault(path, new GHashTableOrder()).keys());
      java.util.Collections.reverse(names);
      for (String name : names) {
        Device d = byName.get(path + "/" + name);
        if (d != null) {
          out.addObject().put("name", name).put("type", "child<" + d.model.driver() + ">");
        }
      }
      return out;
    }
    for (Device d : devices.values()) {
      if (d.path.equals(path)) {
        out.addObject().put("name", "parent_bus").put("type", "link<bus>");
        out.addObject().put("name", "realized").put("type", "bool");
        out.addObject().put("name", "hotplugged").put("type", "bool");
        out.addObject().put("name", "hotpluggable").put("type", "bool");
        if (d.mac != null) {
          out.addObject().put("name", "mac").put("type", "str");
        }
        if (d.model.driver().equals("pc-dimm")) {
          out.addObject().put("name", "memdev").put("type", "link<memory-backend>");
          out.addObject().put("name", "node").put("type", "uint32");
          out.addObject().put("name", "addr").put("type", "uint64");
          out.addObject().put("name", "legacy-memdev").put("type", "str");
          out.addObject().put("name", "slot").put("type", "int32");
          out.addObject().put("name", "size").put("type", "uint64");
        }
        if (isPort(d)) {
          out.addObject().put("name", "nr").put("type", "uint32");
          out.addObject().put("name", "name").put("type", "str");
          out.addObject().put("name", "chardev").put("type", "str");
        }
        return out;
      }
    }
    throw new QmpErrorException.DeviceNotFoundException(
        "Device '" + path + "' not found", null, null);
  }

  ArrayNode queryPci() {
    ArrayNode devs = Json.arr();
    if (machine.config().machineType().equals("none")) {
      return Json.arr();
    } else if (q35()) {
      devs.add(pci(0, 0, "", 0x0600, "Host bridge", 0x8086, 0x29c0, 0x1af4, 0x1100, false));
    } else {
      devs.add(pci(0, 0, "", 0x0600, "Host bridge", 0x8086, 0x1237, 0x1af4, 0x1100, false));
      devs.add(pci(1, 0, "", 0x0601, "ISA bridge", 0x8086, 0x7000, 0x1af4, 0x1100, false));
      ObjectNode ide =
          pci(1, 1, "", 0x0101, "IDE controller", 0x8086, 0x7010, 0x1af4, 0x1100, false);
      ide.withArray("regions").add(Json.obj("bar", 4, "size", 16, "address", -1, "type", "io"));
      devs.add(ide);
      devs.add(pci(1, 3, "", 0x0680, "Bridge", 0x8086, 0x7113, 0x1af4, 0x1100, true));
    }
    List<Device> bySlot = new ArrayList<>(devices.values());
    bySlot.sort(java.util.Comparator.comparingInt(d -> d.slot));
    for (Device d : bySlot) {
      if (d.model.pci()) {
        Model m = d.model;
        devs.add(
            pci(
                d.slot,
                0,
                d.path.equals(d.id) ? "" : d.id,
                m.classCode(),
                m.desc(),
                m.vendor(),
                m.device(),
                0x1af4,
                m.subsystem(),
                true));
        ((ObjectNode) devs.get(devs.size() - 1)).set("regions", regions(m.driver()));
      }
    }
    if (q35()) {
      devs.add(pci(31, 0, "", 0x0601, "ISA bridge", 0x8086, 0x2918, 0x1af4, 0x1100, false));
      ObjectNode sata =
          pci(31, 2, "", 0x0106, "SATA controller", 0x8086, 0x2922, 0x1af4, 0x1100, true);
      sata.withArray("regions").add(Json.obj("bar", 4, "size", 32, "address", -1, "type", "io"));
      sata.withArray("regions")
          .add(
              Json.obj(
                  "prefetch",
                  false,
                  "mem_type_64",
                  false,
                  "bar",
                  5,
                  "size",
                  4096,
                  "address",
                  -1,
                  "type",
                  "memory"));
      devs.add(sata);
      ObjectNode smbus = pci(31, 3, "", 0x0c05, "SMBus", 0x8086, 0x2930, 0x1af4, 0x1100, true);
      smbus.withArray("regions").add(Json.obj("bar", 4, "size", 64, "address", -1, "type", "io"));
      devs.add(smbus);
    }
    ArrayNode out = Json.arr();
    out.add(Json.obj("bus", 0, "devices", devs));
    return out;
  }

  private static final String IO = "{\"bar\": %d, \"size\": %d, \"address\": -1, \"type\": \"io\"}";
  private static final String MEM =
      "{\"prefetch\": %b, \"mem_type_64\": %b, \"bar\": %d, \"size\": %d, \"address\": -1,"
          + " \"type\": \"memory\"}";

  /** The BARs of each PCI model, as QEMU 7.2 reports them before the guest programs them. */
  private static JsonNode regions(String driver) {
    String virtioMsix = String.format(MEM, false, false, 1, 4096);
    String virtioModern = String.format(MEM, true, true, 4, 16384);
    String rom = String.format(MEM, false, false, 6, 262144);
    String list;
    switch (driver) {
      case "virtio-net-pci":
        list = String.join(", ", String.format(IO, 0, 32), virtioMsix, virtioModern, rom);
        break;
      case "virtio-blk-pci":
        list = String.join(", ", String.format(IO, 0, 128), virtioMsix, virtioModern);
        break;
      case "virtio-balloon-pci":
        list = String.join(", ", String.format(IO, 0, 64), virtioModern);
        break;
      case "virtio-serial-pci":
        list = String.join(", ", String.format(IO, 0, 64), virtioMsix, virtioModern);
        break;
      case "e1000":
        list =
            String.join(
                ", ", String.format(MEM, false, false, 0, 131072), String.format(IO, 1, 64), rom);
        break;
      default:
        list = "";
    }
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree("[" + list + "]");
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ObjectNode pci(
      int slot,
      int function,
      String qdevId,
      int classCode,
      String desc,
      int vendor,
      int device,
      int subVendor,
      int subsystem,
      boolean irq) {
    ObjectNode o = Json.obj("irq_pin", irq ? 1 : 0, "bus", 0, "qdev_id", qdevId);
    if (irq) {
      o.put("irq", 0);
    }
    o.put("slot", slot);
    o.set("class_info", Json.obj("class", classCode, "desc", desc));
    o.set(
        "id",
        Json.obj(
            "device",
            device,
            "subsystem-vendor",
            subVendor,
            "vendor",
            vendor,
            "subsystem",
            subsystem));
    o.put("function", function);
    o.set("regions", Json.arr());
    return o;
  }

  // ---------------------------------------------------------------------------------------------
  // NICs

  ArrayNode queryRxFilter(String name) {
    ArrayNode out = Json.arr();
    for (Device d : devices.values()) {
      if (d.mac == null || (name != null && !name.equals(d.id))) {
        continue;
      }
      if (!d.model.driver().equals("virtio-net-pci")) {
        if (name != null) {
          throw Machine.error("net client(" + name + ") doesn't support rx-filter querying");
        }
        continue;
      }
      ArrayNode vlans = Json.arr();
      for (int v = 4095; v >= 0; v--) {
        vlans.add(v);
      }
      ObjectNode f = Json.obj("promiscuous", true, "name", d.id, "main-mac", d.mac);
      f.put("unicast", "normal");
      f.put("vlan", "all");
      f.set("vlan-table", vlans);
      f.set("unicast-table", Json.arr());
      f.put("multicast", "normal");
      f.put("multicast-overflow", false);
      f.put("unicast-overflow", false);
      f.set("multicast-table", Json.arr());
      f.put("broadcast-allowed", false);
      out.add(f);
      return out;
    }
    if (name != null) {
      throw Machine.error("net client(" + name + ") isn't a NIC");
    }
    return out;
  }

  /** The guest changes a NIC's receive filter (NIC_RX_FILTER_CHANGED). */
  public void rxFilterChanged(String id) {
    synchronized (machine) {
      Device d = devices.get(id);
      if (d == null || d.mac == null) {
        throw Machine.error("No NIC with id '" + id + "'");
      }
      machine.emit(
          "NIC_RX_FILTER_CHANGED", Json.obj("name", d.id, "path", d.path + "/virtio-backend"));
    }
  }

  /** The guest opens or closes a virtio-serial port (VSERPORT_CHANGE). */
  public void vserportChange(String id, boolean open) {
    synchronized (machine) {
      Device d = devices.get(id);
      if (d == null || !isPort(d)) {
        throw Machine.error("No virtio-serial port with id '" + id + "'");
      }
      portChange(d, open);
    }
  }

  /** A port needs a virtio-serial controller; {@code bus=ID.0} must name one (QEMU's texts). */
  private void requireSerialBus(String driver, String bus) {
    boolean any = false;
    boolean anonymous = false;
    boolean named = false;
    for (Device d : devices.values()) {
      if (d.model.driver().equals("virtio-serial-pci")) {
        any = true;
        anonymous |= d.path.equals(d.id);
        named |= (d.id + ".0").equals(bus);
      }
    }
    if (!any) {
      throw Machine.error("No 'virtio-serial-bus' bus found for device '" + driver + "'");
    }
    if (bus != null && !named && !anonymous) {
      throw Machine.error("Bus '" + bus + "' not found");
    }
  }

  private static boolean isPort(Device d) {
    return d.model.driver().equals("virtserialport") || d.model.driver().equals("virtconsole");
  }

  /** The guest's side of a port opens or closes; QEMU tells only of ports with an id. */
  private void portChange(Device d, boolean open) {
    d.portOpen = open;
    if (!d.path.equals(d.id)) {
      machine.emit("VSERPORT_CHANGE", Json.obj("id", d.id, "open", open));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The guest agent's port

  /** The port qemu-ga opens in the guest. */
  public static final String AGENT_PORT = "org.qemu.guest_agent.0";

  /** How long after the guest starts running its qemu-ga opens its port. */
  static final Duration AGENT_START_DELAY = Duration.ofMillis(100);

  private ScheduledFuture<?> agentStart;

  /**
   * The guest boots and its qemu-ga service starts: a moment later it opens its port ({@code
   * virtserialport} named {@link #AGENT_PORT}), VSERPORT_CHANGE {@code open: true} as with a real
   * guest. Not if the guest has stopped meanwhile (it opens the port once it runs again).
   */
  void agentStarts() {
    if (agentStart != null && !agentStart.isDone()) {
      return;
    }
    for (Device d : devices.values()) {
      if (isPort(d) && AGENT_PORT.equals(d.portName) && !d.portOpen) {
        agentStart =
            machine.schedule(
                AGENT_START_DELAY,
                () -> {
                  synchronized (machine) {
                    agentStart = null;
                    if (machine.state() != RunState.RUNNING || machine.isTerminating()) {
                      return;
                    }
                    for (Device p : new ArrayList<>(devices.values())) {
                      if (isPort(p) && AGENT_PORT.equals(p.portName) && !p.portOpen) {
                        portChange(p, true);
                      }
                    }
                  }
                });
        return;
      }
    }
  }

  /**
   * The guest's ports close: its operating system stops (power-off, reboot), or the machine resets
   * the virtio-serial devices (QEMU emits VSERPORT_CHANGE {@code open: false} from the device
   * reset, before RESET). A running guest opens the agent's port again after its reboot.
   */
  void guestClosesPorts() {
    if (agentStart != null) {
      agentStart.cancel(false);
      agentStart = null;
    }
    for (Device d : new ArrayList<>(devices.values())) {
      if (isPort(d) && d.portOpen) {
        portChange(d, false);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Balloon

  private void requireBalloon() {
    if (balloon == null) {
      throw new QmpErrorException.DeviceNotActiveException(
          "No balloon device has been activated", null, null);
    }
  }

  ObjectNode queryBalloon() {
    requireBalloon();
    return Json.obj("actual", balloonActual);
  }

  void balloon(long target) {
    requireBalloon();
    if (target <= 0) {
      throw Machine.error("Parameter 'target' expects a size");
    }
    balloonTarget = Math.min(target, machine.config().memoryBytes());
    balloonStep();
  }

  /** The guest's balloon driver moves a step towards the target each tick while it runs. */
  private void balloonStep() {
    if (balloon == null
        || balloonActual == balloonTarget
        || machine.state() != RunState.RUNNING
        || (balloonTimer != null && !balloonTimer.isDone())) {
      return;
    }
    balloonTimer =
        machine.schedule(
            machine.tick(),
            () -> {
              synchronized (machine) {
                balloonTimer = null;
                if (balloon == null || machine.state() != RunState.RUNNING) {
                  return;
                }
                long step = Math.max(machine.config().memoryBytes() / 8, 1L << 20);
                long diff = balloonTarget - balloonActual;
                balloonActual += Math.max(-step, Math.min(step, diff));
                machine.emit("BALLOON_CHANGE", Json.obj("actual", balloonActual));
                balloonStep();
              }
            });
  }

  List<Device> list() {
    return new ArrayList<>(devices.values());
  }
}
