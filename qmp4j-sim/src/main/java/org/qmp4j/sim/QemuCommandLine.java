package org.qmp4j.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.qmp4j.sim.internal.QemuOpts;

/**
 * The subset of {@code qemu-system-x86_64}'s command line that management tools use to start QEMU
 * with a QMP monitor, read as QEMU reads it. What {@link QemuStandIn} runs.
 *
 * <p>Errors are {@link IllegalArgumentException}s whose message is what QEMU prints after {@code
 * qemu-system-x86_64: } (the option, then what is wrong with it).
 */
final class QemuCommandLine {
  /** A QMP monitor: a listening socket, the label of its chardev ({@code compat_monitorN}). */
  record Monitor(String address, boolean pretty, String chardev) {}

  /** Options that take a value and describe the machine. */
  private static final Set<String> MACHINE = SimulatedMachine.VALUE_OPTIONS;

  /** Flags that describe the machine. */
  private static final Set<String> MACHINE_FLAGS = SimulatedMachine.FLAG_OPTIONS;

  final List<Monitor> monitors = new ArrayList<>();

  /**
   * Addresses of the guest agent's channels: the socket chardevs of {@code virtserialport}s named
   * {@code org.qemu.guest_agent.0}, as libvirt wires qemu-ga.
   */
  final List<String> guestAgents = new ArrayList<>();

  /** The ids of the guest agent channels' chardevs, as {@link #guestAgents}. */
  final List<String> guestAgentChardevs = new ArrayList<>();

  /** Every chardev's label in command-line order, the order QEMU creates them in. */
  final List<String> chardevOrder = new ArrayList<>();

  /** Machine options as command-line words, for {@link SimulatedMachine.Builder#option}. */
  final List<String> machine = new ArrayList<>();

  boolean daemonize;
  String pidfile;
  boolean help;
  boolean version;

  private final Map<String, Map<String, String>> chardevs = new HashMap<>();

  private QemuCommandLine() {}

