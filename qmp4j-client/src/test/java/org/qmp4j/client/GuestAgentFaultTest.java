package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
      // On the wire: a 0xFF byte right before each guest-sync-delimited (on connect and after the
      // timeout), and nowhere else.
      byte[] raw = agent.connections().get(0).rawReceived();
      assertEquals(
          List.of(
              "\\xff" + "guest-sync-delimited",
              "guest-ping",
              "\\xff" + "guest-sync-delimited",
              "guest-info"),
          requestsWithTheirPrefix(raw),
          new String(raw, StandardCharsets.ISO_8859_1));
      assertEquals(2, count(raw, (byte) 0xFF), new String(raw, StandardCharsets.ISO_8859_1));
    }
  }

  /**
   * The commands in {@code raw} in order, each written as {@code \xff} + name if the byte right
   * before the request's opening brace is 0xFF.
   */
  private static List<String> requestsWithTheirPrefix(byte[] raw) {
    String text = new String(raw, StandardCharsets.ISO_8859_1); // one char per byte
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("\\{\\s*\"execute\"\\s*:\\s*\"([^\"]+)\"").matcher(text);
    while (m.find()) {
      boolean ff = m.start() > 0 && text.charAt(m.start() - 1) == '\u00ff';
      out.add((ff ? "\\xff" : "") + m.group(1));
    }
    return out;
  }

  private static int count(byte[] raw, byte b) {
    int n = 0;
    for (byte x : raw) {
      if (x == b) {
        n++;
      }
    }
    return n;
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
