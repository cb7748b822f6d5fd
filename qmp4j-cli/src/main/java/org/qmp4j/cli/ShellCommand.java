package org.qmp4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.qmp4j.client.QmpClient;
import org.qmp4j.protocol.QmpGreeting;
import org.qmp4j.protocol.QmpVersion;
import org.qmp4j.sim.SimulatedMachine;
import org.qmp4j.transport.QmpAddress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code qmp4j shell}: interactive QMP. */
@Command(
    name = "shell",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    header = "An interactive QMP shell.",
    description = {
      "Reads commands, sends them, prints replies, and prints events as they come without"
          + " disturbing the line being typed.",
      "Without ADDR, the shell starts a simulated machine (disk0, an empty CD-ROM cd0, a balloon,"
          + " a NIC) in this process and talks to it: nothing touches a real VM.",
      "",
      "Input: COMMAND [key=value]... (numbers and true/false are typed, [ and { start JSON,"
          + " quotes make strings, a.b=1 nests), or a JSON request on one line.",
      "TAB completes command names, argument names and enum values from the server's schema."
          + " History is kept in $HOME/.qmp4j_history. !help in the shell tells the rest."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  qmp4j shell",
      "      a shell on a built-in simulated machine",
      "  qmp4j shell unix:/run/vm1/qmp.sock",
      "  qmp4j shell localhost:4444",
      "  qmp4j shell -H /tmp/qmp.sock",
      "      start in HMP mode (info block, info status, ...)",
      "",
      "In the shell:",
      "  (qmp) query-block",
      "  (qmp) eject id=cd0dev force=true",
      "  (qmp) blockdev-change-medium id=cd0dev filename=/tmp/a.iso format=raw",
      "  (qmp) {\"execute\": \"query-status\"}",
      "  (qmp) !hmp info status"
    })
final class ShellCommand implements Callable<Integer> {

  @Parameters(
      arity = "0..1",
      paramLabel = "ADDR",
      description = "The QMP monitor to connect to; none: a built-in simulated machine.")
  String address;

  @Option(
      names = {"-H", "--hmp"},
      description = "Start in HMP mode: lines are human monitor commands.")
  boolean hmp;

  @Option(
      names = {"-v", "--verbose"},
      description = "Show the JSON sent and received.")
  boolean verbose;

  @Option(names = "--pretty", description = "Indent JSON output (the default).")
  Boolean pretty;

  @Option(names = "--compact", description = "JSON output on one line.")
  Boolean compact;

  @Option(
      names = "--history",
      paramLabel = "FILE",
      description = "Where to keep the history. Default: ~/.qmp4j_history.")
  Path history;

  @Override
  public Integer call() throws IOException {
    Path historyFile = history != null ? history : home().resolve(".qmp4j_history");
    boolean prettyOut = !Boolean.TRUE.equals(compact) || Boolean.TRUE.equals(pretty);
    SimulatedMachine vm = null;
    Path tempDir = null;
    String where;
    QmpAddress target;
    if (address == null) {
      tempDir = Files.createTempDirectory("qmp4j-shell");
      Path socket = tempDir.resolve("qmp.sock");
      vm = SimulatedMachine.demo().build();
      vm.listen(socket, false);
      Path agent = tempDir.resolve("qga.sock");
      vm.guestAgent().listen(agent);
      target = QmpAddress.parse("unix:" + socket);
      where =
          "a simulated machine in this process (qmp4j-demo: disk0, CD-ROM cd0 empty, balloon0,"
              + " net0; not a real VM); its guest agent: qmp4j ga "
              + agent;
    } else {
      target = Cli.address("shell", address);
      where = target.toString();
    }
    try (QmpClient client =
            Cli.connect(
                "shell",
                QmpClient.newBuilder()
                    .address(target)
                    .connectTimeout(Cli.CONNECT_TIMEOUT)
                    .commandTimeout(QmpClient.DEFAULT_COMMAND_TIMEOUT.multipliedBy(10))
                    .name("shell")
                    .build(),
                target);
        Terminal terminal =
            TerminalBuilder.builder().system(true).dumb(true).name("qmp4j").build()) {
      boolean interactive = System.console() != null;
      String banner = banner(client, where);
      if (!interactive) {
        // Piped input: stdout gets only the results; what would be said to a person goes to stderr.
        System.err.println(banner);
        banner = null;
      }
      return new Shell(client, terminal, historyFile, banner, hmp, prettyOut, verbose)
          .interactive(interactive)
          .run();
    } finally {
      if (vm != null) {
        vm.close();
      }
      if (tempDir != null) {
        Files.deleteIfExists(tempDir.resolve("qmp.sock"));
        Files.deleteIfExists(tempDir.resolve("qga.sock"));
        Files.deleteIfExists(tempDir);
      }
    }
  }

  /** {@code $HOME} as shells take it; the JVM's user.home (from the password file) otherwise. */
  private static Path home() {
    String home = System.getenv("HOME");
    return Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"));
  }

  private static String banner(QmpClient client, String where) {
    StringBuilder b = new StringBuilder("qmp4j shell ").append(Main.version());
    b.append(" — connected to ").append(where).append('\n');
    QmpGreeting g = client.greeting().orElse(null);
    if (g != null) {
      QmpVersion v = g.version();
      b.append("QEMU ")
          .append(v.major())
          .append('.')
          .append(v.minor())
          .append('.')
          .append(v.micro());
      if (v.packageName() != null && !v.packageName().isBlank()) {
        b.append(" (").append(v.packageName().strip()).append(')');
      }
      b.append(", capabilities: ")
          .append(g.capabilities().isEmpty() ? "none" : String.join(", ", g.capabilities()))
          .append('\n');
    }
    b.append("Type a command (TAB completes, !help explains); quit, exit or Ctrl-D leaves.");
    return b.toString();
  }
}
