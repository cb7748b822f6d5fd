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
      "The machine (unless --nodefaults) has a disk disk0, an empty CD-ROM cd0, a balloon and a"
          + " NIC net0; its greeting says \"qmp4j simulator\". docs/simulator.md lists what it does."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  qmp4j serve",
      "      one monitor on the unix socket ./qmp4j.sock",
      "  qmp4j serve --qmp unix:/tmp/qmp.sock",
      "  qmp4j serve --qmp /tmp/a.sock --qmp tcp:localhost:4444 -S --name vm1",
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

  @Option(names = "--nodefaults", description = "A machine without devices, as QEMU's -nodefaults.")
  boolean nodefaults;

  @Override
  public Integer call() throws IOException, InterruptedException {
    List<String> addresses =
        monitors == null || monitors.isEmpty()
            ? List.of(DEFAULT_ADDRESS)
            : new ArrayList<>(monitors);
    SimulatorOptions options = new SimulatorOptions(addresses, stopped, pretty, name, !nodefaults);
    PrintStream log = System.err;
    SimulatedMachine vm;
    try {
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
