package org.qmp4j.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code qmp4j ga}: one guest agent command. */
@Command(
    name = "ga",
    header = "Run one QEMU guest agent command. (planned)",
    description =
        "Talks to a qemu-ga socket (synchronising first with guest-sync-delimited) and prints"
            + " the return value as JSON.",
    footerHeading = "%nExamples:%n",
    footer = {
      "  qmp4j ga /tmp/qga.sock guest-ping",
      "  qmp4j ga /tmp/qga.sock guest-exec path=/bin/true"
    })
final class GaCommand extends PlannedCommand {

  @Parameters(index = "0", paramLabel = "ADDR", description = "The guest agent's socket.")
  String address;

  @Parameters(index = "1", paramLabel = "COMMAND", description = "The command, e.g. guest-ping.")
  String command;

  @Parameters(
      index = "2..*",
      paramLabel = "ARG",
      description = "Arguments: key=value pairs, or one JSON object.")
  List<String> arguments;
}
