package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guest agent client against a scripted agent: stale replies, garbage, silence. */
class GuestAgentFaultTest {

  @TempDir Path dir;

  private static void syncReply(FakeQmpPeer.Conn c, JsonNode sync) throws Exception {
    long id = sync.get("arguments").get("id").asLong();
    c.write(new byte[] {(byte) 0xFF});
    c.write("{\"return\": " + id + "}\n");
  }

  @Test
  void aTimedOutCallIsFollowedByAResyncAndItsLateReplyReachesNobody() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    try (FakeQmpPeer agent =
            FakeQmpPeer.unix(
                dir,
                c -> {
                  JsonNode sync = c.read();
                  seen.add(sync.get("execute").asText());
                  // garbage and a stale reply left from an earlier client, then the sentinel
                  c.write("{\"return\": {}, \"id\": \"old-client-1\"}\n{\"retu");
                  syncReply(c, sync);
                  JsonNode ping = c.read(); // never answered in time
                  seen.add(ping.get("execute").asText());
                  JsonNode sync2 = c.read();
                  seen.add(sync2.get("execute").asText());
                  c.line("{\"return\": {}, \"id\": " + ping.get("id") + "}"); // late
                  syncReply(c, sync2);
                  JsonNode info = c.read();
                  seen.add(info.get("execute").asText());
                  c.write(
                      "{\"return\": {\"version\": \"7.2.0\"}, \"id\": " + info.get("id") + "}\n");
                  c.stall();
                });
        GuestAgentClient ga =
            GuestAgentClient.newBuilder()
                .address(agent.address())
                .timeout(Duration.ofSeconds(5))
                .connect()) {
      long t0 = System.nanoTime();
      QmpTimeoutException e =
          assertThrows(
              QmpTimeoutException.class,
              () -> ga.execute(QmpCommand.of("guest-ping").withTimeout(Duration.ofMillis(300))));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(ms >= 250 && ms < 3000, ms + " ms");
      assertTrue(e.getMessage().contains("guest-ping"), e.getMessage());
      assertEquals("7.2.0", ga.info().get("version").asText());
      assertEquals(
          List.of("guest-sync-delimited", "guest-ping", "guest-sync-delimited", "guest-info"),
          seen);
    }
  }

  @Test
  void anAgentThatNeverAnswersFailsConnectWithATimeout() {
    try (FakeQmpPeer agent = FakeQmpPeer.unix(dir, FakeQmpPeer.Conn::stall)) {
      QmpTimeoutException e =
          assertThrows(
              QmpTimeoutException.class,
              () ->
                  GuestAgentClient.newBuilder()
                      .address(agent.address())
                      .timeout(Duration.ofMillis(200))
                      .connect());
      assertTrue(e.getMessage().contains("guest-sync-delimited"), e.getMessage());
    }
  }
}
