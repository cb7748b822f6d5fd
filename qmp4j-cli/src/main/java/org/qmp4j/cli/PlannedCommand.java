package org.qmp4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A command of the {@code qmp4j} contract that this version does not implement yet. Its options and
 * parameters are declared, so {@code --help} shows the planned interface; running it says that it
 * is not there yet and exits with {@link Main#EXIT_USAGE}, whatever the arguments.
 *
 * <p>To implement a command, make it a plain {@code Callable<Integer>} instead of a subclass.
 */
abstract class PlannedCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  private boolean help;

  @Override
  public Integer call() {
    return notImplemented(spec.commandLine());
  }

  /** Prints {@code qmp4j NAME: not implemented yet ...} on stderr; returns the exit status. */
  int notImplemented(CommandLine command) {
    command
        .getErr()
        .println(
            command.getCommandSpec().qualifiedName()
                + ": not implemented yet in this version (see README)");
    return Main.EXIT_USAGE;
  }
}
