package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the guest agent client's exceptions carry, against a scripted agent. */
class GuestAgentApiTest {

  @TempDir Path dir;

  private static void syncReply(FakeQmpPeer.Conn c) throws Exception {
    JsonNode sync = c.read();
    assertEquals("guest-sync-delimited", sync.get("execute").asText());
    c.write(new byte[] {(byte) 0xFF});
    c.write("{\"return\": " + sync.get("arguments").get("id").asLong() + "}\n");
  }

  @Test
  void aCallTimeoutNamesTheCommandAndItsStringId() throws Exception {
    CompletableFuture<JsonNode> ping = new CompletableFuture<>();
    try (FakeQmpPeer agent =
            FakeQmpPeer.unix(
                dir,
                c -> {
                  syncReply(c);
                  ping.complete(c.read()); // never answered
                  c.stall();
                });
        GuestAgentClient ga = GuestAgentClient.connect("unix:" + unixPath(agent))) {
      QmpTimeoutException e =
          assertThrows(
              QmpTimeoutException.class,
              () -> ga.execute(QmpCommand.of("guest-ping").withTimeout(Duration.ofMillis(200))));
      assertEquals("guest-ping", e.command());
      assertTrue(e.id().isTextual(), String.valueOf(e.id()));
      assertEquals(ping.get(10, TimeUnit.SECONDS).get("id"), e.id());
    }
  }

  @Test
  void callsLostWithTheConnectionSayWhetherTheyWereWritten() throws Exception {
    CompletableFuture<Void> readOne = new CompletableFuture<>();
    CompletableFuture<Void> hangUp = new CompletableFuture<>();
    try (FakeQmpPeer agent =
            FakeQmpPeer.unix(
                dir,
                c -> {
                  syncReply(c);
                  c.read(); // the first call, never answered
                  readOne.complete(null);
                  hangUp.get(10, TimeUnit.SECONDS);
                  c.close();
                });
        GuestAgentClient ga = GuestAgentClient.connect("unix:" + unixPath(agent))) {
      CompletableFuture<JsonNode> written = ga.executeAsync(QmpCommand.of("guest-ping"));
      readOne.get(10, TimeUnit.SECONDS);
      CompletableFuture<JsonNode> queued = ga.executeAsync(QmpCommand.of("guest-info"));
      hangUp.complete(null);
      assertTrue(lost(written).commandSent());
      assertFalse(lost(queued).commandSent());
    }
  }

  private static QmpConnectionLostException lost(CompletableFuture<?> f) {
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
    return assertInstanceOf(QmpConnectionLostException.class, e.getCause());
  }

  private static String unixPath(FakeQmpPeer p) {
    return p.address().toString().substring("unix:".length());
  }
}
