package org.qmp4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The shaded jar the {@code ./qmp4j} launcher runs: self-contained, with the right entry point. */
class RunnableJarIT {

  private record Result(int status, String out, String err) {}

  private static Result java(String... args) throws IOException, InterruptedException {
    String jar = System.getProperty("qmp4j.test.jar");
    assertNotNull(jar, "failsafe passes qmp4j.test.jar");
    assertTrue(Files.isRegularFile(Path.of(jar)), jar + " was not built");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(jar);
    command.addAll(List.of(args));
    Path err = Files.createTempFile("qmp4j-cli", ".err");
    try {
      Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "java -jar did not exit");
      return new Result(p.exitValue(), out, Files.readString(err));
    } finally {
      Files.delete(err);
    }
  }

  @Test
  void versionComesFromTheJar() throws Exception {
    Result r = java("--version");
    assertEquals(0, r.status(), r.err());
    assertEquals(
        "qmp4j " + System.getProperty("qmp4j.test.projectVersion"),
        r.out().lines().findFirst().orElseThrow());
  }

  @Test
  void usageErrorExitsWithTwo() throws Exception {
    Result r = java("job");
    assertEquals(2, r.status());
    assertEquals("", r.out());
    assertTrue(r.err().startsWith("qmp4j job: missing ADDR"), r.err());
  }

  @Test
  void trainingRunForClassDataSharingSucceeds() throws Exception {
    // The ./qmp4j launcher's archive is made by this run (java -Dqmp4j.train=true -jar ...).
    String jar = System.getProperty("qmp4j.test.jar");
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dqmp4j.train=true",
                "-jar",
                jar)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the training run did not end");
    assertEquals(0, p.exitValue(), out);
    assertEquals("", out);
  }
}
