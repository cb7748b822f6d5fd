package org.qmp4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.qmp4j.cli.CliRun.run;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MainTest {

  /** The commands of the contract in DESIGN.md, plus picocli's {@code help}. */
  private static final Set<String> COMMANDS =
      Set.of(
          "serve",
          "shell",
          "exec",
          "events",
          "ga",
          "vm-info",
          "bench",
          "job",
          "migrate",
          "help",
          "generate-completion");

  @Test
  void commandsAreThoseOfTheContract() {
    Set<String> names =
        new TreeSet<>(
            Main.commandLine(
                    new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()))
                .getSubcommands()
                .keySet());
    assertEquals(new TreeSet<>(COMMANDS), names);
  }

  @ParameterizedTest
  @ValueSource(strings = {"--help", "-h"})
  void helpListsEveryCommandAndExamplesOnStdout(String option) {
    CliRun run = run(option);
    assertEquals(0, run.status());
    assertEquals("", run.err());
    assertTrue(run.out().startsWith("The QEMU Machine Protocol (QMP) from the command line."));
    assertTrue(run.out().contains("Usage: qmp4j [-hV] COMMAND"), run.out());
    for (String command : COMMANDS) {
      if (command.equals("generate-completion")) {
        continue; // hidden, as picocli makes it; the footer shows how to use it
      }
      assertTrue(
          run.out().contains("\n  " + command + " "), command + " missing in:\n" + run.out());
    }
    assertTrue(run.out().contains("\nExamples:\n  qmp4j shell\n"), run.out());
    assertTrue(run.out().contains("\nExit status:\n"), run.out());
  }

  @Test
  void onlyTheNamedCommandIsBuiltForARun() {
    PrintWriter none = new PrintWriter(new StringWriter());
    assertEquals(
        Set.of("exec"),
        Main.commandLine(none, none, new String[] {"exec", "x", "y"}).getSubcommands().keySet());
    assertEquals(
        new TreeSet<>(COMMANDS),
        new TreeSet<>(
            Main.commandLine(none, none, new String[] {"help", "exec"}).getSubcommands().keySet()));
  }

  @Test
  void versionIsTheMavenProjectVersion() {
    String expected = System.getProperty("qmp4j.test.projectVersion");
    assertNotNull(expected, "surefire passes qmp4j.test.projectVersion");
    CliRun run = run("--version");
    assertEquals(0, run.status());
    assertEquals("", run.err());
    assertEquals("qmp4j " + expected, run.out().lines().findFirst().orElseThrow());
    assertEquals(expected, Main.version());
    assertTrue(run.out().lines().skip(1).findFirst().orElseThrow().startsWith("Java 17"));
  }

  @ParameterizedTest
  @CsvSource({
    "job, 'qmp4j job: missing ADDR (qmp4j job ADDR lists the jobs; qmp4j job --help tells more)'",
    "migrate, 'qmp4j migrate: missing ADDR (qmp4j migrate ADDR shows the migration; qmp4j migrate"
        + " --help tells more)'",
  })
  void jobAndMigrateWithoutAddressSayWhatIsMissing(String command, String message) {
    CliRun run = run(command);
    assertEquals(Main.EXIT_USAGE, run.status());
    assertEquals("", run.out());
    assertEquals(message + "\n", run.err());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "job watch",
        "job cancel",
        "job pause",
        "job resume",
        "job complete",
        "job finalize",
        "job dismiss",
        "migrate watch",
        "migrate start",
        "migrate cancel"
      })
  void everySubcommandHasHelpWithAnExample(String command) {
    CliRun run = run((command + " --help").split(" "));
    assertEquals(0, run.status(), run.err());
    assertEquals("", run.err());
    assertTrue(run.out().contains("Usage: qmp4j " + command + " [-h"), run.out());
    assertTrue(run.out().contains(":\n  qmp4j " + command + " /tmp/qmp.sock"), run.out());
    assertEquals(run.out(), run(("help " + command).split(" ")).out());
  }

  @Test
  void helpOfNoSuchCommandSaysWhatThereIs() {
    CliRun run = run("help", "job", "frob");
    assertEquals(Main.EXIT_USAGE, run.status());
    assertEquals(
        "qmp4j help: no command 'job frob'; qmp4j job has: watch, cancel, pause, resume, complete,"
            + " finalize, dismiss\n",
        run.err());
  }

  @Test
  void watchWithoutAddressIsAUsageErrorNamingIt() {
    CliRun run = run("job", "watch");
    assertEquals(Main.EXIT_USAGE, run.status());
    assertTrue(run.err().startsWith("Missing required parameter: 'ADDR'"), run.err());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"serve", "shell", "exec", "events", "ga", "vm-info", "bench", "job", "migrate"})
  void everyCommandHasHelpWithExamples(String command) {
    CliRun run = run(command, "--help");
    assertEquals(0, run.status());
    assertEquals("", run.err());
    assertTrue(run.out().contains("Usage: qmp4j " + command + " [-h"), run.out());
    assertTrue(run.out().contains("\nExamples:\n  qmp4j " + command), run.out());
    assertEquals(run.out(), run("help", command).out());
  }

  @Test
  void completionScriptCoversTheCommands() {
    CliRun run = run("generate-completion");
    assertEquals(0, run.status(), run.err());
    assertTrue(run.out().contains("complete -F _complete_qmp4j"), run.out());
    assertTrue(run.out().contains("vm-info"), run.out());
  }

  @Test
  void noCommandIsAUsageError() {
    CliRun run = run();
    assertEquals(Main.EXIT_USAGE, run.status());
    assertEquals("", run.out());
    assertTrue(run.err().startsWith("qmp4j: missing COMMAND\n"), run.err());
    assertTrue(run.err().contains("Usage: qmp4j [-hV] COMMAND"), run.err());
  }

  @ParameterizedTest
  @ValueSource(strings = {"frobnicate", "--frobnicate"})
  void unknownCommandOrOptionIsAUsageError(String arg) {
    CliRun run = run(arg);
    assertEquals(Main.EXIT_USAGE, run.status());
    assertEquals("", run.out());
    assertTrue(run.err().contains(arg), run.err());
  }

  @Test
  void gaToAMissingSocketSaysHowAnAgentListens() {
    CliRun run = run("ga", "/nonexistent/qga.sock", "guest-ping");
    assertEquals(Main.EXIT_USAGE, run.status());
    assertTrue(
        run.err()
            .startsWith("qmp4j ga: cannot talk to a guest agent at unix:/nonexistent/qga.sock"),
        run.err());
    assertTrue(run.err().contains("qemu-ga -m unix-listen -p PATH"), run.err());
    assertTrue(!run.err().contains("-qmp"), run.err());
  }

  @Test
  void usageErrorShowsTheSynopsisNotTheWholeHelp() {
    CliRun run = run("exec", "/tmp/qmp.sock", "query-status", "--timeout", "soon");
    assertEquals(Main.EXIT_USAGE, run.status());
    assertEquals(
        "Invalid value for option '--timeout': 'soon' is not a double\n"
            + "Usage: qmp4j exec [-hV] [--compact] [--pretty] [--timeout=S] ADDR COMMAND [ARG...]\n"
            + "Try 'qmp4j exec --help' for more information.\n",
        run.err());
  }
}
