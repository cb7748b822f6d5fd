package org.qmp4j.sim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.qmp4j.protocol.QmpVersion;
import org.qmp4j.schema.QapiSchema;
import org.qmp4j.server.MonitorOptions;
import org.qmp4j.server.QmpServer;
import org.qmp4j.server.QmpSession;
import org.qmp4j.sim.internal.Commands;
import org.qmp4j.sim.internal.Machine;
import org.qmp4j.sim.internal.MachineConfig;
import org.qmp4j.sim.internal.MachineOptions;
import org.qmp4j.sim.internal.QemuOpts;

/**
 * A simulated QEMU 7.2 x86_64 machine ({@code -machine pc}) behind a QMP server: a model, not a
 * script. Commands change the model and the model emits QEMU's events: the run state follows QEMU
 * 7.2's transition table; drives have media and trays; block jobs, the balloon and migrations
 * progress over time; hot-unplugged devices go once the simulated guest lets them go.
 *
 * <pre>{@code
 * try (SimulatedMachine vm = SimulatedMachine.newBuilder().name("vm1").startPaused(true)
 *         .cdrom("cd0", "cd0dev").build()) {
 *   vm.listen(Path.of("/tmp/qmp.sock"), false);
 *   vm.guestPanic();            // what a guest would do, for tests
 *   vm.terminated().join();     // until a client sends quit
 * }
 * }</pre>
 *
 * <p>What the guest does (shut down, reset, panic, suspend, let its watchdog expire, change its
 * RTC, meet I/O errors, …) is provoked through this class's methods and, over QMP, through the
 * simulator's own {@code __org.qmp4j_*} commands (see {@code docs/simulator.md}). Such happenings
 * need a running guest; they throw a {@link org.qmp4j.protocol.QmpErrorException} otherwise.
 *
 * <p>Thread-safe. The schema ({@code query-qmp-schema}) is QEMU 7.2's for every command and event
 * the simulator implements.
 */
public final class SimulatedMachine implements AutoCloseable {
  /** The version the simulator reports by default: QEMU 7.2.22, package "qmp4j simulator". */
  public static final QmpVersion DEFAULT_VERSION = new QmpVersion(7, 2, 22, "qmp4j simulator");

  /** The machine options {@link Builder#option} takes with a value, as QEMU spells them. */
  static final java.util.Set<String> VALUE_OPTIONS =
      java.util.Set.of(
          "-name",
          "-uuid",
          "-m",
          "-object",
          "-smp",
          "-machine",
          "-accel",
          "-drive",
          "-device",
          "-netdev",
          "-blockdev");

  /** The machine options {@link Builder#option} takes without a value. */
  static final java.util.Set<String> FLAG_OPTIONS =
      java.util.Set.of("-S", "-no-shutdown", "-no-reboot", "-enable-kvm");

  /** The memory of a machine without {@code -m}: 128 MiB, as QEMU's default. */
  public static final long DEFAULT_MEMORY = 128L << 20;

  /** How often simulated time advances jobs, the balloon and migrations by default. */
  public static final Duration DEFAULT_TICK = Duration.ofMillis(20);

  private final Machine machine;
  private final QmpServer server;
  private SimulatedGuestAgent guestAgent;

  private SimulatedMachine(MachineConfig config) {
    this.machine = new Machine(config);
    QmpServer.Builder b =
        QmpServer.newBuilder().schema(Commands.schema()).version(config.version());
    Commands.register(b, machine);
    this.server = b.build();
    machine.attach(server);
  }

  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * A machine to play with: a virtio disk {@code disk0} (device {@code disk0dev}, 1 GiB qcow2), an
   * empty IDE CD-ROM {@code cd0} ({@code cd0dev}), a balloon {@code balloon0} and a virtio NIC
   * {@code net0}, 1 GiB of memory, named {@code qmp4j-demo}, running.
   */
  public static Builder demo() {
    return newBuilder()
        .name("qmp4j-demo")
        .memory(1L << 30)
        .disk("disk0", "disk0dev", "/var/lib/qmp4j/disk0.qcow2", 1L << 30)
        .cdrom("cd0", "cd0dev")
        .balloon("balloon0")
        .nic("net0", "52:54:00:12:34:56");
  }

