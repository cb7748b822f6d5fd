package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.testing.GuestAgentProcess;
import org.qmp4j.testing.RawConnection;
import org.qmp4j.transport.QmpAddress;

/**
 * The guest agent client against the real qemu-ga ({@code -m unix-listen}, no guest: it serves the
 * host, so guest-exec really runs here; only harmless programs are run). Skipped without qemu-ga;
 * fails under {@code CI=true}.
 */
class GuestAgentIT {

  private GuestAgentProcess agent;

  @BeforeEach
  void start() {
    agent = GuestAgentProcess.start();
  }

  @AfterEach
  void stop() {
    agent.close();
  }

  private GuestAgentClient connect() {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      try {
        return GuestAgentClient.newBuilder()
            .address(QmpAddress.unix(agent.socket()))
            .wireLogging(true)
            .connect();
      } catch (org.qmp4j.protocol.QmpConnectionException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(
              "qemu-ga alive " + agent.process().isAlive() + ", output: " + agent.output(), e);
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
  void filesGoInAndOutInChunks() throws Exception {
    byte[] data = new byte[300_000]; // several 48 KiB chunks
    new Random(7).nextBytes(data);
    Path local = agent.directory().resolve("local.bin");
    Path back = agent.directory().resolve("back.bin");
    Files.write(local, data);
    String guestPath = agent.directory().resolve("in-guest.bin").toString();
    try (GuestAgentClient ga = connect()) {
      ga.copyIn(local, guestPath);
      assertArrayEquals(data, Files.readAllBytes(Path.of(guestPath)));
      ga.copyOut(guestPath, back);
      assertArrayEquals(data, Files.readAllBytes(back));
      ga.writeFile(guestPath, "small".getBytes(StandardCharsets.UTF_8));
      assertEquals("small", new String(ga.readFile(guestPath), StandardCharsets.UTF_8));
      QmpErrorException e =
          assertThrows(QmpErrorException.class, () -> ga.readFile("/nonexistent/qmp4j"));
      assertEquals("guest-file-open", e.command());
    }
  }

  @Test
  void resynchronisesPastGarbageLeftByAnEarlierClient() throws Exception {
    // An earlier client leaves half a request in the agent's parser. (It reads the reply to its
    // complete request first: qemu-ga run without SIGPIPE ignored dies writing to a closed socket.)
    try (RawConnection earlier = RawConnection.open(agent.socket())) {
      earlier.send("{\"execute\": \"guest-ping\", \"id\": \"earlier\"}\n");
      assertEquals("earlier", earlier.readJson().get("id").asText());
      earlier.send("{\"execute\": \"guest-inf");
    }
    try (GuestAgentClient ga = connect()) {
      ga.ping();
      assertTrue(ga.info().has("version"));
    }
  }
}
