package org.qmp4j.sim.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The machine part of a QEMU command line ({@code -machine}, {@code -accel}, {@code -drive}, {@code
 * -device}, {@code -netdev}, {@code -blockdev}), resolved as QEMU 7.2 resolves it for {@code
 * -machine pc}: drive names ({@code ide0-hd0}, {@code virtio0}, {@code none0}), where each backend
 * is attached ({@code qdev}), PCI slots, anonymous device paths, and QEMU's errors for what does
 * not fit. Errors are {@link IllegalArgumentException}s whose message is QEMU's without the program
 * name: {@code -drive if=bogus: unsupported bus type 'bogus'}.
 */
public final class MachineOptions {
  /** Internal key: the virtual size of an image the simulator must not open (builder disks). */
  public static final String SIZE = "x-qmp4j-size";

  private static final Set<String> DRIVE_KEYS =
      Set.of(
          "if",
          "id",
          "file",
          "format",
          "media",
          "readonly",
          "read-only",
          "rerror",
          "werror",
          "node-name",
          "index",
          "bus",
          "unit",
          "cache",
          "aio",
          "discard",
          "detect-zeroes",
          "snapshot",
          "copy-on-read",
          "auto-read-only",
          "force-share",
          "cache.direct",
          "cache.no-flush",
          SIZE);
  private static final Set<String> DISK_MODELS = Set.of("virtio-blk-pci", "ide-hd", "ide-cd");
  private static final String IDENTIFIER = "[A-Za-z][A-Za-z0-9_.-]*";

  /** One option as given. */
  private record Opt(String option, String text, Map<String, String> props) {
    IllegalArgumentException error(String message) {
      return new IllegalArgumentException(option + " " + text + ": " + message);
    }
  }

  private String machineType = "pc-i440fx-7.2";
  private boolean kvm;
  private final List<Opt> drives = new ArrayList<>();
  private final List<Opt> devices = new ArrayList<>();
  private final List<Opt> netdevs = new ArrayList<>();
  private final List<Opt> blockdevs = new ArrayList<>();
  private final List<ObjectNode> blockdevJson = new ArrayList<>();

  /** What the options come to. */
  public record Resolved(
      String machineType,
      boolean kvm,
      List<ObjectNode> blockdevs,
      List<MachineConfig.DriveSpec> drives,
      List<MachineConfig.DeviceSpec> devices) {}

  /** {@code -machine [type=]TYPE[,accel=A][,...]}: pc, q35, none and their versioned names. */
  public void machine(String text) {
    Map<String, String> p = QemuOpts.parse(text, "type");
    String type = p.get("type");
    if (type != null) {
      if (type.equals("pc")) {
        machineType = "pc-i440fx-7.2";
      } else if (type.equals("q35")) {
        machineType = "pc-q35-7.2";
      } else if (type.equals("none")
          || type.matches("pc-i440fx-[0-9]+\\.[0-9]+")
          || type.matches("pc-q35-[0-9]+\\.[0-9]+")) {
        machineType = type;
      } else {
        throw new IllegalArgumentException(
            "-machine "
                + text
                + ": unsupported machine type (the simulator models pc, q35 and none, and their"
                + " versioned names)");
      }
    }
    if (p.containsKey("accel")) {
      accel(p.get("accel"));
    }
  }

  /** {@code -accel kvm|tcg} or {@code accel=kvm:tcg}: the first is the one QEMU would use. */
  public void accel(String text) {
    String first = QemuOpts.parse(text, "accel").getOrDefault("accel", "").split(":")[0];
    if (!first.equals("kvm") && !first.equals("tcg")) {
      throw new IllegalArgumentException("-accel " + text + ": invalid accelerator " + first);
    }
    kvm = first.equals("kvm");
  }

  /** {@code -drive ...}. */
  public void drive(String text) {
    drives.add(new Opt("-drive", text, QemuOpts.parse(text, null)));
  }