  /**
   * The guest's agent (qemu-ga 7.2), created on first use; serve it with {@code
   * guestAgent().listen(path)}. It ends with the machine.
   */
  public synchronized SimulatedGuestAgent guestAgent() {
    if (guestAgent == null) {
      guestAgent = new SimulatedGuestAgent(machine);
    }
    return guestAgent;
  }

  /** The QMP server behind the machine. */
  public QmpServer server() {
    return server;
  }

  /** The schema the machine offers (QEMU 7.2's for what it implements, plus its extensions). */
  public static QapiSchema schema() {
    return Commands.schema();
  }

  /**
   * Serves QMP on a unix socket at {@code path} (replacing a stale socket file), as {@code -qmp
   * unix:PATH,server=on,wait=off}; the file is removed when the machine closes. {@code
   * query-chardev} lists it as {@code -qmp}'s chardev, {@code compat_monitorN}.
   */
  public AutoCloseable listen(Path path, boolean pretty) throws IOException {
    return listen((String) null, path, pretty);
  }

  /**
   * Serves QMP on a unix socket at {@code path}, as {@code -chardev
   * socket,id=CHARDEV,path=PATH,server=on,wait=off -mon chardev=CHARDEV,mode=control}: {@code
   * query-chardev} lists it with label {@code chardev} ({@code compat_monitorN} if null).
   */
  public AutoCloseable listen(String chardev, Path path, boolean pretty) throws IOException {
    Files.deleteIfExists(path);
    ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    ch.bind(UnixDomainSocketAddress.of(path));
    QmpServer.Listener l = server.listen(ch, options(pretty), path);
    machine.chardevs().addMonitor(label(chardev), UnixDomainSocketAddress.of(path), l);
    return l;
  }

  /** Serves QMP on TCP, as {@code -qmp tcp:HOST:PORT,server=on,wait=off}. */
  public AutoCloseable listen(InetSocketAddress address, boolean pretty) throws IOException {
    return listen((String) null, address, pretty);
  }

  /**
   * Serves QMP on TCP, as {@code -chardev socket,id=CHARDEV,host=HOST,port=PORT,server=on,wait=off
   * -mon chardev=CHARDEV,mode=control} ({@code -qmp}'s {@code compat_monitorN} if null).
   */
  public AutoCloseable listen(String chardev, InetSocketAddress address, boolean pretty)
      throws IOException {
    ServerSocketChannel ch = ServerSocketChannel.open();
    ch.bind(address);
    QmpServer.Listener l = server.listen(ch, options(pretty));
    machine.chardevs().addMonitor(label(chardev), ch.getLocalAddress(), l);
    return l;
  }

  /** Serves QMP on an already bound channel (listed as a {@code -qmp} monitor's chardev). */
  public AutoCloseable listen(ServerSocketChannel channel, boolean pretty) throws IOException {
    QmpServer.Listener l = server.listen(channel, options(pretty));
    machine.chardevs().addMonitor(label(null), channel.getLocalAddress(), l);
    return l;
  }

  private String label(String chardev) {
    return chardev != null ? chardev : machine.chardevs().nextCompatLabel();
  }

  /**
   * Fixes the order in which {@code labels} were created (command-line order), which decides the
   * order {@code query-chardev} lists them in, before their sockets listen.
   */
  void declareChardevs(java.util.List<String> labels) {
    machine.chardevs().declare(labels);
  }

  /** Serves one already connected client. */
  public QmpSession adopt(SocketChannel channel, boolean pretty) throws IOException {
    return server.adopt(channel, options(pretty));
  }

  private static MonitorOptions options(boolean pretty) {
    return pretty ? MonitorOptions.PRETTY : MonitorOptions.DEFAULT;
  }

  /** The current run state. */
  public RunState runState() {
    return machine.state();
  }

  /**
   * Completes with the exit status QEMU would have (0, or 1 after a panic with action {@code
   * exit-failure}) once the machine ends: {@code quit}, a guest power-off, a watchdog with action
   * {@code poweroff}, or {@link #close()}.
   */
  public CompletableFuture<Integer> terminated() {
    return machine.terminated();
  }

  /**
   * What QEMU does on SIGTERM, SIGINT or SIGHUP: SHUTDOWN ({@code host-signal}) to every client,
   * then the machine ends with status 0 (even with {@code -no-shutdown}).
   */
  public void hostSignal() {
    machine.killed();
  }

