package org.qmp4j.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code qmp4j help [COMMAND [SUBCOMMAND]]}: the help of a command at any depth ({@code qmp4j help
 * job watch}), which picocli's own help command does not reach.
 */
@Command(
    name = "help",
    header = "Show the help of qmp4j or of one of its commands.",
    synopsisHeading = "%nUsage: ",
    description =
        "qmp4j help COMMAND [SUBCOMMAND] is the same as qmp4j COMMAND [SUBCOMMAND] --help.")
final class HelpCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(
      paramLabel = "COMMAND",
      arity = "0..*",
      description = "The command, and its subcommand, whose help to show.")
  List<String> names;

  @Override
  public Integer call() {
    CommandLine command = spec.parent().commandLine();
    PrintWriter out = spec.commandLine().getOut();
    if (names != null) {
      for (String name : names) {
        CommandLine sub = command.getSubcommands().get(name);
        if (sub == null) {
          PrintWriter err = spec.commandLine().getErr();
          err.println(
              "qmp4j help: no command '"
                  + String.join(" ", names)
                  + "'; "
                  + command.getCommandSpec().qualifiedName()
                  + " has: "
                  + String.join(", ", command.getSubcommands().keySet()));
          err.flush();
          return Main.EXIT_USAGE;
        }
        command = sub;
      }
    }
    command.usage(out);
    out.flush();
    return Main.EXIT_OK;
  }
}
