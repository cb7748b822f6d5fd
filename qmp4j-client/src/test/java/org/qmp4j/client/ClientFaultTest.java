package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpConnectionException;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.protocol.QmpMessageTooLargeException;
import org.qmp4j.protocol.QmpProtocolException;

/** The client against a scripted peer that misbehaves. */
class ClientFaultTest {

  @TempDir Path dir;
  private final List<AutoCloseable> closeMe = new ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    for (int i = closeMe.size() - 1; i >= 0; i--) {
      closeMe.get(i).close();
    }
  }

  private FakeQmpPeer peer(FakeQmpPeer.Script script) {
    FakeQmpPeer p = FakeQmpPeer.unix(dir, script);
    closeMe.add(p);
    return p;
  }

  private QmpClient.Builder client(FakeQmpPeer p) {
    return QmpClient.newBuilder().address(p.address()).connectTimeout(Duration.ofSeconds(5));
  }

  private QmpClient track(QmpClient c) {
    closeMe.add(c);
    return c;
  }

  private static Throwable failure(CompletableFuture<?> f) throws Exception {
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
    return e.getCause();
  }

  // ------------------------------------------------------------------ stalls

  @Test
  void aPeerThatNeverGreetsFailsConnectWithinTheTimeout() {
    FakeQmpPeer p = peer(FakeQmpPeer.Conn::stall);
    long t0 = System.nanoTime();
    QmpConnectionException e =
        assertThrows(
            QmpConnectionException.class,
            () -> client(p).connectTimeout(Duration.ofMillis(300)).connect());
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(e.timedOut(), e.toString());
    assertTrue(e.getMessage().contains("no QMP greeting"), e.getMessage());
    assertTrue(ms >= 250 && ms < 3000, ms + " ms");
  }

  @Test
  void aPeerThatNeverAnswersNegotiationFailsConnectWithinTheTimeout() {
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.stall();
            });
    QmpConnectionException e =
        assertThrows(
            QmpConnectionException.class,
            () -> client(p).connectTimeout(Duration.ofMillis(300)).connect());
    assertTrue(e.timedOut(), e.toString());
    assertTrue(e.getMessage().contains("qmp_capabilities"), e.getMessage());
  }

  @Test
  void aHungPeerIsDetectedByTheHeartbeatAndEveryPendingCommandFailsAtOnce() throws Exception {
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              c.stall();
            });
    QmpClient c =
        track(
            client(p)
                .heartbeat(Duration.ofMillis(100), Duration.ofMillis(200))
                .commandTimeout(QmpCommand.NO_TIMEOUT)
                .connect());
    List<CompletableFuture<JsonNode>> pending = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      pending.add(c.executeAsync("query-status"));
    }
    long t0 = System.nanoTime();
    for (CompletableFuture<JsonNode> f : pending) {
      Throwable t = failure(f);
      assertInstanceOf(QmpConnectionLostException.class, t);
      assertTrue(t.getMessage().contains("heartbeat"), t.getMessage());
    }
    assertTrue((System.nanoTime() - t0) / 1_000_000 < 3000);
    assertEquals(ConnectionState.CLOSED, c.state());
  }

  // ------------------------------------------------------------------ garbage

  @Test
  void garbageAfterNegotiationIsAProtocolViolationThatFailsPendingCommands() throws Exception {
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              c.read();
              c.write("this is not json\r\n");
              c.stall();
            });
    QmpClient c = track(client(p).connect());
    Throwable t = failure(c.executeAsync("query-status"));
    assertInstanceOf(QmpProtocolException.class, t);
    assertTrue(t.getMessage().contains("broke the QMP protocol"), t.getMessage());
    assertEquals(ConnectionState.CLOSED, c.state());
  }

  @Test
  void garbageInsteadOfAGreetingFailsConnect() {
    FakeQmpPeer p =
        peer(
            c -> {
              c.line("{\"hello\": \"world\"}");
              c.stall();
            });
    QmpConnectionException e =
        assertThrows(QmpConnectionException.class, () -> client(p).connect());
    assertTrue(e.getMessage().contains("did not send a QMP greeting"), e.getMessage());
  }

  // ------------------------------------------------------------------ size limit

  /** A reply whose JSON text is exactly {@code size} bytes, answering {@code request}. */
  private static String replyOfSize(JsonNode request, int size) {
    String head = "{\"return\": {\"data\": \"";
    String tail = "\"}, \"id\": " + request.get("id") + "}";
    return head + "x".repeat(size - head.length() - tail.length()) + tail;
  }

  @Test
  void aTenMebibyteReplyAtTheLimitIsDeliveredAndOneByteOverFailsOnlyItsCommand() throws Exception {
    int limit = QmpClient.DEFAULT_MAX_MESSAGE_SIZE;
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              JsonNode atLimit = c.read();
              c.line(replyOfSize(atLimit, limit));
              JsonNode over = c.read();
              c.line(replyOfSize(over, limit + 1));
              JsonNode after = c.read();
              c.reply(after, "{\"ok\": true}");
              c.stall();
            });
    QmpClient c = track(client(p).connect());
    JsonNode big = c.execute("big");
    assertEquals(limit - 40, big.get("data").asText().length(), 2.0);
    QmpMessageTooLargeException e =
        assertThrows(QmpMessageTooLargeException.class, () -> c.execute("bigger"));
    assertEquals(limit, e.limit());
    assertTrue(c.execute("after").get("ok").asBoolean());
    assertEquals(ConnectionState.CONNECTED, c.state());
  }

  // ------------------------------------------------------------------ hang-ups

  @Test
  void aConnectionDroppedMidReplyFailsThePendingCommands() throws Exception {
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              JsonNode req = c.read();
              c.write("{\"return\": {\"status\": \"runn");
              c.close();
            });
    QmpClient c = track(client(p).connect());
    CompletableFuture<JsonNode> second = c.executeAsync("query-name");
    Throwable t = failure(c.executeAsync("query-status"));
    assertInstanceOf(QmpConnectionLostException.class, t);
    // The peer closes with our second request unread: depending on timing the kernel reports an
    // orderly end of stream or a reset, or the second request's write meets the closed socket
    // first (a broken pipe); either way the message names what happened.
    assertTrue(
        t.getMessage().contains("closed by the peer")
            || t.getMessage().contains("reset")
            || t.getMessage().contains("Broken pipe"),
        t.getMessage());
    assertInstanceOf(QmpConnectionLostException.class, failure(second));
  }

  // ------------------------------------------------------------------ events

  @Test
  void eventsBeforeTheGreetingAndDuringNegotiationNeverShiftReplies() throws Exception {
    FakeQmpPeer p =
        peer(
            c -> {
              c.event("EARLY", null);
              c.greet();
              c.event("BEFORE_CAPS", null);
              JsonNode caps = c.read();
              c.event("DURING_CAPS", "{\"n\": 1}");
              c.reply(caps, "{}");
              JsonNode q = c.read();
              c.event("BEFORE_REPLY", null);
              c.reply(q, "{\"status\": \"running\"}");
              c.stall();
            });
    QmpClient c = track(client(p).build());
    List<String> seen = new CopyOnWriteArrayList<>();
    CountDownLatch four = new CountDownLatch(4);
    c.subscribe(
        e -> {
          seen.add(e.name());
          four.countDown();
        });
    c.connect();
    assertEquals("running", c.execute("query-status").get("status").asText());
    assertTrue(four.await(5, TimeUnit.SECONDS));
    assertEquals(List.of("EARLY", "BEFORE_CAPS", "DURING_CAPS", "BEFORE_REPLY"), seen);
  }

  @Test
  void aFloodOfEventsIntoASleepingSubscriberDelaysNeitherRepliesNorOtherSubscribers()
      throws Exception {
    int flood = 100_000;
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              JsonNode go = c.read();
              StringBuilder sb = new StringBuilder();
              for (int i = 0; i < flood; i++) {
                sb.append("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\":")
                    .append(" \"TICK\", \"data\": {\"n\": ")
                    .append(i)
                    .append("}}\r\n");
                if (sb.length() > 60_000) {
                  c.write(sb.toString());
                  sb.setLength(0);
                }
              }
              c.write(sb.toString());
              c.reply(go, "{}");
              while (true) {
                JsonNode req = c.read();
                c.reply(req, "{\"pong\": true}");
              }
            });
    QmpClient c = track(client(p).connect());
    AtomicLong slowSeen = new AtomicLong();
    AtomicLong slowDroppedMarkers = new AtomicLong();
    EventSubscription slow =
        c.events()
            .names("TICK")
            .capacity(100)
            .overflow(OverflowPolicy.DROP_OLDEST)
            .subscribe(
                e -> {
                  if (e.name().equals(EventSubscription.DROPPED_EVENT)) {
                    slowDroppedMarkers.addAndGet(e.data().get("count").asLong());
                    return;
                  }
                  slowSeen.incrementAndGet();
                  try {
                    Thread.sleep(50);
                  } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                  }
                });
    EventStream fast = c.events().names("TICK").capacity(flood).stream();
    long t0 = System.nanoTime();
    c.execute("go");
    long slowAtReply = slowSeen.get();
    assertTrue(c.execute("ping").get("pong").asBoolean());
    long replyMs = (System.nanoTime() - t0) / 1_000_000;
    // The reply came after all 100,000 events were read: had the reader waited for the slow
    // subscriber (50 ms per event), that would have taken over an hour.
    assertTrue(slowAtReply < flood / 10, "slow subscriber had handled " + slowAtReply);
    int got = 0;
    long last = -1;
    while (got < flood) {
      QmpEvent e = fast.poll(Duration.ofSeconds(10)).orElseThrow();
      assertEquals(last + 1, e.data().get("n").asLong());
      last++;
      got++;
    }
    long allMs = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(0, fast.droppedCount());
    slow.close();
    long dropped = slow.droppedCount();
    assertTrue(dropped > flood / 2, "dropped " + dropped);
    System.out.printf(
        "flood: %d events, reply after %d ms, fast subscriber had all after %d ms; slow one"
            + " handled %d, dropped %d (markers said %d)%n",
        flood, replyMs, allMs, slowSeen.get(), dropped, slowDroppedMarkers.get());
  }

  @Test
  void dropNewestLeavesAMarkerAfterTheKeptEventsAndFailSubscriberEndsTheStream() throws Exception {
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              JsonNode go = c.read();
              for (int i = 0; i < 10; i++) {
                c.event("TICK", "{\"n\": " + i + "}");
              }
              c.reply(go, "{}");
              c.stall();
            });
    QmpClient c = track(client(p).connect());
    EventStream newest = c.events().capacity(3).overflow(OverflowPolicy.DROP_NEWEST).stream();
    EventStream oldest = c.events().capacity(3).overflow(OverflowPolicy.DROP_OLDEST).stream();
    EventStream failing = c.events().capacity(3).overflow(OverflowPolicy.FAIL_SUBSCRIBER).stream();
    c.execute("go");
    List<String> n = drain(newest, 4);
    assertEquals(List.of("TICK 0", "TICK 1", "TICK 2", EventSubscription.DROPPED_EVENT + " 7"), n);
    List<String> o = drain(oldest, 4);
    assertEquals(List.of(EventSubscription.DROPPED_EVENT + " 7", "TICK 7", "TICK 8", "TICK 9"), o);
    assertEquals(List.of("TICK 0", "TICK 1", "TICK 2"), drain(failing, 3));
    assertThrows(EventOverflowException.class, () -> failing.poll(Duration.ofSeconds(1)));
    assertTrue(failing.closeFuture().isCompletedExceptionally());
    assertTrue(newest.poll(Duration.ofMillis(50)).isEmpty());
  }

  private static List<String> drain(EventStream s, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      QmpEvent e = s.poll(Duration.ofSeconds(5)).orElseThrow();
      out.add(
          e.name()
              + " "
              + (e.name().equals(EventSubscription.DROPPED_EVENT)
                  ? e.data().get("count").asText()
                  : e.data().get("n").asText()));
    }
    return out;
  }

  // ------------------------------------------------------------------ ids

  @Test
  void repliesWithoutAMatchingIdCompleteNothingAndReachTheHandler() throws Exception {
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              JsonNode req = c.read();
              c.line("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error\"}}");
              c.line("{\"return\": {}, \"id\": \"somebody-else\"}");
              c.line("{\"return\": {}, \"id\": 17}");
              c.reply(req, "{\"mine\": true}");
              c.stall();
            });
    List<JsonNode> unmatched = new CopyOnWriteArrayList<>();
    QmpClient c = track(client(p).unmatchedReplyHandler(unmatched::add).connect());
    assertTrue(c.execute("query-status").get("mine").asBoolean());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (unmatched.size() < 3 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(3, unmatched.size());
    assertFalse(unmatched.get(0).has("id"));
  }

  // ------------------------------------------------------------------ reconnect

  @Test
  void reconnectNegotiatesAgainSignalsTheGapAndNeverResendsAPendingCommand() throws Exception {
    List<String> secondConnectionCommands = new CopyOnWriteArrayList<>();
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              if (c.number == 1) {
                c.read(); // the device_add: never answered, the connection drops
                c.close();
                return;
              }
              while (true) {
                JsonNode req = c.read();
                secondConnectionCommands.add(req.get("execute").asText());
                c.reply(req, "{}");
              }
            });
    QmpClient c =
        track(
            client(p)
                .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(20), Duration.ofMillis(100)))
                .build());
    EventStream events = c.events().stream();
    c.connect();
    Throwable t = failure(c.executeAsync("device_add", Map.of("driver", "e1000")));
    assertInstanceOf(QmpConnectionLostException.class, t);
    QmpEvent gap = events.poll(Duration.ofSeconds(10)).orElseThrow();
    assertEquals(EventSubscription.GAP_EVENT, gap.name());
    assertTrue(EventSubscription.isMarker(gap));
    assertTrue(gap.data().get("attempts").asInt() >= 1);
    assertEquals(ConnectionState.CONNECTED, c.state());
    c.execute("query-status");
    assertEquals(List.of("query-status"), secondConnectionCommands);
    assertEquals(2, p.accepted());
  }

  @Test
  void reconnectGivesUpAfterMaxAttemptsAndEndsSubscriptions() throws Exception {
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              c.read();
              c.close();
            });
    QmpClient c =
        track(
            client(p)
                .reconnect(
                    ReconnectPolicy.backoff(Duration.ofMillis(10), Duration.ofMillis(20))
                        .maxAttempts(3))
                .build());
    EventStream events = c.events().stream();
    c.connect();
    p.close(); // nothing to reconnect to
    assertInstanceOf(QmpConnectionLostException.class, failure(c.executeAsync("x")));
    Throwable end = failure(events.closeFuture());
    assertInstanceOf(QmpConnectionLostException.class, end);
    assertTrue(end.getMessage().contains("gave up"), end.getMessage());
    assertEquals(ConnectionState.CLOSED, c.state());
  }

  @Test
  void closingFailsPendingCommandsAtOnceAndStopsTheReaderThread() throws Exception {
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              c.stall();
            });
    QmpClient c = client(p).commandTimeout(QmpCommand.NO_TIMEOUT).connect();
    CompletableFuture<JsonNode> f = c.executeAsync("query-status");
    c.close();
    assertInstanceOf(QmpConnectionLostException.class, failure(f));
    for (Thread th : Thread.getAllStackTraces().keySet()) {
      if (th.getName().contains(c.toString().replaceAll("^QmpClient\\[|#.*$", ""))
          && th.getName().contains("reader")) {
        assertFalse(th.isAlive(), th.getName());
      }
    }
    assertNull(p.failure.get());
  }
}