  /** Ends the machine at once: every client sees its connection close. */
  @Override
  public void close() {
    SimulatedGuestAgent agent;
    synchronized (this) {
      agent = guestAgent;
    }
    if (agent != null) {
      agent.close();
    }
    machine.close();
  }

  // -----------------------------------------------------------------------------------------------
  // The guest

  /** The guest powers off: SHUTDOWN (guest-shutdown), then the machine ends or pauses. */
  public void guestShutdown() {
    machine.guestShutdown();
  }

  /** The guest reboots: RESET (guest-reset), or SHUTDOWN when the reboot action is shutdown. */
  public void guestReset() {
    machine.guestReset();
  }

  /** The guest panics: GUEST_PANICKED with the panic action, then what the action says. */
  public void guestPanic() {
    machine.guestPanic(null);
  }

  /** As {@link #guestPanic()}, with GuestPanicInformation {@code info}. */
  public void guestPanic(ObjectNode info) {
    machine.guestPanic(info);
  }

  /** The guest suspends to RAM: SUSPEND, state suspended. */
  public void guestSuspend() {
    machine.guestSuspend();
  }

  /** The guest suspends to disk: SUSPEND_DISK, then it powers off. */
  public void guestSuspendToDisk() {
    machine.guestSuspendToDisk();
  }

  /** Something wakes the suspended guest: WAKEUP, state running. */
  public void guestWakeup() {
    machine.guestWakeup();
  }

  /** The guest's watchdog expires: WATCHDOG with the watchdog action, then the action. */
  public void watchdogExpire() {
    machine.watchdogExpire();
  }

  /** The guest sets its RTC {@code offsetSeconds} away from the host clock: RTC_CHANGE. */
  public void rtcChange(long offsetSeconds) {
    machine.rtcChange(offsetSeconds);
  }

  /**
   * A guest request on drive {@code drive} fails: BLOCK_IO_ERROR with the drive's error action
   * ({@code rerror} for reads, {@code werror} for writes), and STOP when that action is stop.
   *
   * @param operation {@code read} or {@code write}
   * @param noSpace whether the error is ENOSPC
   */
  public void ioError(String drive, String operation, boolean noSpace) {
    machine.block().ioError(drive, operation, noSpace);
  }

  /** The image of {@code drive} is found corrupt: BLOCK_IMAGE_CORRUPTED. */
  public void imageCorrupted(String drive, String msg, Long offset, Long size, boolean fatal) {
    machine.block().imageCorrupted(drive, msg, offset, size, fatal);
  }

  /** QUORUM_FAILURE. */
  public void quorumFailure(String reference, long sectorNum, long sectorsCount) {
    machine.block().quorumFailure(reference, sectorNum, sectorsCount);
  }

  /** QUORUM_REPORT_BAD; {@code type} is a QuorumOpType, {@code error} may be null. */
  public void quorumReportBad(
      String type, String nodeName, long sectorNum, long sectorsCount, String error) {
    machine.block().quorumReportBad(type, nodeName, sectorNum, sectorsCount, error);
  }

  /** Block job {@code job} meets an I/O error handled by {@code action}: BLOCK_JOB_ERROR, …. */
  public void blockJobError(String job, String operation, String action) {
    machine.block().jobs().error(job, operation, action);
  }

  /** The guest acknowledges the unplug of device {@code id} now: DEVICE_DELETED. */
  public void acknowledgeUnplug(String id) {
    machine.devices().acknowledgeUnplug(id);
  }

  /** The guest reports an ACPI _OST status: ACPI_DEVICE_OST. */
  public void acpiOst(String device, String slot, String slotType, long source, long status) {
    machine.devices().acpiOst(device, slot, slotType, source, status);
  }

  /** The guest refuses to release DIMM {@code device}: MEM_UNPLUG_ERROR. */
  public void memUnplugError(String device, String msg) {
    machine.devices().memUnplugError(device, msg);
  }

  /** The guest changes the receive filter of NIC {@code id}: NIC_RX_FILTER_CHANGED. */
  public void nicRxFilterChanged(String id) {
    machine.devices().rxFilterChanged(id);
  }

  /** The guest opens or closes virtio-serial port {@code id}: VSERPORT_CHANGE. */
  public void vserportChange(String id, boolean open) {
    machine.devices().vserportChange(id, open);
  }

