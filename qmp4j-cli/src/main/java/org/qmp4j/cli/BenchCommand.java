package org.qmp4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code qmp4j bench}: client throughput and latency against a live monitor. */
@Command(
    name = "bench",
    header = "Measure client throughput and latency. (planned)",
    description =
        "Sends a cheap command (query-status) COUNT times from CONCURRENCY callers and prints"
            + " commands per second and latency percentiles.",
    footerHeading = "%nExamples:%n",
    footer = {"  qmp4j bench /tmp/qmp.sock --count 100000 --concurrency 8"})
final class BenchCommand extends PlannedCommand {

  @Parameters(index = "0", paramLabel = "ADDR", description = "The QMP monitor to connect to.")
  String address;

  @Option(names = "--count", paramLabel = "N", description = "How many commands to send.")
  Integer count;

  @Option(
      names = "--concurrency",
      paramLabel = "C",
      description = "How many commands may be in flight at once.")
  Integer concurrency;
}
