package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.FileOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the client keeps back so that QEMU reads what matters: at most eight in-band commands on the
 * wire while OOB is on (QMP's specification; QEMU stops reading at eight queued, so an out-of-band
 * command behind more would wait for them), and one command carrying descriptors at a time (QEMU
 * drops the unclaimed descriptors of a message when the next one with descriptors arrives).
 */
class InBandWindowTest {

  @TempDir Path dir;
  @RegisterExtension final Closer closer = new Closer();

  /** Names of the commands in the order the peer read them. */
  private static List<String> names(List<JsonNode> requests) {
    List<String> out = new ArrayList<>();
    for (JsonNode r : requests) {
      out.add(r.has("exec-oob") ? "oob:" + r.get("exec-oob").asText() : r.get("execute").asText());
    }
    return out;
  }

  @Test
  void withOobOnAnOutOfBandCommandOvertakesInBandCommandsBeyondEight() throws Exception {
    overtakesBeyond(QmpClient.DEFAULT_IN_BAND_WINDOW, QmpClient.newBuilder());
  }

  @Test
  void theWindowCanBeWidened() throws Exception {
    overtakesBeyond(12, QmpClient.newBuilder().inBandWindow(12));
  }

  private void overtakesBeyond(int window, QmpClient.Builder builder) throws Exception {
    int inBand = 20;
    CompletableFuture<List<String>> order = new CompletableFuture<>();
    FakeQmpPeer p =
        closer.track(
            FakeQmpPeer.negotiated(
                dir,
                c -> {
                  List<JsonNode> first = new ArrayList<>();
                  for (int i = 0; i <= window; i++) {
                    first.add(c.read());
                  }
                  order.complete(names(first));
                  // answer the out-of-band command first, then every in-band one as it comes
                  JsonNode oob = first.remove(window);
                  c.reply(oob, "{}");
                  List<JsonNode> rest = new ArrayList<>(first);
                  for (int answered = 0; answered < inBand; answered++) {
                    if (rest.isEmpty()) {
                      rest.add(c.read());
                    }
                    c.reply(rest.remove(0), "{}");
                  }
                  c.stall();
                }));
    QmpClient client = closer.track(builder.address(p.address()).connect());
    assertTrue(client.oobEnabled());
    List<CompletableFuture<JsonNode>> futures = new ArrayList<>();
    for (int i = 0; i < inBand; i++) {
      futures.add(client.executeAsync("query-status"));
    }
    CompletableFuture<JsonNode> oob = client.executeAsync(QmpCommand.of("yank").withOob(true));
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < window; i++) {
      expected.add("query-status");
    }
    expected.add("oob:yank");
    assertEquals(expected, order.get(10, TimeUnit.SECONDS));
    oob.get(10, TimeUnit.SECONDS);
    for (CompletableFuture<JsonNode> f : futures) {
      f.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void withoutOobNothingIsHeldBack() throws Exception {
    int inBand = 20;
    CompletableFuture<List<String>> read = new CompletableFuture<>();
    FakeQmpPeer p =
        closer.track(
            FakeQmpPeer.negotiated(
                dir,
                c -> {
                  List<JsonNode> all = new ArrayList<>();
                  for (int i = 0; i < inBand; i++) {
                    all.add(c.read()); // all arrive before any is answered
                  }
                  read.complete(names(all));
                  for (JsonNode r : all) {
                    c.reply(r, "{}");
                  }
                  c.stall();
                }));
    QmpClient client =
        closer.track(QmpClient.newBuilder().address(p.address()).oob(false).connect());
    assertFalse(client.oobEnabled());
    List<CompletableFuture<JsonNode>> futures = new ArrayList<>();
    for (int i = 0; i < inBand; i++) {
      futures.add(client.executeAsync("query-status"));
    }
    assertEquals(inBand, read.get(10, TimeUnit.SECONDS).size());
    for (CompletableFuture<JsonNode> f : futures) {
      f.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aCommandWithDescriptorsWaitsForTheReplyToThePreviousOne() throws Exception {
    List<String> events = new CopyOnWriteArrayList<>();
    FakeQmpPeer p =
        closer.track(
            FakeQmpPeer.negotiated(
                dir,
                c -> {
                  for (int i = 0; i < 3; i++) {
                    JsonNode r = c.read();
                    events.add("read " + r.path("arguments").path("fdname").asText());
                    // Give the client time to send what it would; nothing may have come.
                    Thread.sleep(200);
                    c.channel.configureBlocking(false);
                    int n = c.channel.read(ByteBuffer.allocate(1));
                    c.channel.configureBlocking(true);
                    events.add(n > 0 ? "more before the reply" : "nothing before the reply");
                    c.reply(r, "{}");
                  }
                  c.stall();
                }));
    QmpClient client =
        closer.track(QmpClient.newBuilder().address(p.address()).descriptorPassing(true).connect());
    try (FileOutputStream out = new FileOutputStream(dir.resolve("f").toFile())) {
      List<CompletableFuture<JsonNode>> futures = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        futures.add(
            client.executeAsync(
                QmpCommand.of("getfd", Map.of("fdname", "fd" + i)).withFds(out.getFD())));
      }
      for (CompletableFuture<JsonNode> f : futures) {
        f.get(10, TimeUnit.SECONDS);
      }
    }
    assertEquals(
        List.of(
            "read fd0",
            "nothing before the reply",
            "read fd1",
            "nothing before the reply",
            "read fd2",
            "nothing before the reply"),
        events);
  }

  @Test
  void aCommandThatTimesOutWhileHeldIsNeverSent() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> release = new CompletableFuture<>();
    FakeQmpPeer p =
        closer.track(
            FakeQmpPeer.negotiated(
                dir,
                c -> {
                  List<JsonNode> first = new ArrayList<>();
                  for (int i = 0; i < 8; i++) {
                    JsonNode r = c.read();
                    seen.add(r.get("execute").asText());
                    first.add(r);
                  }
                  release.get(10, TimeUnit.SECONDS);
                  for (JsonNode r : first) {
                    c.reply(r, "{}");
                  }
                  JsonNode next = c.read();
                  seen.add(next.get("execute").asText());
                  c.reply(next, "{}");
                  c.stall();
                }));
    QmpClient client = closer.track(QmpClient.newBuilder().address(p.address()).connect());
    List<CompletableFuture<JsonNode>> first = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      first.add(client.executeAsync("query-status"));
    }
    CompletableFuture<JsonNode> held =
        client.executeAsync(QmpCommand.of("stop").withTimeout(Duration.ofMillis(200)));
    CompletableFuture<JsonNode> after = client.executeAsync("query-name");
    Throwable t =
        assertInstanceOf(
            QmpTimeoutException.class, FakeQmpPeer.failure(held)); // while eight were unanswered
    assertTrue(t.getMessage().contains("stop"), t.getMessage());
    release.complete(null);
    for (CompletableFuture<JsonNode> f : first) {
      f.get(10, TimeUnit.SECONDS);
    }
    after.get(10, TimeUnit.SECONDS);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      expected.add("query-status");
    }
    expected.add("query-name"); // "stop" never went out
    assertEquals(expected, seen);
    assertTrue(t.getMessage().contains("not yet written"), t.getMessage());
  }

  /**
   * A large command admitted by a reply is written by the thread that read the reply. A peer that
   * stops reading while its own output is blocked (it floods events first) must not stall it: the
   * writing thread keeps reading while it waits for the socket to take more.
   */
  @Test
  @Timeout(60) // without the fix both sides wait for each other forever
  void aLargeCommandAdmittedByAReplyIsWrittenWhileThePeerFloodsEvents() throws Exception {
    int flood = 20_000;
    int size = 6 << 20;
    FakeQmpPeer p =
        closer.track(
            FakeQmpPeer.negotiated(
                dir,
                c -> {
                  List<JsonNode> first = new ArrayList<>();
                  for (int i = 0; i < 8; i++) {
                    first.add(c.read());
                  }
                  Thread.sleep(300); // the large command is held by now
                  c.reply(first.get(0), "{}"); // admits it: the reading thread writes it
                  for (int i = 0; i < flood; i++) {
                    c.event("FLOOD", "{\"n\": " + i + "}"); // not reading meanwhile
                  }
                  for (int i = 1; i < 8; i++) {
                    c.reply(first.get(i), "{}");
                  }
                  JsonNode big = c.read();
                  c.reply(
                      big,
                      "{\"size\": " + big.path("arguments").path("data").asText().length() + "}");
                  c.stall();
                }));
    QmpClient client = closer.track(QmpClient.newBuilder().address(p.address()).connect());
    EventSubscription events = client.subscribe(e -> {}, "FLOOD");
    List<CompletableFuture<JsonNode>> small = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      small.add(client.executeAsync("query-status"));
    }
    CompletableFuture<JsonNode> large =
        client.executeAsync(QmpCommand.of("echo", Map.of("data", "x".repeat(size))));
    for (CompletableFuture<JsonNode> f : small) {
      f.get(30, TimeUnit.SECONDS);
    }
    assertEquals(size, large.get(30, TimeUnit.SECONDS).get("size").asInt());
    events.close();
  }

  @Test
  void anOutOfBandCommandCannotCarryDescriptors() throws Exception {
    FakeQmpPeer p = closer.track(FakeQmpPeer.unix(dir, FakeQmpPeer::echoLoop));
    QmpClient client =
        closer.track(QmpClient.newBuilder().address(p.address()).descriptorPassing(true).connect());
    try (FileOutputStream out = new FileOutputStream(dir.resolve("f").toFile())) {
      CompletableFuture<JsonNode> f =
          client.executeAsync(
              QmpCommand.of("getfd", Map.of("fdname", "x")).withOob(true).withFds(out.getFD()));
      Throwable t = assertInstanceOf(IllegalArgumentException.class, FakeQmpPeer.failure(f));
      assertTrue(t.getMessage().contains("cannot carry file descriptors"), t.getMessage());
    }
  }
}