  /** A drive from the Java builder: properties as {@code -drive} takes them. */
  public void drive(Map<String, String> props) {
    drives.add(new Opt("-drive", text(props), new LinkedHashMap<>(props)));
  }

  /** {@code -device DRIVER[,prop=value]...} or {@code -device JSON}. */
  public void device(String text) {
    devices.add(new Opt("-device", text, QemuOpts.parse(text, "driver")));
  }

  /** A device from the Java builder. */
  public void device(Map<String, String> props) {
    devices.add(new Opt("-device", text(props), new LinkedHashMap<>(props)));
  }

  /** {@code -netdev TYPE,id=ID[,...]}: only its id matters to the simulator. */
  public void netdev(String text) {
    Opt o = new Opt("-netdev", text, QemuOpts.parse(text, "type"));
    String id = o.props().get("id");
    if (id == null) {
      throw o.error("Parameter 'id' is missing");
    }
    checkIdentifier(o, id);
    for (Opt n : netdevs) {
      if (id.equals(n.props().get("id"))) {
        throw o.error("Duplicate ID '" + id + "' for netdev");
      }
    }
    netdevs.add(o);
  }

  /** {@code -blockdev} in key=value or JSON form: a named node, as {@code blockdev-add}. */
  public void blockdev(String text) {
    Opt o = new Opt("-blockdev", text, QemuOpts.parse(text, null));
    ObjectNode json = text.startsWith("{") ? QemuOpts.json(text) : QemuOpts.nested(o.props());
    if (!json.hasNonNull("node-name")) {
      throw o.error("A top-level node-name is required");
    }
    blockdevs.add(o);
    blockdevJson.add(json);
  }

  private static String text(Map<String, String> props) {
    StringBuilder sb = new StringBuilder();
    props.forEach(
        (k, v) -> {
          if (!k.equals(SIZE)) {
            sb.append(sb.length() == 0 ? "" : ",")
                .append(k.equals("driver") ? "" : k + "=")
                .append(v.replace(",", ",,"));
          }
        });
    return sb.toString();
  }

  private static void checkIdentifier(Opt o, String id) {
    if (!id.matches(IDENTIFIER)) {
      throw o.error(
          "Parameter 'id' expects an identifier\n"
              + "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.");
    }
  }

  private boolean pc() {
    return machineType.startsWith("pc-i440fx-");
  }

  // -----------------------------------------------------------------------------------------------
  // Resolution

  /** A block backend being resolved. */
  private static final class Backend {
    final Opt opt;
    String name;
    String type;
    boolean cdrom;
    String file;
    String format;
    long virtualSize;
    long actualSize = -1;
    boolean readOnly;
    String nodeName;
    String rerror;
    String werror;
    int bus;
    int unit;
    String deviceId;
    String qdev;
    boolean tray;
    boolean attached;

    Backend(Opt opt) {
      this.opt = opt;
    }

    MachineConfig.DriveSpec spec() {
      return new MachineConfig.DriveSpec(
          name,
          deviceId,
          qdev,
          !attached || tray,
          tray,
          file,
          format,
          virtualSize,
          actualSize,
          readOnly,
          nodeName,
          rerror,
          werror);
    }
  }

