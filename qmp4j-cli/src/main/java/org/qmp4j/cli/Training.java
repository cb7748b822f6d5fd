package org.qmp4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.qmp4j.sim.SimulatedMachine;

/**
 * The training run of the {@code ./qmp4j} launcher ({@code -Dqmp4j.train=true}): runs the short
 * commands once against a simulated machine in this process, output discarded, so that a JVM
 * started with {@code -XX:ArchiveClassesAtExit} archives the classes they load.
 */
final class Training {

  private Training() {}

  /** Runs the commands; returns 0, or 1 if the simulated machine could not be started. */
  static int run() {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("qmp4j-train");
      Path sock = dir.resolve("qmp.sock");
      try (SimulatedMachine vm = SimulatedMachine.demo().build()) {
        vm.listen(sock, false);
        String s = sock.toString();
        String[][] runs = {
          {"--help"},
          {"--version"},
          {"exec", "--help"},
          {"exec", s, "query-status"},
          {"exec", s, "query-block", "--pretty"},
          {"exec", s, "eject", "id=cd0dev", "force=true"},
          {"exec", s, "eject", "id=nosuch"},
          {"exec", s, "{\"execute\": \"query-name\"}"},
          {"exec", s, "no-such", "a.b=1", "x=[1]"},
          {"exec", dir.resolve("missing.sock").toString(), "query-status"},
          {"vm-info", s},
          {"events", s, "--timeout", "0.05"},
          {"job", s},
          {"migrate", s},
        };
        for (String[] args : runs) {
          Main.run(discard(), discard(), args);
        }
      }
      return Main.EXIT_OK;
    } catch (IOException | RuntimeException e) {
      return Main.EXIT_FAILURE;
    } finally {
      if (dir != null) {
        try {
          Files.deleteIfExists(dir.resolve("qmp.sock"));
          Files.deleteIfExists(dir);
        } catch (IOException e) {
          // A temporary directory left behind is harmless.
        }
      }
    }
  }

  private static PrintWriter discard() {
    return new PrintWriter(Writer.nullWriter());
  }
}
