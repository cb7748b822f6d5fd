package org.qmp4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code qmp4j shell}: interactive QMP. */
@Command(
    name = "shell",
    header = "An interactive QMP shell. (planned)",
    description = {
      "Reads commands, sends them, prints replies and events as they come.",
      "Without ADDR, the shell starts a simulated machine in this process and talks to it."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  qmp4j shell",
      "  qmp4j shell unix:/run/vm1/qmp.sock",
      "  qmp4j shell localhost:4444"
    })
final class ShellCommand extends PlannedCommand {

  @Parameters(
      arity = "0..1",
      paramLabel = "ADDR",
      description = "The QMP monitor to connect to; none: a built-in simulated machine.")
  String address;
}
