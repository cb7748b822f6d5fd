package org.qmp4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code qmp4j job}: background jobs (block jobs and others). */
@Command(
    name = "job",
    header = "List background jobs, or act on one. (planned)",
    description = {
      "Without ACTION, lists the jobs (query-jobs).",
      "ACTION is one of cancel, pause, resume, complete, finalize, dismiss, applied to job ID"
          + " with the matching job-* command."
    },
    footerHeading = "%nExamples:%n",
    footer = {"  qmp4j job /tmp/qmp.sock", "  qmp4j job /tmp/qmp.sock cancel backup0"})
final class JobCommand extends PlannedCommand {

  @Parameters(index = "0", paramLabel = "ADDR", description = "The QMP monitor to connect to.")
  String address;

  @Parameters(index = "1", arity = "0..1", paramLabel = "ACTION", description = "What to do.")
  String action;

  @Parameters(index = "2", arity = "0..1", paramLabel = "ID", description = "The job's id.")
  String id;
}
