package org.qmp4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code qmp4j vm-info}: a summary of the machine. */
@Command(
    name = "vm-info",
    header = "Print a summary of the machine. (planned)",
    description =
        "Version, name, run state, CPUs, memory, block devices and jobs, gathered with query-*"
            + " commands.",
    footerHeading = "%nExamples:%n",
    footer = {"  qmp4j vm-info /tmp/qmp.sock"})
final class VmInfoCommand extends PlannedCommand {

  @Parameters(index = "0", paramLabel = "ADDR", description = "The QMP monitor to connect to.")
  String address;
}