  /**
   * Resolves the options for a machine with {@code cpus} CPUs.
   *
   * @throws IllegalArgumentException with QEMU's message for the first option that does not fit
   */
  public Resolved resolve(int cpus) {
    List<Backend> backends = new ArrayList<>();
    Map<String, Backend> byName = new HashMap<>();
    List<Opt> lateDevices = new ArrayList<>();
    for (Opt o : drives) {
      Backend b = backend(o, backends);
      if (byName.containsKey(b.name)) {
        throw o.error("Duplicate ID '" + b.name + "' for drive");
      }
      byName.put(b.name, b);
      backends.add(b);
      if (b.type.equals("virtio")) {
        if (b.file == null) {
          throw o.error("Device needs media, but drive is empty");
        }
        Map<String, String> dev = new LinkedHashMap<>();
        dev.put("driver", "virtio-blk-pci");
        dev.put("drive", b.name);
        lateDevices.add(new Opt("-drive", o.text(), dev));
      }
    }
    // IDE drives of -machine pc: ide-hd/ide-cd devices under /machine/unattached, in bus order.
    List<Backend> ide = new ArrayList<>();
    for (Backend b : backends) {
      if (b.type.equals("ide")) {
        ide.add(b);
      }
    }
    ide.sort(Comparator.comparingInt((Backend b) -> b.bus * 2 + b.unit));
    for (int i = 0; i < ide.size(); i++) {
      Backend b = ide.get(i);
      b.attached = true;
      b.tray = b.cdrom;
      b.qdev = "/machine/unattached/device[" + (17 + cpus + i) + "]";
    }

    Set<String> nodeNames = new HashSet<>();
    for (ObjectNode n : blockdevJson) {
      nodeNames.add(n.get("node-name").asText());
    }
    Set<String> netdevIds = new HashSet<>();
    for (Opt n : netdevs) {
      netdevIds.add(n.props().get("id"));
    }

    List<MachineConfig.DeviceSpec> out = new ArrayList<>();
    Map<String, Opt> ids = new HashMap<>();
    Map<Integer, String> slots = new HashMap<>();
    List<Backend> anonymousBackends = new ArrayList<>();
    // The buses of the virtio-serial controllers so far: "ID.0", or "" for an anonymous one
    Set<String> serialBuses = new HashSet<>();
    int anonymous = 0;
    List<Opt> all = new ArrayList<>(devices);
    all.addAll(lateDevices);
    for (Opt o : all) {
      Map<String, String> p = o.props();
      String driver = p.getOrDefault("driver", "");
      Devices.Model model = Devices.MODELS.get(driver);
      if (model == null) {
        // QEMU's words; the models the simulator knows are listed by -help and docs/simulator.md.
        throw o.error("'" + driver + "' is not a valid device model name");
      }
      String id = p.get("id");
      if (id != null) {
        checkIdentifier(o, id);
        if (ids.containsKey(id)) {
          throw o.error("Duplicate ID '" + id + "' for device");
        }
      }
      if (model.pci() && machineType.equals("none")) {
        throw o.error("No 'PCI' bus found for device '" + driver + "'");
      }
      String bus = p.get("bus");
      if (bus != null && !busFits(bus, model)) {
        throw o.error("Bus '" + bus + "' not found");
      }
      if (driver.equals("virtserialport") || driver.equals("virtconsole")) {
        if (serialBuses.isEmpty()) {
          throw o.error("No 'virtio-serial-bus' bus found for device '" + driver + "'");
        }
        if (bus != null && !serialBuses.contains(bus) && !serialBuses.contains("")) {
          throw o.error("Bus '" + bus + "' not found");
        }
      }
      if (driver.equals("virtio-serial-pci")) {
        serialBuses.add(id != null ? id + ".0" : "");
      }
      int slot = -1;
      if (model.pci()) {
        slot = slot(o, p.get("addr"), slots, driver);
        slots.put(slot, driver + (id != null ? ",id=" + id : ""));
      }
      String path =
          id != null
              ? "/machine/peripheral/" + id
              : "/machine/peripheral-anon/device[" + anonymous++ + "]";
      if (DISK_MODELS.contains(driver)) {
        String qdevName = driver.equals("virtio-blk-pci") ? "virtio-blk-device" : driver;
        String drive = p.get("drive");
        Backend b;
        if (drive == null) {
          if (!driver.equals("ide-cd")) {
            throw o.error("drive property not set");
          }
          b = new Backend(o);
          b.name = "";
          b.type = "none";
          anonymousBackends.add(b);
        } else if (byName.containsKey(drive)) {
          b = byName.get(drive);
          if (b.attached) {
            throw o.error("Drive '" + drive + "' is already in use by another device");
          }
        } else if (nodeNames.contains(drive)) {
          b = new Backend(o);
          b.name = "";
          b.type = "none";
          b.nodeName = drive;
          b.file = "";
          anonymousBackends.add(b);
        } else {
          throw o.error("Property '" + qdevName + ".drive' can't find value '" + drive + "'");
        }
        if (b.file == null && !driver.equals("ide-cd")) {
          throw o.error("Device needs media, but drive is empty");
        }
        b.attached = true;
        b.tray = driver.equals("ide-cd");
        b.deviceId = id;
        b.qdev =
            driver.equals("virtio-blk-pci") ? path + "/virtio-backend" : id != null ? id : path;
      }
      String netdev = p.get("netdev");
      if (netdev != null && !netdevIds.contains(netdev)) {
        String qdevName = driver.equals("virtio-net-pci") ? "virtio-net-device" : driver;
        throw o.error("Property '" + qdevName + ".netdev' can't find value '" + netdev + "'");
      }
      if (id != null) {
        ids.put(id, o);
      }
      out.add(
          new MachineConfig.DeviceSpec(
              driver, id, p.get("mac"), slot, p.get("name"), p.get("chardev"), p.get("memdev")));
    }

    List<MachineConfig.DriveSpec> specs = new ArrayList<>();
    for (Backend b : backends) {
      specs.add(b.spec());
    }
    for (Backend b : anonymousBackends) {
      specs.add(b.spec());
    }
    return new Resolved(machineType, kvm, List.copyOf(blockdevJson), specs, out);
  }

