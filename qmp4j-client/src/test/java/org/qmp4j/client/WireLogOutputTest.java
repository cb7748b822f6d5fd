package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wire logging through a real SLF4J binding: slf4j-simple (test scope), with the wire logger at
 * DEBUG (src/test/resources/simplelogger.properties), printing to standard error.
 */
class WireLogOutputTest {

  @TempDir Path dir;

  /** Runs {@code body} and returns the lines it printed on standard error. */
  private static List<String> stderrOf(ThrowingRunnable body) throws Exception {
    PrintStream saved = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      body.run();
    } finally {
      System.setErr(saved);
    }
    return buf.toString(StandardCharsets.UTF_8).lines().toList();
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  private static List<String> wireLines(List<String> lines, String name) {
    return lines.stream()
        .filter(l -> l.contains("DEBUG org.qmp4j.client.wire - " + name + " "))
        .toList();
  }

  @Test
  void theQmpClientPrintsArrowLinesOnlyWhenAsked() throws Exception {
    try (TestServer server = TestServer.start(dir)) {
      List<String> on =
          stderrOf(
              () -> {
                try (QmpClient c =
                    QmpClient.newBuilder()
                        .address(server.address())
                        .name("logged")
                        .wireLogging(true)
                        .connect()) {
                  c.execute("echo", Map.of("value", 42));
                }
              });
      List<String> wire = wireLines(on, "logged");
      assertTrue(
          wire.size() >= 4, on.toString()); // greeting, capabilities both ways, echo both ways
      assertTrue(
          wire.stream()
              .anyMatch(
                  l -> l.contains("logged --> {\"execute\":\"echo\",\"arguments\":{\"value\":42}")),
          wire.toString());
      assertTrue(
          wire.stream().anyMatch(l -> l.contains("logged <-- {\"return\":{\"value\":42}")),
          wire.toString());
      List<String> off =
          stderrOf(
              () -> {
                try (QmpClient c =
                    QmpClient.newBuilder().address(server.address()).name("quiet").connect()) {
                  c.execute("echo", Map.of("value", 42));
                }
              });
      assertEquals(List.of(), wireLines(off, "quiet"));
    }
  }

  @Test
  void theGuestAgentClientMarksTheSyncByte() throws Exception {
    try (FakeQmpPeer agent =
        FakeQmpPeer.unix(
            dir,
            c -> {
              JsonNode sync = c.read();
              c.write(new byte[] {(byte) 0xFF});
              c.write("{\"return\": " + sync.get("arguments").get("id").asLong() + "}\n");
              JsonNode ping = c.read();
              c.line("{\"return\": {}, \"id\": " + ping.get("id") + "}");
              c.stall();
            })) {
      List<String> out =
          stderrOf(
              () -> {
                try (GuestAgentClient ga =
                    GuestAgentClient.newBuilder()
                        .address(agent.address())
                        .timeout(Duration.ofSeconds(5))
                        .wireLogging(true)
                        .connect()) {
                  ga.ping();
                }
              });
      String name = agent.address().toString();
      List<String> wire = wireLines(out, name);
      assertTrue(
          wire.stream()
              .anyMatch(l -> l.contains("--> \\xff{\"execute\": \"guest-sync-delimited\"")),
          out.toString());
      assertTrue(
          wire.stream().anyMatch(l -> l.contains("--> {\"execute\": \"guest-ping\"")),
          out.toString());
      assertTrue(wire.stream().anyMatch(l -> l.contains("<-- {\"return\":{}")), out.toString());
    }
  }
}
