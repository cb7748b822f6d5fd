package org.qmp4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.qmp4j.client.GuestAgentClient;
import org.qmp4j.client.GuestExecResult;
import org.qmp4j.client.QmpCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code qmp4j ga}: one guest agent command. */
@Command(
    name = "ga",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    header = "Run one QEMU guest agent command.",
    description = {
      "Talks to a qemu-ga socket (synchronising first with guest-sync-delimited, so a stale"
          + " reply or half a request left by an earlier client does no harm) and prints the"
          + " return value as JSON, with the argument syntax of exec.",
      "Two helpers: 'exec -- PROGRAM ARGS...' runs a program in the guest, prints its output"
          + " and exits with its status; 'cp SRC DST' copies a file in or out, the guest's path"
          + " written as guest:PATH."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  qmp4j ga /tmp/qga.sock guest-ping",
      "  qmp4j ga /tmp/qga.sock guest-get-osinfo",
      "  qmp4j ga /tmp/qga.sock guest-file-open path=/etc/hostname mode=r",
      "  qmp4j ga /tmp/qga.sock exec -- /bin/uname -a",
      "  qmp4j ga /tmp/qga.sock cp tool.sh guest:/tmp/tool.sh",
      "  qmp4j ga /tmp/qga.sock cp guest:/var/log/syslog ./syslog"
    })
final class GaCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ADDR", description = "The guest agent's socket.")
  String address;

  @Parameters(
      index = "1",
      paramLabel = "COMMAND",
      description = "The command (guest-ping, ...), or exec, or cp.")
  String command;

  @Parameters(
      index = "2..*",
      paramLabel = "ARG",
      description =
          "Arguments: key=value pairs, or one JSON object; for exec the program and"
              + " its arguments; for cp SRC DST.")
  List<String> arguments;

  @Option(
      names = "--timeout",
      paramLabel = "S",
      description = "How long the agent may take to answer (default: 5; exec: 60).")
  Double timeoutSeconds;

  @Option(names = "--pretty", description = "Indent the JSON (default on a terminal).")
  Boolean pretty;

  @Option(names = "--compact", description = "The JSON on one line (default when piped).")
  Boolean compact;

  @Override
  public Integer call() throws IOException {
    List<String> args = arguments == null ? List.of() : arguments;
    PrintWriter out = spec.commandLine().getOut();
    Duration timeout =
        timeoutSeconds != null
            ? Duration.ofMillis((long) (timeoutSeconds * 1000))
            : command.equals("exec") ? Duration.ofSeconds(60) : GuestAgentClient.DEFAULT_TIMEOUT;
    switch (command) {
      case "exec" -> {
        if (args.isEmpty()) {
          throw new Cli.Failure(
              Main.EXIT_USAGE, "qmp4j ga exec: which program? ga ADDR exec -- PROGRAM ARGS...");
        }
        try (GuestAgentClient ga =
            Cli.connectAgent("ga", address, GuestAgentClient.DEFAULT_TIMEOUT)) {
          GuestExecResult r = ga.exec(args.get(0), args.subList(1, args.size()), null, timeout);
          out.print(r.stdoutText());
          out.flush();
          spec.commandLine().getErr().print(r.stderrText());
          spec.commandLine().getErr().flush();
          if (r.signal() >= 0) {
            return 128 + r.signal();
          }
          return r.exitCode();
        }
      }
      case "cp" -> {
        if (args.size() != 2) {
          throw new Cli.Failure(Main.EXIT_USAGE, "qmp4j ga cp: SRC DST, one of them guest:PATH");
        }
        String src = args.get(0);
        String dst = args.get(1);
        try (GuestAgentClient ga = Cli.connectAgent("ga", address, timeout)) {
          if (dst.startsWith("guest:") && !src.startsWith("guest:")) {
            ga.copyIn(Path.of(src), dst.substring(6));
          } else if (src.startsWith("guest:") && !dst.startsWith("guest:")) {
            ga.copyOut(src.substring(6), Path.of(dst));
          } else {
            throw new Cli.Failure(
                Main.EXIT_USAGE, "qmp4j ga cp: exactly one of SRC and DST must be guest:PATH");
          }
          return Main.EXIT_OK;
        }
      }
      default -> {
        ObjectNode a = ArgumentSyntax.arguments(args);
        try (GuestAgentClient ga = Cli.connectAgent("ga", address, timeout)) {
          JsonNode result = ga.execute(QmpCommand.of(command, a));
          out.println(Cli.json(result, Cli.pretty(pretty, compact)));
          out.flush();
          return Main.EXIT_OK;
        }
      }
    }
  }
}
