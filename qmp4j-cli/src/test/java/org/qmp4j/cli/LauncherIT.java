package org.qmp4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.sim.SimulatedMachine;

/**
 * The {@code ./qmp4j} launcher, copied with the built jar into a tree of its own whose build is up
 * to date (no sources): the class-data sharing archive is made on first use and used after, made
 * again for a newer jar, and {@code QMP4J_CDS=off} does without.
 */
class LauncherIT {

  @TempDir Path tree;

  private record Result(int status, String out, String err) {}

  private Path setUp() throws IOException {
    Path launcher = Path.of("..", "qmp4j").toAbsolutePath().normalize();
    assertTrue(Files.isRegularFile(launcher), launcher + " is missing");
    Path script = tree.resolve("qmp4j");
    Files.copy(launcher, script);
    script.toFile().setExecutable(true);
    Path target = Files.createDirectories(tree.resolve("qmp4j-cli").resolve("target"));
    Files.copy(Path.of(System.getProperty("qmp4j.test.jar")), target.resolve("qmp4j.jar"));
    Path state = Files.createDirectories(tree.resolve(".qmp4j"));
    Files.writeString(state.resolve("build.stamp"), "");
    return target;
  }

  private Result launch(Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(tree.resolve("qmp4j").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().putAll(env);
    Path err = Files.createTempFile(tree, "err", ".txt");
    Process p = pb.redirectError(err.toFile()).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the launcher did not end");
    return new Result(p.exitValue(), out, Files.readString(err));
  }

  private static List<Path> archives(Path target) throws IOException {
    try (Stream<Path> files = Files.list(target)) {
      return files.filter(f -> f.toString().endsWith(".jsa")).toList();
    }
  }

  @Test
  void archiveIsMadeOnFirstUseAndAgainForANewerJar() throws Exception {
    Path target = setUp();
    String version = "qmp4j " + System.getProperty("qmp4j.test.projectVersion") + "\n";
    Result first = launch(Map.of(), "--version");
    assertEquals(0, first.status(), first.err());
    assertTrue(first.out().startsWith(version), first.out());
    assertEquals("", first.err());
    List<Path> jsa = archives(target);
    assertEquals(1, jsa.size(), jsa.toString());
    FileTime made = Files.getLastModifiedTime(jsa.get(0));

    // Used, not made again; a real command through it.
    try (SimulatedMachine vm = SimulatedMachine.demo().build()) {
      Path sock = tree.resolve("qmp.sock");
      vm.listen(sock, false);
      Result exec = launch(Map.of(), "exec", sock.toString(), "query-name");
      assertEquals(new Result(0, "{\"name\":\"qmp4j-demo\"}\n", ""), exec);
      Result error = launch(Map.of(), "exec", sock.toString(), "eject", "id=nosuch");
      assertEquals(new Result(1, "", "DeviceNotFound: Device 'nosuch' not found\n"), error);
      Result off = launch(Map.of("QMP4J_CDS", "off"), "exec", sock.toString(), "query-name");
      assertEquals(new Result(0, "{\"name\":\"qmp4j-demo\"}\n", ""), off);
    }
    assertEquals(made, Files.getLastModifiedTime(jsa.get(0)));

    // A newer jar: a new archive.
    Files.setLastModifiedTime(
        target.resolve("qmp4j.jar"), FileTime.from(Instant.now().plusSeconds(2)));
    Thread.sleep(2100);
    Result again = launch(Map.of(), "--version");
    assertEquals(0, again.status(), again.err());
    assertEquals("", again.err());
    assertTrue(
        Files.getLastModifiedTime(archives(target).get(0))
                .compareTo(Files.getLastModifiedTime(target.resolve("qmp4j.jar")))
            > 0,
        "the archive was not made again");
  }
}
