package org.qmp4j.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code qmp4j exec}: one command. */
@Command(
    name = "exec",
    header = "Run one QMP command, print the return as JSON. (planned)",
    description = {
      "Connects, negotiates capabilities, runs COMMAND and prints the return value as JSON.",
      "An error reply is printed on stderr as CLASS: desc, with exit status 1."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  qmp4j exec /tmp/qmp.sock query-status",
      "  qmp4j exec /tmp/qmp.sock device_del id=net0",
      "  qmp4j exec /tmp/qmp.sock qom-list '{\"path\": \"/machine\"}'"
    })
final class ExecCommand extends PlannedCommand {

  @Parameters(index = "0", paramLabel = "ADDR", description = "The QMP monitor to connect to.")
  String address;

  @Parameters(index = "1", paramLabel = "COMMAND", description = "The command, e.g. query-status.")
  String command;

  @Parameters(
      index = "2..*",
      paramLabel = "ARG",
      description = "Arguments: key=value pairs, or one JSON object.")
  List<String> arguments;
}