  /**
   * Reads a command line (without the program name).
   *
   * @throws IllegalArgumentException with QEMU's kind of message for what is not understood
   */
  static QemuCommandLine parse(List<String> args) {
    QemuCommandLine c = new QemuCommandLine();
    List<String[]> mons = new ArrayList<>();
    List<String> devices = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String given = args.get(i);
      if (!given.startsWith("-") || given.equals("-")) {
        throw new IllegalArgumentException(
            given
                + ": a disk image as a plain argument is not supported by the qmp4j QEMU stand-in;"
                + " use -drive file="
                + given);
      }
      // QEMU takes --opt as -opt.
      String o = given.startsWith("--") ? given.substring(1) : given;
      if (o.equals("-M")) {
        o = "-machine";
      }
      if (MACHINE_FLAGS.contains(o)) {
        c.machine.add(o);
        continue;
      }
      switch (o) {
        case "-h":
        case "-help":
          c.help = true;
          continue;
        case "-version":
          c.version = true;
          continue;
        case "-nodefaults":
        case "-no-user-config":
        case "-nographic":
        case "-daemonize":
          c.daemonize |= o.equals("-daemonize");
          continue;
        default:
          break;
      }
      boolean takesValue =
          MACHINE.contains(o)
              || Set.of("-qmp", "-qmp-pretty", "-chardev", "-mon", "-display", "-vga", "-pidfile")
                  .contains(o);
      if (!takesValue) {
        throw new IllegalArgumentException(
            given
                + ": "
                + (KNOWN_TO_QEMU.contains(o)
                    ? "not supported by the qmp4j QEMU stand-in (see qemu-system-x86_64 -help)"
                    : "invalid option"));
      }
      if (i + 1 >= args.size()) {
        throw new IllegalArgumentException(given + ": requires an argument");
      }
      String v = args.get(++i);
      if (MACHINE.contains(o)) {
        c.machine.add(o);
        c.machine.add(v);
        if (o.equals("-device")) {
          devices.add(v);
        }
        continue;
      }
      switch (o) {
        case "-qmp":
        case "-qmp-pretty":
          {
            // QEMU names -qmp's chardev after the number of -qmp/-monitor options before it.
            String label = "compat_monitor" + c.monitors.size();
            c.chardevOrder.add(label);
            c.monitors.add(
                new Monitor(
                    socket(given, v, QemuOpts.parse(v, "path"), true),
                    o.equals("-qmp-pretty"),
                    label));
          }
          break;
        case "-chardev":
          c.chardev(given, v);
          break;
        case "-mon":
          mons.add(new String[] {given, v});
          break;
        case "-display":
        case "-vga":
          if (!QemuOpts.parse(v, "type").getOrDefault("type", "").equals("none")) {
            throw new IllegalArgumentException(
                given + " " + v + ": only " + o + " none is simulated by the qmp4j QEMU stand-in");
          }
          break;
        case "-pidfile":
          c.pidfile = v;
          break;
        default:
          throw new IllegalStateException(o);
      }
    }
    for (String[] m : mons) {
      c.monitor(m[0], m[1]);
    }
    for (String d : devices) {
      c.deviceChardev(d);
    }
    for (Map<String, String> chardev : c.chardevs.values()) {
      if (!chardev.containsKey(USED)) {
        throw new IllegalArgumentException(
            chardev.get("x-text")
                + ": a chardev that is neither a QMP monitor's (-mon chardev=...,mode=control) nor"
                + " the guest agent's channel (-device virtserialport,chardev=...,"
                + "name="
                + GUEST_AGENT_PORT
                + ") is not simulated by the qmp4j QEMU stand-in");
      }
    }
    return c;
  }

  /** The name of the virtio-serial port the guest's qemu-ga opens. */
  static final String GUEST_AGENT_PORT = "org.qemu.guest_agent.0";

  /** Marks a chardev that a monitor or a device uses. */
  private static final String USED = "x-used";

  /**
   * A {@code -device} with {@code chardev=}: the guest agent's port gets a channel on the chardev's
   * socket; a chardev for anything else (another port, a console, a serial port) is refused.
   */
  private void deviceChardev(String v) {
    Map<String, String> p = QemuOpts.parse(v, "driver");
    String id = p.get("chardev");
    if (id == null) {
      return;
    }
    String driver = p.getOrDefault("driver", "");
    if (!driver.equals("virtserialport") || !GUEST_AGENT_PORT.equals(p.get("name"))) {
      throw new IllegalArgumentException(
          "-device "
              + v
              + ": a chardev is simulated by the qmp4j QEMU stand-in only for the guest agent's"
              + " channel (virtserialport with name="
              + GUEST_AGENT_PORT
              + "); no serial console or other port");
    }
    Map<String, String> chardev = chardevs.get(id);
    if (chardev == null) {
      throw new IllegalArgumentException(
          "-device " + v + ": Property '" + driver + ".chardev' can't find value '" + id + "'");
    }
    if (chardev.containsKey(USED)) {
      throw new IllegalArgumentException(
          "-device "
              + v
              + ": Property '"
              + driver
              + ".chardev' can't take value '"
              + id
              + "': Device '"
              + id
              + "' is in use");
    }
    chardev.put(USED, "device");
    String text = chardev.get("x-text");
    guestAgents.add(socket(text, text.substring(text.indexOf(' ') + 1), chardev, false));
    guestAgentChardevs.add(id);
  }

  private void chardev(String given, String v) {
    Map<String, String> p = QemuOpts.parse(v, "backend");
    String id = p.get("id");
    if (id == null) {
      throw new IllegalArgumentException(given + " " + v + ": Parameter 'id' is missing");
    }
    if (!"socket".equals(p.get("backend"))) {
      throw new IllegalArgumentException(
          given
              + " "
              + v
              + ": only socket chardevs (path= or host=,port=) are simulated by the qmp4j QEMU"
              + " stand-in");
    }
    if (chardevs.containsKey(id)) {
      throw new IllegalArgumentException(
          given + " " + v + ": Duplicate ID '" + id + "' for chardev");
    }
    p.put("x-text", given + " " + v);
    chardevs.put(id, p);
    chardevOrder.add(id);
  }

  private void monitor(String given, String v) {
    Map<String, String> p = QemuOpts.parse(v, "chardev");
    String id = p.get("chardev");
    Map<String, String> chardev = id == null ? null : chardevs.get(id);
    if (chardev == null) {
      throw new IllegalArgumentException(given + " " + v + ": chardev \"" + id + "\" not found");
    }
    if (chardev.containsKey(USED)) {
      throw new IllegalArgumentException(given + " " + v + ": Device '" + id + "' is in use");
    }
    String mode = p.getOrDefault("mode", "readline");
    if (!mode.equals("control")) {
      throw new IllegalArgumentException(
          given
              + " "
              + v
              + ": only mode=control (QMP) monitors are simulated by the qmp4j QEMU stand-in");
    }
    String text = chardev.get("x-text");
    String address = socket(text, text.substring(text.indexOf(' ') + 1), chardev, false);
    chardev.put(USED, "monitor");
    monitors.add(new Monitor(address, on(p.getOrDefault("pretty", "off")), id));
  }

  /**
   * The address a server socket listens on: {@code unix:PATH,server=on,wait=off} (-qmp), {@code
   * tcp:HOST:PORT,...}, or a socket chardev's {@code path=} or {@code host=,port=}.
   */
  private static String socket(String option, String v, Map<String, String> p, boolean qmp) {
    String address;
    if (qmp) {
      String spec = p.get("path");
      if (spec.startsWith("unix:")) {
        address = spec;
      } else if (spec.startsWith("tcp:")) {
        address = spec;
      } else {
        throw new IllegalArgumentException(
            option
                + " "
                + v
                + ": only unix: and tcp: monitors are simulated by the qmp4j QEMU"
                + " stand-in");
      }
    } else if (p.containsKey("fd")) {
      throw new IllegalArgumentException(
          option
              + ": passing a listening socket as fd= is not supported by the qmp4j QEMU stand-in;"
              + " use path=");
    } else if (p.containsKey("path")) {
      address = "unix:" + p.get("path");
    } else if (p.containsKey("port")) {
      address = "tcp:" + p.getOrDefault("host", "") + ":" + p.get("port");
    } else {
      throw new IllegalArgumentException(option + ": chardev: socket: no addr or path provided");
    }
    if (!on(p.getOrDefault("server", "off"))) {
      throw new IllegalArgumentException(
          option + ": the qmp4j QEMU stand-in listens only: give server=on");
    }
    boolean nowait = p.containsKey("nowait") || !on(p.getOrDefault("wait", "on"));
    if (!nowait) {
      throw new IllegalArgumentException(
          option + ": waiting for a client before starting is not simulated: give wait=off");
    }
    return address;
  }

  private static boolean on(String v) {
    return v.equals("on") || v.equals("yes") || v.equals("true");
  }

  /** What {@code -help} prints: the options the stand-in takes. */
  static String usage() {
    return String.join(
        "\n",
        "QEMU emulator version " + QemuStandIn.VERSION_STRING,
        "usage: qemu-system-x86_64 [options]",
        "",
        "The qmp4j QEMU stand-in: a simulated QEMU 7.2 machine behind QMP monitors, no guest runs.",
        "It takes the options management tools use to start QEMU with a QMP monitor:",
        "",
        "-qmp unix:PATH,server=on,wait=off | tcp:HOST:PORT,server=on,wait=off  (also -qmp-pretty)",
        "-chardev socket,id=ID,path=PATH|host=HOST,port=PORT,server=on,wait=off",
        "-mon [chardev=]ID,mode=control[,pretty=on]",
        "-device virtserialport,chardev=ID,name=org.qemu.guest_agent.0,...   the guest agent's"
            + " channel",
        "-S                       stay in prelaunch until cont",
        "-name [guest=]NAME[,...] -uuid UUID",
        "-machine [type=]pc|q35|none[,accel=kvm|tcg]   -accel kvm|tcg   -enable-kvm",
        "-m [size=]SIZE[,slots=N,maxmem=SIZE]   -smp [cpus=]N",
        "-object memory-backend-ram|memory-backend-file,id=ID,size=SIZE[,mem-path=PATH]",
        "-drive if=none|ide|virtio,id=,file=,format=,media=cdrom,readonly=,rerror=,werror=,"
            + "node-name=",
        "-device DRIVER[,id=][,bus=][,addr=][,drive=][,netdev=][,mac=][,memdev=]   (or JSON); DRIVER"
            + " is one of",
        "        virtio-blk-pci ide-hd ide-cd virtio-net-pci e1000 virtio-balloon-pci",
        "        virtio-serial-pci virtserialport virtconsole i6300esb pvpanic pc-dimm",
        "-netdev TYPE,id=ID       -blockdev OPTS|JSON",
        "-nodefaults -no-user-config -display none -vga none -nographic",
        "-no-shutdown -no-reboot -daemonize -pidfile FILE",
        "-version -help",
        "",
        "Anything else is refused. See docs/simulator.md.",
        "");
  }

  /** Options QEMU has that the stand-in does not take: refused as unsupported, not invalid. */
  private static final Set<String> KNOWN_TO_QEMU =
      Set.of(
          "-help",
          "-version",
          "-machine",
          "-M",
          "-cpu",
          "-accel",
          "-smp",
          "-numa",
          "-add-fd",
          "-set",
          "-global",
          "-boot",
          "-m",
          "-mem-path",
          "-mem-prealloc",
          "-k",
          "-audio-help",
          "-audio",
          "-audiodev",
          "-device",
          "-name",
          "-uuid",
          "-fda",
          "-fdb",
          "-hda",
          "-hdb",
          "-hdc",
          "-hdd",
          "-cdrom",
          "-blockdev",
          "-drive",
          "-mtdblock",
          "-sd",
          "-snapshot",
          "-fsdev",
          "-virtfs",
          "-iscsi",
          "-usb",
          "-usbdevice",
          "-display",
          "-nographic",
          "-spice",
          "-portrait",
          "-rotate",
          "-vga",
          "-full-screen",
          "-g",
          "-vnc",
          "-win2k-hack",
          "-no-fd-bootchk",
          "-no-acpi",
          "-no-hpet",
          "-acpitable",
          "-smbios",
          "-netdev",
          "-nic",
          "-net",
          "-chardev",
          "-tpmdev",
          "-bios",
          "-pflash",
          "-kernel",
          "-append",
          "-initrd",
          "-dtb",
          "-compat",
          "-fw_cfg",
          "-serial",
          "-parallel",
          "-monitor",
          "-qmp",
          "-qmp-pretty",
          "-mon",
          "-debugcon",
          "-pidfile",
          "-singlestep",
          "-preconfig",
          "-S",
          "-overcommit",
          "-gdb",
          "-s",
          "-d",
          "-D",
          "-dfilter",
          "-seed",
          "-L",
          "-enable-kvm",
          "-xen-domid",
          "-xen-attach",
          "-xen-domid-restrict",
          "-no-reboot",
          "-no-shutdown",
          "-action",
          "-loadvm",
          "-daemonize",
          "-option-rom",
          "-rtc",
          "-icount",
          "-watchdog-action",
          "-echr",
          "-incoming",
          "-only-migratable",
          "-nodefaults",
          "-chroot",
          "-runas",
          "-prom-env",
          "-semihosting",
          "-semihosting-config",
          "-old-param",
          "-sandbox",
          "-readconfig",
          "-no-user-config",
          "-trace",
          "-plugin",
          "-qtest",
          "-qtest-log",
          "-async-teardown",
          "-msg",
          "-dump-vmstate",
          "-enable-sync-profile",
          "-object");
}