  private boolean busFits(String bus, Devices.Model model) {
    if (model.pci()) {
      return bus.equals(pc() ? "pci.0" : "pcie.0");
    }
    if (model.driver().startsWith("ide-")) {
      return pc() && (bus.equals("ide.0") || bus.equals("ide.1"));
    }
    return true;
  }

  /** The PCI slot: {@code addr=0x3}, {@code addr=3}, {@code addr=03.0}; else the first free. */
  private int slot(Opt o, String addr, Map<Integer, String> taken, String driver) {
    int first = pc() ? 2 : 1;
    if (addr == null) {
      for (int s = first; s < 32; s++) {
        if (!taken.containsKey(s)) {
          return s;
        }
      }
      throw o.error("PCI: no slot/function available for " + driver + ", all in use");
    }
    String[] parts = addr.split("\\.", 2);
    int slot;
    int function;
    try {
      slot = number(parts[0]);
      function = parts.length > 1 ? number(parts[1]) : 0;
    } catch (NumberFormatException e) {
      throw o.error("Property '" + driver + ".addr' doesn't take value '" + addr + "'");
    }
    if (slot < 0 || slot > 31 || function < 0 || function > 7) {
      throw o.error("Property '" + driver + ".addr' doesn't take value '" + addr + "'");
    }
    if (function != 0) {
      throw o.error("PCI functions other than 0 are not simulated");
    }
    if (slot < first || taken.containsKey(slot)) {
      String user = taken.get(slot);
      throw o.error(
          "PCI: slot "
              + slot
              + " function 0 not available for "
              + driver
              + ", in use by "
              + (user != null ? user : "a built-in device"));
    }
    return slot;
  }

  private static int number(String s) {
    return s.startsWith("0x") || s.startsWith("0X")
        ? Integer.parseInt(s.substring(2), 16)
        : Integer.parseInt(s, 16);
  }

