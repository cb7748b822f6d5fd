package org.qmp4j.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code qmp4j serve}: the simulated machine behind one or more QMP monitors. */
@Command(
    name = "serve",
    header = "Serve QMP from a simulated machine. (planned)",
    description = {
      "Starts the built-in simulated QEMU machine and listens for QMP clients, as QEMU does with"
          + " -qmp or -mon. Each --qmp address is a separate monitor."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  qmp4j serve --qmp unix:/tmp/qmp.sock",
      "  qmp4j serve --qmp /tmp/a.sock --qmp tcp:localhost:4444 -S --name vm1"
    })
final class ServeCommand extends PlannedCommand {

  @Option(
      names = "--qmp",
      paramLabel = "ADDR",
      description = "Listen for QMP clients on ADDR; repeat for several monitors.")
  List<String> monitors;

  @Option(names = "-S", description = "Start with the CPUs stopped, as QEMU's -S.")
  boolean stopped;

  @Option(names = "--pretty", description = "Pretty-print replies and events, as -mon pretty=on.")
  boolean pretty;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description = "The machine's name, as QEMU's -name (reported by query-name).")
  String name;
}
