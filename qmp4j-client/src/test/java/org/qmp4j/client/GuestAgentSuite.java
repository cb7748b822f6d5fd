package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.testing.RawConnection;
import org.qmp4j.transport.QmpAddress;

/**
 * The guest agent client's behaviour against a guest agent: run by {@link GuestAgentIT} against the
 * real qemu-ga and by {@link SimulatedGuestAgentTest} against qmp4j's simulated one, the same tests
 * for both.
 */
abstract class GuestAgentSuite {

  @TempDir Path local;

  /** The agent's unix socket. */
  abstract Path socket();

  /** A directory in the guest where the tests may create files. */
  abstract String guestDirectory();

  /** The content of a file in the guest, read without the agent. */
  abstract byte[] guestFile(String path) throws Exception;

  /** What to say about the agent when it cannot be reached. */
  abstract String diagnostics();

  GuestAgentClient connect() {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      try {
        return GuestAgentClient.newBuilder()
            .address(QmpAddress.unix(socket()))
            .wireLogging(true)
            .connect();
      } catch (org.qmp4j.protocol.QmpConnectionException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(diagnostics(), e);
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException ie) {
          throw new AssertionError(ie);
        }
      }
    }
  }

  @Test
  void pingInfoAndOsInfoWithoutAGuest() {
    try (GuestAgentClient ga = connect()) {
      ga.ping();
      JsonNode info = ga.info();
      assertTrue(info.get("version").asText().startsWith("7.2"), info.get("version").asText());
      assertTrue(info.get("supported_commands").size() > 20);
      assertFalse(ga.execute("guest-get-osinfo").path("kernel-release").asText().isEmpty());
      QmpErrorException e =
          assertThrows(QmpErrorException.class, () -> ga.execute("no-such-command"));
      assertEquals("CommandNotFound", e.errorClass());
      assertTrue(ga.sync() > 0);
    }
  }

  @Test
  void execRunsAProgramWaitsForItAndDecodesItsOutput() {
    try (GuestAgentClient ga = connect()) {
      GuestExecResult r = ga.exec("/bin/echo", "hello", "agent");
      assertTrue(r.succeeded());
      assertEquals("hello agent\n", r.stdoutText());
      GuestExecResult cat =
          ga.exec(
              "/bin/cat",
              List.of(),
              "from stdin".getBytes(StandardCharsets.UTF_8),
              Duration.ofSeconds(30));
      assertEquals("from stdin", cat.stdoutText());
      GuestExecResult failing = ga.exec("/bin/false");
      assertEquals(1, failing.exitCode());
      assertFalse(failing.succeeded());
    }
  }

  @Test
  void execReportsStandardErrorExitCodesSignalsAndMissingPrograms() {
    try (GuestAgentClient ga = connect()) {
      GuestExecResult r = ga.exec("/bin/sh", "-c", "echo out; echo err >&2; exit 3");
      assertEquals(3, r.exitCode());
      assertEquals("out\n", r.stdoutText());
      assertEquals("err\n", r.stderrText());
      GuestExecResult killed = ga.exec("/bin/sh", "-c", "kill -9 $$");
      assertEquals(9, killed.signal());
      assertEquals(-1, killed.exitCode());
      QmpErrorException e =
          assertThrows(QmpErrorException.class, () -> ga.exec("/nonexistent/qmp4j-program"));
      assertEquals(
          "Guest agent command failed, error was 'Failed to execute child process"
              + " \u201c/nonexistent/qmp4j-program\u201d (No such file or directory)'",
          e.desc());
    }
  }

  @Test
  void filesGoInAndOutInChunks() throws Exception {
    byte[] data = new byte[300_000]; // several 48 KiB chunks
    new Random(7).nextBytes(data);
    Path in = local.resolve("local.bin");
    Path back = local.resolve("back.bin");
    Files.write(in, data);
    String guestPath = guestDirectory() + "/in-guest.bin";
    try (GuestAgentClient ga = connect()) {
      ga.copyIn(in, guestPath);
      assertArrayEquals(data, guestFile(guestPath));
      ga.copyOut(guestPath, back);
      assertArrayEquals(data, Files.readAllBytes(back));
      ga.writeFile(guestPath, "small".getBytes(StandardCharsets.UTF_8));
      assertEquals("small", new String(ga.readFile(guestPath), StandardCharsets.UTF_8));
      QmpErrorException e =
          assertThrows(QmpErrorException.class, () -> ga.readFile("/nonexistent/qmp4j"));
      assertEquals("guest-file-open", e.command());
      assertEquals(
          "failed to open file '/nonexistent/qmp4j' (mode: 'r'): No such file or directory",
          e.desc());
    }
  }

  @Test
  void anExecThatOutlivesItsWaitNamesTheProcessStillRunning() throws Exception {
    try (GuestAgentClient ga = connect()) {
      long t0 = System.nanoTime();
      GuestExecTimeoutException e =
          assertThrows(
              GuestExecTimeoutException.class,
              () -> ga.exec(Duration.ofMillis(300), "/bin/sleep", "1"));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(ms >= 250 && ms < 5000, ms + " ms");
      assertTrue(e.pid() > 0, e.getMessage());
      assertEquals("/bin/sleep", e.path());
      assertEquals("guest-exec", e.command());
      assertEquals(Duration.ofMillis(300), e.timeout());
      assertTrue(e.getMessage().contains("pid " + e.pid()), e.getMessage());
      // the agent knows the process by that pid: it runs on, then exits normally
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      JsonNode status;
      do {
        Thread.sleep(50);
        status = ga.execute("guest-exec-status", Map.of("pid", e.pid()));
      } while (!status.path("exited").asBoolean() && System.nanoTime() < deadline);
      assertTrue(status.path("exited").asBoolean(), status.toString());
      assertEquals(0, status.path("exitcode").asInt(-1), status.toString());
    }
  }

  @Test
  void localFileErrorsAreUncheckedAndCopyInOfAMissingFileCreatesNothing() {
    String guestPath = guestDirectory() + "/never-created.bin";
    try (GuestAgentClient ga = connect()) {
      UncheckedIOException in =
          assertThrows(
              UncheckedIOException.class,
              () -> ga.copyIn(local.resolve("no-such-local-file"), guestPath));
      assertInstanceOf(NoSuchFileException.class, in.getCause());
      assertThrows(QmpErrorException.class, () -> ga.readFile(guestPath));
      String existing = guestDirectory() + "/copy-out-source.txt";
      ga.writeFile(existing, "x".getBytes(StandardCharsets.UTF_8));
      UncheckedIOException out =
          assertThrows(
              UncheckedIOException.class,
              () -> ga.copyOut(existing, local.resolve("no-such-dir").resolve("x.txt")));
      assertInstanceOf(NoSuchFileException.class, out.getCause());
      ga.ping(); // the client is fine
    }
  }

  @Test
  void resynchronisesPastGarbageLeftByAnEarlierClient() throws Exception {
    // An earlier client leaves half a request in the agent's parser.
    leaveHalfARequest("{\"execute\": \"guest-inf");
    try (GuestAgentClient ga = connect()) {
      ga.ping();
      assertTrue(ga.info().has("version"));
    }
  }

  @Test
  void theNextClientFindsThePartialRequestOfTheLastInTheParser() throws Exception {
    // qemu-ga keeps one parser for its channel: what a client left half-sent is completed by
    // whatever the next one sends (here: a whole request that ends the garbage's string).
    leaveHalfARequest("{\"execute\": \"guest-pi");
    try (RawConnection next = connectRaw()) {
      next.send("ng\"}\n");
      assertEquals("{}", next.readJson().get("return").toString());
    }
  }

  /**
   * An earlier client sends a whole request, reads its reply (qemu-ga run without SIGPIPE ignored
   * dies writing to a closed socket), then sends {@code partial} and leaves.
   */
  private void leaveHalfARequest(String partial) throws Exception {
    try (RawConnection earlier = RawConnection.open(socket())) {
      earlier.send("{\"execute\": \"guest-ping\", \"id\": \"earlier\"}\n");
      assertEquals("earlier", earlier.readJson().get("id").asText());
      earlier.send(partial);
    }
  }

  private RawConnection connectRaw() throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      try {
        return RawConnection.open(socket());
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(20);
      }
    }
  }
}