  /** A VNC client connects: VNC_CONNECTED and VNC_INITIALIZED. */
  public void vncConnect(String host, String service) {
    machine.display().vncConnect(host, service);
  }

  /** A VNC client disconnects: VNC_DISCONNECTED. */
  public void vncDisconnect(String host, String service) {
    machine.display().vncDisconnect(host, service);
  }

  /** A SPICE client connects: SPICE_CONNECTED and SPICE_INITIALIZED. */
  public void spiceConnect(String host, String port) {
    machine.display().spiceConnect(host, port);
  }

  /** A SPICE client disconnects: SPICE_DISCONNECTED. */
  public void spiceDisconnect(String host, String port) {
    machine.display().spiceDisconnect(host, port);
  }

  /** SPICE_MIGRATE_COMPLETED. */
  public void spiceMigrateCompleted() {
    machine.display().spiceMigrateCompleted();
  }

  /**
   * Collects the machine's configuration, like QEMU's command line: through methods, or through
   * QEMU's own options with {@link #option(String, String)}.
   */
  public static final class Builder {
    private String name;
    private UUID uuid = new UUID(0, 0);
    private boolean startPaused;
    private boolean noShutdown;
    private boolean noReboot;
    private long memory = DEFAULT_MEMORY;
    private long maxMemory;
    private int memorySlots;
    private final List<ObjectNode> objects = new ArrayList<>();
    private int cpus = 1;
    private final MachineOptions options = new MachineOptions();
    private QmpVersion version = DEFAULT_VERSION;
    private Duration powerdownDelay = Duration.ofMillis(100);
    private Duration unplugDelay = Duration.ofMillis(50);
    private Duration tick = DEFAULT_TICK;

    private Builder() {}

    /** {@code -name NAME}: reported by {@code query-name}. Default: none. */
    public Builder name(String name) {
      this.name = name;
      return this;
    }

    /** {@code -uuid UUID}. Default: all zeros, as QEMU's. */
    public Builder uuid(UUID uuid) {
      this.uuid = Objects.requireNonNull(uuid, "uuid");
      return this;
    }

    /** {@code -S}: stay in {@code prelaunch} until {@code cont}. Default: run at once. */
    public Builder startPaused(boolean startPaused) {
      this.startPaused = startPaused;
      return this;
    }

    /** {@code -no-shutdown}: a guest power-off pauses the machine instead of ending it. */
    public Builder noShutdown(boolean noShutdown) {
      this.noShutdown = noShutdown;
      return this;
    }

    /** {@code -no-reboot}: a guest reboot shuts the machine down (reboot action shutdown). */
    public Builder noReboot(boolean noReboot) {
      this.noReboot = noReboot;
      return this;
    }

    /** {@code -m}: memory in bytes. Default {@link #DEFAULT_MEMORY}. */
    public Builder memory(long bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("memory must be positive");
      }
      this.memory = bytes;
      return this;
    }

    /** {@code -smp}: the number of CPUs. Default 1. */
    public Builder cpus(int cpus) {
      if (cpus < 1) {
        throw new IllegalArgumentException("need at least one CPU");
      }
      this.cpus = cpus;
      return this;
    }

