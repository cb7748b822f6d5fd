package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpEvent;

/**
 * Reconnect with state resync ({@link ReconnectPolicy#resync}) and retried queries ({@link
 * ReconnectPolicy#retryQueries}), against a scripted peer whose every connection stands for a
 * restarted QEMU with another state.
 */
class ReconnectResyncTest {

  @TempDir Path dir;
  @RegisterExtension final Closer closer = new Closer();

  private FakeQmpPeer peer(FakeQmpPeer.Script script) {
    FakeQmpPeer p = FakeQmpPeer.unix(dir, script);
    closer.track(p);
    return p;
  }

  private static ReconnectPolicy fast() {
    return ReconnectPolicy.backoff(Duration.ofMillis(20), Duration.ofMillis(100));
  }

  private static Throwable failure(CompletableFuture<?> f) {
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
    return e.getCause();
  }

  private static QmpEvent next(EventStream events) {
    return events.poll(Duration.ofSeconds(10)).orElseThrow(() -> new AssertionError("no event"));
  }

  private static List<String> names(List<JsonNode> received) {
    List<String> out = new ArrayList<>();
    for (JsonNode r : received) {
      out.add(r.path("execute").asText());
    }
    return out;
  }

  // ------------------------------------------------------------------ resync

  @Test
  void theGapMarkerCarriesTheResyncedStateAndPrecedesEveryEventOfTheNewConnection()
      throws Exception {
    CountDownLatch firstUp = new CountDownLatch(1);
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              if (c.number == 1) {
                c.negotiate();
                firstUp.countDown();
                c.stall(); // "running"; the test cuts this connection
                return;
              }
              c.event("EARLY", null); // before the negotiation reply
              c.negotiate();
              JsonNode status = c.read();
              JsonNode bogus = c.read();
              c.event("STOP", null); // while the resync commands run
              c.reply(status, "{\"status\": \"paused\", \"running\": false}");
              c.error(bogus, "CommandNotFound", "The command query-bogus has not been found");
              c.event("RESUME", null);
              answerAll(c);
            });
    QmpClient c =
        closer.track(
            QmpClient.newBuilder()
                .address(p.address())
                .reconnect(fast().resync("query-status", "query-bogus"))
                .build());
    EventStream events = c.events().stream();
    c.connect();
    assertTrue(firstUp.await(5, TimeUnit.SECONDS));
    p.connections().get(0).close(); // the VM's QEMU goes away and comes back paused

    QmpEvent gap = next(events);
    assertEquals(EventSubscription.GAP_EVENT, gap.name(), gap.toString());
    JsonNode resync = gap.data().get("resync");
    assertEquals("paused", resync.at("/query-status/return/status").asText(), gap.toString());
    assertFalse(resync.at("/query-status/return/running").asBoolean(true));
    assertEquals("CommandNotFound", resync.at("/query-bogus/error/class").asText());
    assertEquals(
        "The command query-bogus has not been found",
        resync.at("/query-bogus/error/desc").asText());
    assertTrue(gap.data().has("version"), gap.toString()); // even though EARLY came first
    assertEquals(1, gap.data().get("attempts").asInt());
    // Events of the new connection come after the marker, in their order, none lost.
    assertEquals("EARLY", next(events).name());
    assertEquals("STOP", next(events).name());
    assertEquals("RESUME", next(events).name());
    assertEquals(ConnectionState.CONNECTED, c.state());
    assertEquals(
        List.of("qmp_capabilities", "query-status", "query-bogus"),
        names(p.connections().get(1).received));
  }

  @Test
  void losingTheNewConnectionDuringTheResyncFailsThatAttemptAndTheNextOneResyncsAgain()
      throws Exception {
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              if (c.number == 1) {
                c.stall();
              } else if (c.number == 2) {
                c.read(); // the resync query, never answered: this QEMU dies too
                c.close();
              } else {
                c.reply(c.read(), "{\"status\": \"running\", \"running\": true}");
                answerAll(c);
              }
            });
    QmpClient c =
        closer.track(
            QmpClient.newBuilder()
                .address(p.address())
                .reconnect(fast().resync("query-status"))
                .build());
    EventStream events = c.events().stream();
    c.connect();
    waitFor(() -> p.connections().size() == 1);
    p.connections().get(0).close();
    QmpEvent gap = next(events);
    assertEquals(EventSubscription.GAP_EVENT, gap.name());
    assertEquals(2, gap.data().get("attempts").asInt(), gap.toString());
    assertEquals("running", gap.data().at("/resync/query-status/return/status").asText());
    assertEquals(3, p.accepted());
    assertTrue(events.poll(Duration.ofMillis(100)).isEmpty()); // one marker, not one per attempt
  }

  @Test
  void aResyncCommandThatGetsNoAnswerIsRecordedAsATimeout() throws Exception {
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              if (c.number == 1) {
                c.stall();
              } else {
                c.read(); // query-jobs: never answered
                c.stall();
              }
            });
    QmpClient c =
        closer.track(
            QmpClient.newBuilder()
                .address(p.address())
                .commandTimeout("query-jobs", Duration.ofMillis(200))
                .reconnect(fast().resync("query-jobs"))
                .build());
    EventStream events = c.events().stream();
    c.connect();
    waitFor(() -> p.connections().size() == 1);
    p.connections().get(0).close();
    QmpEvent gap = next(events);
    assertEquals("Timeout", gap.data().at("/resync/query-jobs/error/class").asText());
    assertTrue(
        gap.data().at("/resync/query-jobs/error/desc").asText().contains("200 ms"), gap.toString());
    assertEquals(ConnectionState.CONNECTED, c.state());
  }

  @Test
  void resyncPolicyChecks() {
    assertThrows(
        IllegalArgumentException.class, () -> fast().resync("query-status", "query-status"));
    assertThrows(
        IllegalArgumentException.class,
        () -> fast().resync(QmpCommand.of("query-status").withOob(true)));
    assertThrows(IllegalStateException.class, () -> ReconnectPolicy.NEVER.resync("query-status"));
    assertEquals(
        List.of("query-status", "query-jobs"),
        fast().resync("query-status", "query-jobs").resyncCommands().stream()
            .map(QmpCommand::name)
            .toList());
  }

  @Test
  void closingWhileTheResyncWaitsEndsAtOnceAndFailsAParkedQuery() throws Exception {
    CountDownLatch resyncSent = new CountDownLatch(1);
    CountDownLatch queryRead = new CountDownLatch(1);
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              if (c.number == 1) {
                c.read();
                queryRead.countDown();
                c.stall();
                return;
              }
              // the parked query-status comes first, then the resync's query-jobs: none answered
              c.read();
              c.read();
              resyncSent.countDown();
              c.stall();
            });
    QmpClient c =
        QmpClient.newBuilder()
            .address(p.address())
            .commandTimeout(QmpCommand.NO_TIMEOUT)
            .reconnect(fast().resync("query-jobs").retryQueries(true))
            .connect();
    CompletableFuture<JsonNode> query = c.executeAsync("query-status");
    assertTrue(queryRead.await(5, TimeUnit.SECONDS));
    p.connections().get(0).close();
    assertTrue(resyncSent.await(5, TimeUnit.SECONDS));
    assertEquals(ConnectionState.RECONNECTING, c.state()); // until the resync is answered
    long t0 = System.nanoTime();
    c.close();
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(ms < 1000, ms + " ms");
    assertInstanceOf(QmpConnectionLostException.class, failure(query));
    assertEquals(ConnectionState.CLOSED, c.state());
    waitFor(() -> p.connections().get(1).closed || !p.connections().get(1).channel.isOpen());
  }

  // ------------------------------------------------------------------ retried queries

  @Test
  void aPendingQueryIsSentAgainAfterTheReconnectAndAStopIsNot() throws Exception {
    CountDownLatch threeRead = new CountDownLatch(1);
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              if (c.number == 1) {
                c.read();
                c.read();
                c.read();
                threeRead.countDown(); // all three pending; this QEMU now dies
                c.stall();
                return;
              }
              while (true) {
                JsonNode req = c.read();
                String cmd = req.path("execute").asText();
                if (cmd.equals("query-status")) {
                  c.reply(req, "{\"status\": \"running\", \"running\": true}");
                } else if (cmd.equals("qom-get")) {
                  c.reply(req, "\"pc-i440fx-7.2-machine\"");
                } else {
                  c.reply(req, "{}");
                }
              }
            });
    QmpClient c =
        closer.track(
            QmpClient.newBuilder()
                .address(p.address())
                .reconnect(fast().retryQueries(true))
                .connect());
    CompletableFuture<JsonNode> query = c.executeAsync("query-status");
    CompletableFuture<JsonNode> stop = c.executeAsync("stop");
    CompletableFuture<JsonNode> qom =
        c.executeAsync("qom-get", Map.of("path", "/machine", "property", "type"));
    assertTrue(threeRead.await(5, TimeUnit.SECONDS));
    p.connections().get(0).close();

    assertInstanceOf(QmpConnectionLostException.class, failure(stop));
    assertEquals("running", query.get(10, TimeUnit.SECONDS).get("status").asText());
    assertEquals("pc-i440fx-7.2-machine", qom.get(10, TimeUnit.SECONDS).asText());
    List<String> second = names(p.connections().get(1).received);
    assertEquals("qmp_capabilities", second.get(0));
    assertEquals(
        List.of("qom-get", "query-status"),
        second.subList(1, second.size()).stream().sorted().toList());
    assertFalse(second.contains("stop"), second.toString()); // never re-sent
  }

  @Test
  void aRetriedQueryKeepsItsOriginalTimeout() throws Exception {
    CountDownLatch read = new CountDownLatch(1);
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              if (c.number == 1) {
                c.read();
                read.countDown();
                c.stall();
                return;
              }
              answerAll(c);
            });
    QmpClient c =
        closer.track(
            QmpClient.newBuilder()
                .address(p.address())
                .reconnect(
                    ReconnectPolicy.backoff(Duration.ofSeconds(2), Duration.ofSeconds(2))
                        .retryQueries(true))
                .connect());
    long t0 = System.nanoTime();
    CompletableFuture<JsonNode> query =
        c.executeAsync(QmpCommand.of("query-status").withTimeout(Duration.ofMillis(300)));
    assertTrue(read.await(5, TimeUnit.SECONDS));
    p.connections().get(0).close();
    Throwable t = failure(query);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertInstanceOf(QmpTimeoutException.class, t);
    assertTrue(t.getMessage().contains("300 ms"), t.getMessage());
    assertTrue(ms >= 250 && ms < 1800, ms + " ms"); // not restarted on the new connection
  }

  @Test
  void retryPolicyChecks() {
    ReconnectPolicy r = fast().retryQueries(true);
    assertTrue(r.retries("query-status"));
    assertTrue(r.retries("x-query-roms"));
    assertTrue(r.retries("qom-list"));
    assertFalse(r.retries("stop"));
    assertFalse(r.retries("my-read"));
    assertTrue(r.retryAlso("my-read").retries("my-read"));
    assertFalse(fast().retries("query-status")); // off by default
    assertThrows(IllegalStateException.class, () -> ReconnectPolicy.NEVER.retryQueries(true));
  }

  static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("condition not met within 10 s");
      }
      Thread.sleep(5);
    }
  }

  /** Answers every request with its arguments (or {}), after the handshake. */
  static void answerAll(FakeQmpPeer.Conn c) throws java.io.IOException {
    while (true) {
      JsonNode req = c.read();
      JsonNode args = req.get("arguments");
      c.reply(req, args == null ? "{}" : args.toString());
    }
  }
}
