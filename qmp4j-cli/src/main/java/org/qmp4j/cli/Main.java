package org.qmp4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.Callable;
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
 * {@value #EXIT_USAGE} for a usage error or a command this version does not implement yet.
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
    subcommands = {
      ServeCommand.class,
      ShellCommand.class,
      ExecCommand.class,
      EventsCommand.class,
      GaCommand.class,
      VmInfoCommand.class,
      BenchCommand.class,
      JobCommand.class,
      MigrateCommand.class,
      CommandLine.HelpCommand.class,
      picocli.AutoComplete.GenerateCompletion.class
    },
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
      "2:usage error, the peer could not be reached or the connection broke, or a command this"
          + " version does not implement yet"
    })
public final class Main implements Callable<Integer> {

  /** Exit status of a command that succeeded. */
  static final int EXIT_OK = 0;

  /** Exit status of a command that failed: the peer answered with an error. */
  static final int EXIT_FAILURE = 1;

  /**
   * Exit status of a usage error, of a peer that could not be reached or broke the connection, or
   * of a command this version does not implement yet.
   */
  static final int EXIT_USAGE = 2;

  @Spec private CommandSpec spec;

  private Main() {}

  /** Runs the {@code qmp4j} command and exits the JVM with its status. */
  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    System.exit(run(out, err, args));
  }

  /** Runs the {@code qmp4j} command with the given streams and returns its exit status. */
  static int run(PrintWriter out, PrintWriter err, String... args) {
    int status = commandLine(out, err).execute(args);
    out.flush();
    err.flush();
    return status;
  }

  /** The {@code qmp4j} command, writing to the given streams. */
  static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(out).setErr(err);
    CommandLine.IParameterExceptionHandler usageError = cli.getParameterExceptionHandler();
    cli.setParameterExceptionHandler(
        (ex, rest) -> {
          // Whatever the arguments, a planned command says it is not there (not "missing ADDR").
          if (ex.getCommandLine().getCommand() instanceof PlannedCommand planned) {
            return planned.notImplemented(ex.getCommandLine());
          }
          return usageError.handleParseException(ex, rest);
        });
    cli.setExecutionExceptionHandler(Main::failed);
    return cli;
  }

  /** Reports what went wrong in one line on stderr and picks the exit status. */
  private static int failed(Exception e, CommandLine command, CommandLine.ParseResult parsed)
      throws Exception {
    PrintWriter err = command.getErr();
    String name = command.getCommandSpec().qualifiedName();
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