  private Backend backend(Opt o, List<Backend> earlier) {
    Map<String, String> p = o.props();
    Backend b = new Backend(o);
    String format = p.get("format");
    for (String key : p.keySet()) {
      if (!DRIVE_KEYS.contains(key) && !key.startsWith("throttling.") && !key.startsWith("file.")) {
        throw o.error(
            "Block format '"
                + (format != null ? format : "raw")
                + "' does not support the option '"
                + key
                + "'");
      }
    }
    String media = p.getOrDefault("media", "disk");
    if (!media.equals("disk") && !media.equals("cdrom")) {
      throw o.error("'" + media + "' invalid media");
    }
    b.cdrom = media.equals("cdrom");
    b.readOnly = b.cdrom | bool(o, p.getOrDefault("readonly", p.getOrDefault("read-only", "off")));
    b.type = p.getOrDefault("if", "ide");
    switch (b.type) {
      case "none":
      case "virtio":
        break;
      case "ide":
        if (!pc()) {
          throw o.error("if=ide is simulated for -machine pc only");
        }
        break;
      case "scsi":
      case "floppy":
      case "pflash":
      case "mtd":
      case "sd":
      case "xen":
        throw o.error("if=" + b.type + " is not simulated (if=none, ide and virtio are)");
      default:
        throw o.error("unsupported bus type '" + b.type + "'");
    }
    int maxDevs = b.type.equals("ide") ? 2 : 0;
    int bus = integer(o, p.getOrDefault("bus", "0"));
    int unit = integer(o, p.getOrDefault("unit", "-1"));
    int index = integer(o, p.getOrDefault("index", "-1"));
    if (index != -1) {
      if (bus != 0 || unit != -1) {
        throw o.error("index cannot be used with bus and unit");
      }
      bus = maxDevs > 0 ? index / maxDevs : 0;
      unit = maxDevs > 0 ? index % maxDevs : index;
    }
    if (unit == -1) {
      unit = 0;
      while (taken(earlier, b.type, bus, unit)) {
        unit++;
        if (maxDevs > 0 && unit >= maxDevs) {
          unit -= maxDevs;
          bus++;
        }
      }
    }
    if (maxDevs > 0 && unit >= maxDevs) {
      throw o.error("unit " + unit + " too big (max is " + (maxDevs - 1) + ")");
    }
    if (taken(earlier, b.type, bus, unit)) {
      throw o.error("drive with bus=" + bus + ", unit=" + unit + " (index=" + index + ") exists");
    }
    if (b.type.equals("ide") && bus > 1) {
      throw o.error("machine type does not support if=ide,bus=" + bus + ",unit=" + unit);
    }
    b.bus = bus;
    b.unit = unit;
    String id = p.get("id");
    if (id != null) {
      checkIdentifier(o, id);
      b.name = id;
    } else if (maxDevs > 0) {
      b.name = b.type + bus + (b.cdrom ? "-cd" : "-hd") + unit;
    } else {
      b.name = b.type + unit;
    }
    b.rerror = action(o, p.get("rerror"), "read", Set.of("ignore", "report", "stop"));
    b.werror = action(o, p.get("werror"), "write", Set.of("ignore", "report", "stop", "enospc"));
    b.nodeName = p.get("node-name");
    String file = p.get("file");
    if (file != null && !file.isEmpty()) {
      b.file = file;
      if (p.containsKey(SIZE)) {
        b.format = format != null ? format : "qcow2";
        b.virtualSize = Long.parseLong(p.get(SIZE));
      } else {
        try {
          Block.Probe probe = Block.probe(file, format);
          b.format = probe.format();
          b.virtualSize = probe.virtualSize();
          b.actualSize = probe.actualSize();
        } catch (IllegalArgumentException e) {
          throw o.error(e.getMessage());
        }
      }
    }
    return b;
  }

  private static boolean taken(List<Backend> earlier, String type, int bus, int unit) {
    for (Backend e : earlier) {
      if (e.type.equals(type) && e.bus == bus && e.unit == unit) {
        return true;
      }
    }
    return false;
  }

  private static String action(Opt o, String value, String what, Set<String> allowed) {
    if (value != null && !allowed.contains(value)) {
      throw o.error("'" + value + "' invalid " + what + " error action");
    }
    return value;
  }

  private static boolean bool(Opt o, String v) {
    switch (v) {
      case "on":
      case "yes":
      case "true":
        return true;
      case "off":
      case "no":
      case "false":
        return false;
      default:
        throw o.error("Parameter 'read-only' expects 'on' or 'off'");
    }
  }

  private static int integer(Opt o, String v) {
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw o.error("Parameter expects a number: '" + v + "'");
    }
  }
}
