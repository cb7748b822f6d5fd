package org.qmp4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.qmp4j.sim.SimulatedMachine;
import org.qmp4j.sim.SimulatorMain;
import org.qmp4j.sim.SimulatorOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code qmp4j serve}: the simulated machine behind QMP monitors. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    header = "Serve QMP from a simulated machine.",
    description = {
      "Starts the built-in simulated QEMU 7.2 machine and listens for QMP clients, as QEMU does"
          + " with -qmp. Each --qmp address is a separate monitor. Runs until a client sends quit"
          + " (or Ctrl-C), then exits with QEMU's status.",
      "Without machine options the machine is QEMU's -machine pc -nodefaults with no devices (no"
          + " drives, no balloon), to compare with QEMU started that way. QEMU's own options describe"
          + " more (-drive, -device, ...), as does a JSON --config file; --demo starts from the"
          + " demo machine (disk disk0, empty CD-ROM cd0, balloon, NIC net0). Its greeting says"
          + " \"qmp4j simulator\". docs/simulator.md lists what it does."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  qmp4j serve",
      "      one monitor on the unix socket ./qmp4j.sock",
      "  qmp4j serve --qmp unix:/tmp/qmp.sock",
      "  qmp4j serve --qmp /tmp/a.sock --qmp tcp:localhost:4444 -S --name vm1",
      "  qmp4j serve --qmp /tmp/qmp.sock -drive if=none,id=d0,file=/tmp/d.qcow2 \\",
      "      -device virtio-blk-pci,drive=d0,id=disk0 -device virtio-balloon-pci,id=balloon0",
      "  qmp4j serve --qmp /tmp/qmp.sock --demo",
      "  qmp4j serve --qmp /tmp/qmp.sock --config vm1.json",
      "  qmp4j serve --qmp /tmp/qmp.sock & qmp4j shell /tmp/qmp.sock"
    })
final class ServeCommand implements Callable<Integer> {

  /** Where {@code serve} listens when no {@code --qmp} is given. */
  static final String DEFAULT_ADDRESS = "unix:qmp4j.sock";

  @Spec CommandSpec spec;

  @Option(
      names = "--qmp",
      paramLabel = "ADDR",
      description =
          "Listen for QMP clients on ADDR; repeat for several monitors. Default: "
              + DEFAULT_ADDRESS)
  List<String> monitors;

  @Option(names = "-S", description = "Start with the CPUs stopped (prelaunch), as QEMU's -S.")
  boolean stopped;

  @Option(names = "--pretty", description = "Pretty-print replies and events, as -mon pretty=on.")
  boolean pretty;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description = "The machine's name, as QEMU's -name (reported by query-name).")
  String name;

  @Option(
      names = {"--nodefaults", "-nodefaults"},
      description = "A machine without devices, as QEMU's -nodefaults (the default).")
  boolean nodefaults;

  @Option(
      names = "--demo",
      description = "Start from the demo machine: disk disk0, empty CD-ROM cd0, balloon, NIC net0.")
  boolean demo;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Machine options from a JSON file (docs/simulator.md); options given here add.")
  String config;

  @Option(
      names = "-name",
      paramLabel = "[guest=]NAME",
      description = "As QEMU's -name; same as --name.")
  String qemuName;

  @Option(names = "-uuid", paramLabel = "UUID", description = "As QEMU's -uuid.")
  String uuid;

  @Option(names = "-m", paramLabel = "SIZE", description = "Memory, as QEMU's -m (1024, 1G).")
  String memory;

  @Option(names = "-smp", paramLabel = "N", description = "CPUs, as QEMU's -smp.")
  String smp;

  @Option(
      names = {"-machine", "-M"},
      paramLabel = "TYPE[,accel=A]",
      description = "pc (the default), q35 or none; accel=kvm shows in query-kvm.")
  String machine;

  @Option(
      names = "-drive",
      paramLabel = "OPTS",
      description =
          "A drive, as QEMU's -drive (if=none|ide|virtio, id, file, format, media=cdrom,"
              + " readonly, rerror, werror, node-name, index/bus/unit). Repeatable.")
  List<String> drives;

  @Option(
      names = "-device",
      paramLabel = "DRIVER,OPTS",
      description =
          "A device, as QEMU's -device (virtio-blk-pci, ide-hd, ide-cd with drive=; virtio-net-pci,"
              + " e1000 with netdev=, mac=; virtio-balloon-pci; ...; id=, bus=, addr=). Repeatable.")
  List<String> devices;

  @Option(names = "-netdev", paramLabel = "TYPE,id=ID", description = "As QEMU's -netdev.")
  List<String> netdevs;

  @Option(names = "-blockdev", paramLabel = "OPTS", description = "A named node, as -blockdev.")
  List<String> blockdevs;

  @Option(names = "-no-shutdown", description = "A guest power-off pauses, as QEMU's.")
  boolean noShutdown;

  @Option(
      names = "--guest-agent",
      paramLabel = "ADDR",
      description =
          "Serve the guest's agent (qemu-ga 7.2: guest-exec, guest-file-*, guest-shutdown, ...)"
              + " on ADDR, as a virtio-serial channel to qemu-ga would be.")
  List<String> guestAgents;

  /** The QEMU machine options given, as command-line words. */
  List<String> machineWords() {
    List<String> w = new ArrayList<>();
    if (config != null) {
      w.addAll(SimulatorOptions.config(java.nio.file.Path.of(config)));
    }
    add(w, "-name", qemuName);
    add(w, "-uuid", uuid);
    add(w, "-m", memory);
    add(w, "-smp", smp);
    add(w, "-machine", machine);
    addAll(w, "-netdev", netdevs);
    addAll(w, "-blockdev", blockdevs);
    addAll(w, "-drive", drives);
    addAll(w, "-device", devices);
    if (noShutdown) {
      w.add("-no-shutdown");
    }
    return w;
  }

  private static void add(List<String> words, String option, String value) {
    if (value != null) {
      words.add(option);
      words.add(value);
    }
  }

  private static void addAll(List<String> words, String option, List<String> values) {
    if (values != null) {
      for (String v : values) {
        add(words, option, v);
      }
    }
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    List<String> addresses =
        monitors == null || monitors.isEmpty()
            ? List.of(DEFAULT_ADDRESS)
            : new ArrayList<>(monitors);
    PrintStream log = System.err;
    SimulatedMachine vm;
    try {
      SimulatorOptions options =
          new SimulatorOptions(
              addresses,
              stopped,
              pretty,
              name,
              demo && !nodefaults,
              machineWords(),
              guestAgents == null ? List.of() : guestAgents);
      vm = SimulatorMain.start(options, log);
    } catch (IllegalArgumentException | IOException e) {
      throw new Cli.Failure(Main.EXIT_USAGE, "qmp4j serve: " + e.getMessage());
    }
    Thread closer = new Thread(vm::close, "qmp4j-serve-close");
    Runtime.getRuntime().addShutdownHook(closer);
    try {
      return vm.terminated().get();
    } catch (ExecutionException e) {
      throw new Cli.Failure(Main.EXIT_FAILURE, "qmp4j serve: " + e.getCause());
    } finally {
      vm.close();
      try {
        Runtime.getRuntime().removeShutdownHook(closer);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down; the hook runs anyway.
      }
    }
  }
}
