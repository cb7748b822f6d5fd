package org.qmp4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.qmp4j.protocol.QmpCommunicationException;
import org.qmp4j.protocol.QmpErrorException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Entry point of the {@code qmp4j} command.
 *
 * <p>Exit status: {@value #EXIT_OK} on success, {@value #EXIT_FAILURE} when the command failed,
 * {@value #EXIT_USAGE} for a usage error or a peer that could not be reached.
 *
 * <p>The subcommands are registered when the command line is built, not in the annotation: when the
 * first argument names one of them, only that one is (picocli reads every registered command's
 * annotations at start-up, which is most of the start-up time of {@code qmp4j exec}).
 */
@Command(
    name = "qmp4j",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    header = "The QEMU Machine Protocol (QMP) from the command line.",
    description = {
      "Talks QMP to a QEMU monitor or a QEMU guest agent, or serves a simulated QEMU machine."
    },
    synopsisSubcommandLabel = "COMMAND",
    commandListHeading = "%nCommands:%n",
    footerHeading = "%n",
    footer = {
      "ADDR is unix:PATH, tcp:HOST:PORT, a PATH to a unix socket, or HOST:PORT.",
      "",
      "Examples:",
      "  qmp4j shell",
      "      an interactive shell on a built-in simulated machine",
      "  qmp4j serve --qmp unix:/tmp/qmp.sock -S",
      "      serve a simulated machine, paused, on a unix socket",
      "  qmp4j shell /tmp/qmp.sock",
      "      an interactive shell on the QEMU (or qmp4j) listening there",
      "  qmp4j exec /tmp/qmp.sock query-status",
      "      one command; the return value printed as JSON",
      "  qmp4j exec tcp:localhost:4444 device_del id=net0",
      "      arguments as key=value",
      "  qmp4j events /tmp/qmp.sock --name SHUTDOWN --count 1 --timeout 30",
      "      wait for one SHUTDOWN event and print it as a JSON line",
      "  qmp4j ga /tmp/qga.sock guest-ping",
      "      one guest agent command",
      "  qmp4j help exec",
      "      the options of one command",
      "  source <(qmp4j generate-completion)",
      "      TAB completion of qmp4j's commands and options in bash or zsh",
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:success",
      "1:failure: the peer answered with an error",
      "2:usage error, or the peer could not be reached or the connection broke"
    })
public final class Main implements Callable<Integer> {

  /** Exit status of a command that succeeded. */
  static final int EXIT_OK = 0;

  /** Exit status of a command that failed: the peer answered with an error. */
  static final int EXIT_FAILURE = 1;

  /**
   * Exit status of a usage error, or of a peer that could not be reached or broke the connection.
   */
  static final int EXIT_USAGE = 2;

  @Spec private CommandSpec spec;

  private Main() {}

  /** Runs the {@code qmp4j} command and exits the JVM with its status. */
  public static void main(String[] args) {
    if (Boolean.getBoolean("qmp4j.train")) {
      // The launcher's class-data sharing training run (see Training).
      System.exit(Training.run());
    }
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    System.exit(run(out, err, args));
  }

  /** Runs the {@code qmp4j} command with the given streams and returns its exit status. */
  static int run(PrintWriter out, PrintWriter err, String... args) {
    // exec, the command scripts run most, starts without building picocli's model (a third of its
    // start-up) when its arguments are plain; anything else goes through picocli.
    Integer fast = ExecCommand.fastPath(out, err, args);
    if (fast != null) {
      out.flush();
      err.flush();
      return fast;
    }
    int status = commandLine(out, err, args).execute(args);
    out.flush();
    err.flush();
    return status;
  }

  /** The commands, in the order help lists them. */
  private static final Map<String, Supplier<Object>> COMMANDS = new LinkedHashMap<>();

  static {
    COMMANDS.put("serve", ServeCommand::new);
    COMMANDS.put("shell", ShellCommand::new);
    COMMANDS.put("exec", ExecCommand::new);
    COMMANDS.put("events", EventsCommand::new);
    COMMANDS.put("ga", GaCommand::new);
    COMMANDS.put("vm-info", VmInfoCommand::new);
    COMMANDS.put("bench", BenchCommand::new);
    COMMANDS.put("job", JobCommand::new);
    COMMANDS.put("migrate", MigrateCommand::new);
    // Lambdas, not constructor references: picocli's classes load only when a command line is
    // built.
    COMMANDS.put("help", HelpCommand::new);
    COMMANDS.put("generate-completion", () -> new picocli.AutoComplete.GenerateCompletion());
  }

  /** The {@code qmp4j} command with every subcommand, writing to the given streams. */
  static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    return commandLine(out, err, new String[0]);
  }

  /**
   * The {@code qmp4j} command for {@code args}: with only the subcommand {@code args[0]} names, if
   * it names one other than help and generate-completion (which need them all); else with all.
   */
  static CommandLine commandLine(PrintWriter out, PrintWriter err, String[] args) {
    CommandLine cli = new CommandLine(new Main());
    String first = args.length > 0 ? args[0] : "";
    if (COMMANDS.containsKey(first)
        && !first.equals("help")
        && !first.equals("generate-completion")) {
      cli.addSubcommand(first, COMMANDS.get(first).get());
    } else {
      COMMANDS.forEach((name, command) -> cli.addSubcommand(name, command.get()));
    }
    cli.setOut(out).setErr(err);
    cli.setExecutionExceptionHandler(Main::failed);
    cli.setParameterExceptionHandler(Main::usageError);
    return cli;
  }

  /**
   * A usage error: what is wrong, picocli's suggestions for a mistyped name, the synopsis, and
   * where to read more; not the whole help, which would bury the one line that matters.
   */
  private static int usageError(CommandLine.ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    PrintWriter err = command.getErr();
    err.println(e.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
    err.print("Usage: " + command.getHelp().synopsis(0));
    err.println(
        "Try '" + command.getCommandSpec().qualifiedName() + " --help' for more information.");
    err.flush();
    return EXIT_USAGE;
  }

  /** Reports what went wrong in one line on stderr and picks the exit status. */
  private static int failed(Exception e, CommandLine command, CommandLine.ParseResult parsed)
      throws Exception {
    return report(e, command.getCommandSpec().qualifiedName(), command.getErr());
  }

  /**
   * Prints what went wrong, as {@code name: message} or {@code CLASS: desc}, and returns the exit
   * status; rethrows what is a bug rather than a failure.
   */
  static int report(Exception e, String name, PrintWriter err) throws Exception {
    if (e instanceof Cli.Failure f) {
      err.println(f.getMessage());
      return f.status;
    }
    if (e instanceof QmpErrorException q) {
      err.println(Cli.describe(q));
      return EXIT_FAILURE;
    }
    if (e instanceof ArgumentSyntax.SyntaxException s) {
      err.println(name + ": " + s.getMessage());
      return EXIT_USAGE;
    }
    if (e instanceof QmpCommunicationException c) {
      err.println(name + ": " + c.getMessage());
      return EXIT_USAGE;
    }
    throw e;
  }

  /** {@code qmp4j} without a command: the usage, on stderr, as a usage error. */
  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    err.println("qmp4j: missing COMMAND");
    spec.commandLine().usage(err);
    return EXIT_USAGE;
  }

  /** The version of qmp4j, from the Maven project version, or {@code "unknown"}. */
  static String version() {
    try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** {@code qmp4j --version}: ours, then the JVM's. */
  static final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "qmp4j " + version(),
        "Java "
            + System.getProperty("java.version")
            + " ("
            + System.getProperty("java.vm.name")
            + ", "
            + System.getProperty("java.vendor")
            + ")"
      };
    }
  }
}
