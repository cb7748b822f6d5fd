package org.qmp4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code qmp4j migrate}: start a migration and follow it. */
@Command(
    name = "migrate",
    header = "Migrate the machine and follow the progress. (planned)",
    description =
        "Starts a migration to URI and reports its progress (query-migrate) until it completes"
            + " (exit status 0) or fails (exit status 1).",
    footerHeading = "%nExamples:%n",
    footer = {"  qmp4j migrate /tmp/qmp.sock tcp:dest.example:4444"})
final class MigrateCommand extends PlannedCommand {

  @Parameters(index = "0", paramLabel = "ADDR", description = "The QMP monitor to connect to.")
  String address;

  @Parameters(
      index = "1",
      paramLabel = "URI",
      description = "Where to, as QEMU's migrate command takes it, e.g. tcp:HOST:PORT.")
  String uri;
}
