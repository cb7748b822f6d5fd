package org.qmp4j.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code qmp4j events}: the event stream as JSON lines. */
@Command(
    name = "events",
    header = "Print events as JSON lines. (planned)",
    description = "Connects and prints each event the monitor sends as one line of JSON.",
    footerHeading = "%nExamples:%n",
    footer = {
      "  qmp4j events /tmp/qmp.sock",
      "  qmp4j events /tmp/qmp.sock --name BLOCK_JOB_COMPLETED --name BLOCK_JOB_ERROR --count 1"
    })
final class EventsCommand extends PlannedCommand {

  @Parameters(index = "0", paramLabel = "ADDR", description = "The QMP monitor to connect to.")
  String address;

  @Option(
      names = "--name",
      paramLabel = "EVENT",
      description = "Only events with this name; repeat for several. Default: all.")
  List<String> names;

  @Option(names = "--count", paramLabel = "N", description = "Stop after N events.")
  Integer count;

  @Option(
      names = "--timeout",
      paramLabel = "S",
      description = "Stop after S seconds; exit status 1 if fewer than --count events came.")
  Double timeoutSeconds;
}