    /**
     * One of QEMU's options that describe the machine, as on QEMU's command line ({@code value}
     * null for an option without one): {@code -name [guest=]NAME[,...]}, {@code -uuid}, {@code -m
     * [size=]SIZE[,...]}, {@code -smp [cpus=]N[,...]}, {@code -machine TYPE[,accel=...]} (pc, q35,
     * none), {@code -accel}, {@code -enable-kvm}, {@code -drive}, {@code -device}, {@code -netdev},
     * {@code -blockdev}, {@code -S}, {@code -no-shutdown}, {@code -no-reboot}. Drives and devices
     * are resolved when the machine is built, as QEMU resolves them (see {@code
     * docs/simulator.md}).
     *
     * @throws IllegalArgumentException for another option, or a value QEMU would refuse (the
     *     message is QEMU's, without the program name: {@code -uuid x: failed to parse UUID string:
     *     wrong format})
     */
    public Builder option(String option, String value) {
      String o = option.startsWith("--") ? option.substring(1) : option;
      if (!FLAG_OPTIONS.contains(o) && value == null) {
        throw new IllegalArgumentException(option + ": requires an argument");
      }
      switch (o) {
        case "-S":
          return startPaused(true);
        case "-no-shutdown":
          return noShutdown(true);
        case "-no-reboot":
          return noReboot(true);
        case "-enable-kvm":
          options.accel("kvm");
          return this;
        case "-name":
          return name(QemuOpts.parse(value, "guest").get("guest"));
        case "-uuid":
          try {
            if (!value.matches("[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")) {
              throw new IllegalArgumentException();
            }
            return uuid(UUID.fromString(value));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                option + " " + value + ": failed to parse UUID string: wrong format");
          }
        case "-m":
          return memoryOption(option, value);
        case "-object":
          objects.add(org.qmp4j.sim.internal.Memory.fromOpts(value));
          return this;
        case "-smp":
          {
            String n = QemuOpts.parse(value, "cpus").getOrDefault("cpus", "1");
            try {
              return cpus(Integer.parseInt(n));
            } catch (IllegalArgumentException e) {
              throw new IllegalArgumentException(
                  option + " " + value + ": Parameter 'cpus' expects a number");
            }
          }
        case "-machine":
          options.machine(value);
          return this;
        case "-accel":
          options.accel(value);
          return this;
        case "-drive":
          options.drive(value);
          return this;
        case "-device":
          options.device(value);
          return this;
        case "-netdev":
          options.netdev(value);
          return this;
        case "-blockdev":
          options.blockdev(value);
          return this;
        default:
          throw new IllegalArgumentException(option + ": not a machine option the simulator takes");
      }
    }

    /**
     * {@code -m [size=]SIZE[,slots=N,maxmem=SIZE]}, checked as QEMU checks it (its messages,
     * without the option).
     */
    private Builder memoryOption(String option, String value) {
      java.util.Map<String, String> p = QemuOpts.parse(value, "size");
      memory(memorySize(option, p.getOrDefault("size", "")));
      String slots = p.get("slots");
      String maxmem = p.get("maxmem");
      int n = 0;
      if (slots != null) {
        try {
          n = Integer.parseInt(slots);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "Parameter 'slots' expects a non-negative number below 2^64");
        }
      }
      long max = memory;
      if (maxmem != null) {
        max = memorySize(option, maxmem);
        if (max < memory) {
          throw new IllegalArgumentException(
              String.format(
                  "invalid value of maxmem: maximum memory size (0x%x) must be at least the initial"
                      + " memory size (0x%x)",
                  max, memory));
        }
        if (n > 0 && max == memory) {
          throw new IllegalArgumentException(
              String.format(
                  "invalid value of maxmem: memory slots were specified but maximum memory size"
                      + " (0x%x) is equal to the initial memory size (0x%x)",
                  max, memory));
        }
      } else if (slots != null) {
        throw new IllegalArgumentException("slots specified but no max-size");
      }
      if (n > org.qmp4j.sim.internal.Memory.MAX_SLOTS) {
        throw new IllegalArgumentException("unsupported amount of memory slots: " + n);
      }
      maxMemory = max;
      memorySlots = n;
      return this;
    }

    private static long memorySize(String option, String v) {
      long unit = 1L << 20;
      String digits = v;
      if (!v.isEmpty() && Character.isLetter(v.charAt(v.length() - 1))) {
        int shift = "BKMGTPE".indexOf(Character.toUpperCase(v.charAt(v.length() - 1))) * 10;
        if (shift < 0) {
          throw new IllegalArgumentException(option + " " + v + ": invalid memory size");
        }
        unit = 1L << shift;
        digits = v.substring(0, v.length() - 1);
      }
      try {
        long n = Long.parseLong(digits);
        return n == 0 ? DEFAULT_MEMORY : Math.multiplyExact(n, unit);
      } catch (ArithmeticException | NumberFormatException e) {
        throw new IllegalArgumentException(option + " " + v + ": invalid memory size");
      }
    }

    /** An empty IDE CD-ROM: {@code -drive if=none,id=ID,media=cdrom -device ide-cd,drive=ID}. */
    public Builder cdrom(String driveId, String deviceId) {
      Map<String, String> drive = new LinkedHashMap<>();
      drive.put("if", "none");
      drive.put("id", driveId);
      drive.put("media", "cdrom");
      options.drive(drive);
      return device("ide-cd", deviceId, "drive", driveId);
    }

    /**
     * A virtio disk: {@code -drive if=none,id=ID,file=FILE -device virtio-blk-pci,drive=ID}. The
     * file need not exist: the simulator does not touch it.
     */
    public Builder disk(String driveId, String deviceId, String file, long virtualSize) {
      return disk(driveId, deviceId, file, virtualSize, null, null);
    }

    /**
     * As {@link #disk(String, String, String, long)}, with the drive's error actions ({@code
     * rerror}: report, ignore, stop; {@code werror}: also enospc). {@code null} means QEMU's
     * default (report, enospc).
     */
    public Builder disk(
        String driveId,
        String deviceId,
        String file,
        long virtualSize,
        String rerror,
        String werror) {
      Map<String, String> drive = new LinkedHashMap<>();
      drive.put("if", "none");
      drive.put("id", driveId);
      drive.put("file", file);
      drive.put("format", "qcow2");
      if (rerror != null) {
        drive.put("rerror", rerror);
      }
      if (werror != null) {
        drive.put("werror", werror);
      }
      drive.put(MachineOptions.SIZE, Long.toString(virtualSize));
      options.drive(drive);
      return device("virtio-blk-pci", deviceId, "drive", driveId);
    }

    /** {@code -device virtio-balloon-pci,id=ID}. */
    public Builder balloon(String deviceId) {
      return device("virtio-balloon-pci", deviceId);
    }

    /** {@code -device virtio-net-pci,id=ID,mac=MAC}. */
    public Builder nic(String deviceId, String mac) {
      return device("virtio-net-pci", deviceId, "mac", mac);
    }

    /**
     * {@code -device DRIVER,id=ID}, for the models the simulator knows: virtio-net-pci, e1000,
     * virtio-blk-pci, virtio-balloon-pci, virtio-serial-pci, virtserialport, virtconsole, ide-cd,
     * ide-hd, pc-dimm, i6300esb, pvpanic.
     */
    public Builder device(String driver, String deviceId) {
      return device(driver, deviceId, null, null);
    }

    private Builder device(String driver, String deviceId, String key, String value) {
      Map<String, String> device = new LinkedHashMap<>();
      device.put("driver", driver);
      if (deviceId != null) {
        device.put("id", deviceId);
      }
      if (key != null && value != null) {
        device.put(key, value);
      }
      options.device(device);
      return this;
    }

    /** The version in the greeting, {@code query-version} and {@code info version}. */
    public Builder version(QmpVersion version) {
      this.version = Objects.requireNonNull(version, "version");
      return this;
    }

    /**
     * How long the guest takes to power off after {@code system_powerdown}; {@code null}: it
     * ignores the ACPI button (as a guest without ACPI support, or QEMU in prelaunch).
     */
    public Builder guestPowerdownDelay(Duration delay) {
      this.powerdownDelay = delay;
      return this;
    }

    /**
     * How long the running guest takes to release a device after {@code device_del}; {@code null}:
     * only {@link SimulatedMachine#acknowledgeUnplug} releases it.
     */
    public Builder guestUnplugDelay(Duration delay) {
      this.unplugDelay = delay;
      return this;
    }

    /** The step of simulated time for jobs, balloon and migration. */
    public Builder tick(Duration tick) {
      if (tick.isNegative() || tick.isZero()) {
        throw new IllegalArgumentException("tick must be positive");
      }
      this.tick = tick;
      return this;
    }

    /**
     * Builds the machine and starts its server's thread (add monitors with {@code listen}).
     *
     * @throws IllegalArgumentException for drives and devices that do not fit together (QEMU's
     *     message: a duplicate id, an unknown device model, a drive that does not exist, an image
     *     that cannot be opened, ...)
     */
    public SimulatedMachine build() {
      MachineOptions.Resolved r = options.resolve(cpus);
      return new SimulatedMachine(
          new MachineConfig(
              name,
              uuid,
              startPaused,
              noShutdown,
              noReboot,
              memory,
              cpus,
              r.machineType(),
              r.kvm(),
              r.blockdevs(),
              r.drives(),
              r.devices(),
              version,
              powerdownDelay,
              unplugDelay,
              tick,
              Math.max(maxMemory, memory),
              memorySlots,
              List.copyOf(objects)));
    }
  }
}
