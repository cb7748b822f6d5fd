package org.qmp4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.qmp4j.client.QmpClient;
import org.qmp4j.client.QmpCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code qmp4j exec}: one command, its return value as JSON. */
@Command(
    name = "exec",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    header = "Run one QMP command, print the return as JSON.",
    description = {
      "Connects, negotiates capabilities, runs COMMAND and prints the return value as JSON on"
          + " stdout: indented on a terminal, on one line when piped (--pretty, --compact).",
      "Arguments: key=value words (numbers and true/false are typed, [ and { start JSON, quotes"
          + " make strings, a.b=1 nests), or one JSON object.",
      "An error reply is printed on stderr as CLASS: desc, with exit status 1; a usage error or"
          + " a peer that cannot be reached exits with status 2."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  qmp4j exec /tmp/qmp.sock query-status",
      "  qmp4j exec /tmp/qmp.sock device_del id=net0",
      "  qmp4j exec /tmp/qmp.sock eject id=cd0dev force=true",
      "  qmp4j exec /tmp/qmp.sock qom-list '{\"path\": \"/machine\"}'",
      "  qmp4j exec tcp:localhost:4444 query-block --compact | jq '.[].device'",
      "  qmp4j exec /tmp/qmp.sock human-monitor-command command-line='info status'",
      "  qmp4j exec /tmp/qmp.sock '{\"execute\": \"query-name\"}'"
    })
final class ExecCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ADDR", description = "The QMP monitor to connect to.")
  String address;

  @Parameters(
      index = "1",
      paramLabel = "COMMAND",
      description = "The command, e.g. query-status; or a whole JSON request.")
  String command;

  @Parameters(
      index = "2..*",
      paramLabel = "ARG",
      description = "Arguments: key=value pairs, or one JSON object.")
  List<String> arguments;

  @Option(names = "--pretty", description = "Indent the JSON (default on a terminal).")
  Boolean pretty;

  @Option(names = "--compact", description = "The JSON on one line (default when piped).")
  Boolean compact;

  @Option(
      names = "--timeout",
      paramLabel = "S",
      description = "Give up on the reply after S seconds (default: 30).")
  Double timeoutSeconds;

  @Override
  public Integer call() {
    return run(spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  /**
   * Runs {@code exec} without picocli when {@code args} are {@code exec}, two or more plain words
   * and only the options {@code --pretty}, {@code --compact} and {@code --timeout S}, each once;
   * returns null for anything else (help, a usage error, another command), which picocli then
   * handles as before.
   */
  static Integer fastPath(PrintWriter out, PrintWriter err, String[] args) {
    if (args.length < 3 || !args[0].equals("exec")) {
      return null;
    }
    ExecCommand c = new ExecCommand();
    List<String> words = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("-")) {
        words.add(a);
      } else if (a.equals("--pretty") && c.pretty == null) {
        c.pretty = true;
      } else if (a.equals("--compact") && c.compact == null) {
        c.compact = true;
      } else if ((a.equals("--timeout") || a.startsWith("--timeout="))
          && c.timeoutSeconds == null) {
        String value =
            a.equals("--timeout") ? (i + 1 < args.length ? args[++i] : "") : a.substring(10);
        try {
          c.timeoutSeconds = Double.valueOf(value);
        } catch (NumberFormatException e) {
          return null;
        }
      } else {
        return null;
      }
    }
    if (words.size() < 2) {
      return null;
    }
    c.address = words.get(0);
    c.command = words.get(1);
    c.arguments = words.subList(2, words.size());
    try {
      return c.run(out, err);
    } catch (Exception e) {
      try {
        return Main.report(e, "qmp4j exec", err);
      } catch (RuntimeException bug) {
        throw bug;
      } catch (Exception bug) {
        throw new IllegalStateException(bug);
      }
    }
  }

  private int run(PrintWriter out, PrintWriter err) {
    if (command.startsWith("{") && arguments != null && !arguments.isEmpty()) {
      throw new Cli.Failure(
          Main.EXIT_USAGE, "qmp4j exec: a JSON request takes no further arguments");
    }
    ObjectNode args =
        command.startsWith("{")
            ? null
            : ArgumentSyntax.arguments(arguments == null ? List.of() : arguments);
    QmpCommand cmd = QmpCommand.of(command.startsWith("{") ? "-" : command, args);
    if (timeoutSeconds != null) {
      cmd = cmd.withTimeout(Duration.ofMillis((long) (timeoutSeconds * 1000)));
    }
    try (QmpClient client = Cli.connect("exec", address)) {
      JsonNode result;
      if (command.startsWith("{")) {
        // A whole request, as the shell takes it: {"execute": ..., "arguments": ...}.
        ObjectNode reply = client.executeRaw(command);
        JsonNode error = reply.get("error");
        if (error != null) {
          err.println(error.path("class").asText() + ": " + error.path("desc").asText());
          return Main.EXIT_FAILURE;
        }
        result = reply.get("return");
      } else {
        result = client.execute(cmd);
      }
      out.println(Cli.json(result, Cli.pretty(pretty, compact)));
      out.flush();
      return Main.EXIT_OK;
    }
  }
}
