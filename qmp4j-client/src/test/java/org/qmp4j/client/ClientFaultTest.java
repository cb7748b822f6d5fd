package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpConnectionException;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.protocol.QmpMessageTooLargeException;
import org.qmp4j.protocol.QmpProtocolException;

/** The client against a scripted peer that misbehaves. */
class ClientFaultTest {

  @TempDir Path dir;
  @RegisterExtension final Closer closer = new Closer();

  private FakeQmpPeer peer(FakeQmpPeer.Script script) {
    FakeQmpPeer p = FakeQmpPeer.unix(dir, script);
    closer.track(p);
    return p;
  }

  private QmpClient.Builder client(FakeQmpPeer p) {
    return QmpClient.newBuilder().address(p.address()).connectTimeout(Duration.ofSeconds(5));
  }

  // ------------------------------------------------------------------ stalls

  @Test
  void aPeerThatNeverGreetsFailsConnectWithinTheTimeout() {
    FakeQmpPeer p = peer(FakeQmpPeer.Conn::stall);
    long t0 = System.nanoTime();
    QmpConnectionException e =
        assertThrows(
            QmpConnectionException.class,
            () ->
                QmpClient.newBuilder()
                    .address(p.address())
                    .connectTimeout(Duration.ofMillis(300))
                    .connect());
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(e.timedOut(), e.toString());
    assertTrue(e.getMessage().contains("no QMP greeting"), e.getMessage());
    // The peer stalls for ever: only the 300 ms timeout ends the wait. The upper bound is loose for
    // a loaded machine but still well below the 10 s default it would take were 300 ms ignored.
    assertTrue(ms >= 250, ms + " ms");
    assertTrue(ms < QmpClient.DEFAULT_CONNECT_TIMEOUT.toMillis() / 2, ms + " ms");
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
        closer.track(
            client(p)
                .heartbeat(Duration.ofMillis(100), Duration.ofMillis(200))
                .commandTimeout(QmpCommand.NO_TIMEOUT)
                .connect());
    List<CompletableFuture<JsonNode>> pending = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      pending.add(c.executeAsync("query-status"));
    }
    // The commands have no timeout and the peer never answers: only the heartbeat (a probe every
    // 100 ms, 200 ms to answer) can end them, and it fails them all together.
    Throwable first = FakeQmpPeer.failure(pending.get(0));
    long firstFailedAt = System.nanoTime();
    assertInstanceOf(QmpConnectionLostException.class, first);
    assertTrue(first.getMessage().contains("heartbeat"), first.getMessage());
    for (CompletableFuture<JsonNode> f : pending) {
      Throwable t = FakeQmpPeer.failure(f);
      assertInstanceOf(QmpConnectionLostException.class, t);
      assertTrue(t.getMessage().contains("heartbeat"), t.getMessage());
    }
    long spreadMs = (System.nanoTime() - firstFailedAt) / 1_000_000;
    assertTrue(spreadMs < 1000, "the last command failed " + spreadMs + " ms after the first");
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
    QmpClient c = closer.track(client(p).connect());
    Throwable t = FakeQmpPeer.failure(c.executeAsync("query-status"));
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
    QmpClient c = closer.track(client(p).connect());
    JsonNode big = c.execute("big");
    // the whole reply is exactly the limit: the data is that less the envelope and the id
    int envelope = "{\"return\": {\"data\": \"\"}, \"id\": }".length();
    assertEquals(limit - envelope, big.get("data").asText().length(), 20.0);
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
    QmpClient c = closer.track(client(p).connect());
    CompletableFuture<JsonNode> second = c.executeAsync("query-name");
    Throwable t = FakeQmpPeer.failure(c.executeAsync("query-status"));
    assertInstanceOf(QmpConnectionLostException.class, t);
    // The peer closes with our second request unread: depending on timing the kernel reports an
    // orderly end of stream or a reset, or the second request's write meets the closed socket
    // first (a broken pipe); either way the message names what happened.
    assertTrue(
        t.getMessage().contains("closed by the peer")
            || t.getMessage().contains("reset")
            || t.getMessage().contains("Broken pipe"),
        t.getMessage());
    assertInstanceOf(QmpConnectionLostException.class, FakeQmpPeer.failure(second));
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
    QmpClient c = closer.track(client(p).build());
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
    // The fast subscriber's queue holds about 1% of the flood. The peer sends bursts of half that
    // and, before each, waits until the fast consumer is at most half a queue behind: the queue
    // never overflows however the threads are scheduled, provided the reader thread passes events
    // on as they come. Nothing waits for the slow subscriber.
    int fastCapacity = 1024;
    int burst = fastCapacity / 2;
    AtomicLong fastGot = new AtomicLong();
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              JsonNode go = c.read();
              StringBuilder sb = new StringBuilder();
              for (int i = 0; i < flood; i++) {
                if (i % burst == 0) {
                  c.write(sb.toString());
                  sb.setLength(0);
                  long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                  while (fastGot.get() < i - burst) {
                    if (System.nanoTime() > deadline) {
                      throw new IllegalStateException("fast subscriber stuck at " + fastGot.get());
                    }
                    LockSupport.parkNanos(50_000);
                  }
                }
                sb.append("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\":")
                    .append(" \"TICK\", \"data\": {\"n\": ")
                    .append(i)
                    .append("}}\r\n");
              }
              c.write(sb.toString());
              c.reply(go, "{}");
              while (true) {
                JsonNode req = c.read();
                c.reply(req, "{\"pong\": true}");
              }
            });
    QmpClient c = closer.track(client(p).connect());
    AtomicLong slowSeen = new AtomicLong();
    AtomicLong slowDroppedMarkers = new AtomicLong();
    AtomicBoolean hurry = new AtomicBoolean();
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
                  if (!hurry.get()) {
                    try {
                      Thread.sleep(50);
                    } catch (InterruptedException ie) {
                      Thread.currentThread().interrupt();
                    }
                  }
                });
    EventStream fast = c.events().names("TICK").capacity(fastCapacity).stream();
    List<String> fastProblems = new CopyOnWriteArrayList<>();
    AtomicLong fastDoneAt = new AtomicLong();
    Thread fastConsumer =
        new Thread(
            () -> {
              long next = 0;
              while (next < flood) {
                Optional<QmpEvent> e = fast.poll(Duration.ofSeconds(30));
                if (e.isEmpty()) {
                  fastProblems.add("nothing for 30 s after " + next + " events");
                  return;
                }
                long n = e.get().data().path("n").asLong(-1);
                if (!e.get().name().equals("TICK") || n != next) {
                  fastProblems.add("expected TICK " + next + ", got " + e.get());
                  return;
                }
                next++;
                fastGot.set(next);
              }
              fastDoneAt.set(System.nanoTime());
            },
            "fast-subscriber");
    fastConsumer.start();
    long t0 = System.nanoTime();
    c.execute("go");
    assertTrue(c.execute("ping").get("pong").asBoolean());
    long replyMs = (System.nanoTime() - t0) / 1_000_000;
    // The reply to "go" came after all 100,000 events were read. Had the reader thread waited for
    // the slow subscriber (50 ms an event) even once per 200 events, that would be 25 s; waiting
    // for every event, over an hour.
    assertTrue(replyMs < 20_000, "replies came after " + replyMs + " ms");
    fastConsumer.join(60_000);
    assertEquals(List.of(), fastProblems);
    assertEquals(flood, fastGot.get());
    assertEquals(0, fast.droppedCount());
    long allMs = (fastDoneAt.get() - t0) / 1_000_000;
    // The slow subscriber dropped nearly everything: its queue holds 100, it sleeps 50 ms an event.
    long dropped = slow.droppedCount();
    assertTrue(dropped >= flood - 100 - slowSeen.get(), "dropped " + dropped);
    // Let it finish its queue at full speed: every event is then either handled or counted by a
    // marker, and the markers add up to droppedCount().
    long handledSlowly = slowSeen.get();
    hurry.set(true);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (slowSeen.get() + slowDroppedMarkers.get() < flood && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(flood, slowSeen.get() + slowDroppedMarkers.get(), "handled + marker counts");
    assertEquals(slow.droppedCount(), slowDroppedMarkers.get(), "marker counts vs droppedCount()");
    slow.close();
    System.out.printf(
        "flood: %d events, reply after %d ms, fast subscriber (capacity %d) had all after %d ms;"
            + " slow one handled %d while sleeping, %d in all, dropped %d (markers said %d)%n",
        flood,
        replyMs,
        fastCapacity,
        allMs,
        handledSlowly,
        slowSeen.get(),
        slow.droppedCount(),
        slowDroppedMarkers.get());
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
    QmpClient c = closer.track(client(p).connect());
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
    QmpClient c = closer.track(client(p).unmatchedReplyHandler(unmatched::add).connect());
    assertTrue(c.execute("query-status").get("mine").asBoolean());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (unmatched.size() < 3 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(3, unmatched.size());
    assertFalse(unmatched.get(0).has("id"));
  }

  @Test
  void repliesAreRoutedByIdWhateverTheirOrderAndALateReplyReachesNobody() throws Exception {
    CountDownLatch thirdTimedOut = new CountDownLatch(1);
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              JsonNode first = c.read();
              JsonNode second = c.read();
              JsonNode third = c.read();
              c.reply(second, "{\"who\": \"second\"}");
              c.reply(first, "{\"who\": \"first\"}");
              if (!thirdTimedOut.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the third command never timed out");
              }
              JsonNode fourth = c.read();
              // the third's reply comes late, right before the fourth's
              c.reply(third, "{\"who\": \"third\"}");
              c.reply(fourth, "{\"who\": \"fourth\"}");
              c.stall();
            });
    List<JsonNode> unmatched = new CopyOnWriteArrayList<>();
    QmpClient c = closer.track(client(p).unmatchedReplyHandler(unmatched::add).connect());
    CompletableFuture<JsonNode> first = c.executeAsync("first");
    CompletableFuture<JsonNode> second = c.executeAsync("second");
    CompletableFuture<JsonNode> third =
        c.executeAsync(QmpCommand.of("third").withTimeout(Duration.ofMillis(200)));
    assertEquals("second", second.get(10, TimeUnit.SECONDS).get("who").asText());
    assertEquals("first", first.get(10, TimeUnit.SECONDS).get("who").asText());
    assertInstanceOf(QmpTimeoutException.class, FakeQmpPeer.failure(third));
    thirdTimedOut.countDown();
    // the late reply to "third" is read just before this one, and must not be taken for it
    assertEquals("fourth", c.execute("fourth").get("who").asText());
    Thread.sleep(200); // the unmatched-reply handler runs on the executor: give it time
    assertEquals(List.of(), unmatched, "a late reply is discarded, not unmatched");
    List<String> sent = new ArrayList<>();
    for (JsonNode r : p.connections().get(0).received) {
      sent.add(r.path("execute").asText());
    }
    assertEquals(List.of("qmp_capabilities", "first", "second", "third", "fourth"), sent);
    assertEquals(ConnectionState.CONNECTED, c.state());
    assertNull(p.failure.get());
  }

  // ------------------------------------------------------------------ oob

  @Test
  void oobFalseLeavesOutOfBandOffWhenTheServerOffersIt() throws Exception {
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet(); // offers "oob"
              c.negotiate();
              while (true) {
                JsonNode req = c.read();
                c.reply(req, "{}");
              }
            });
    try (QmpClient withOob = client(p).connect()) {
      assertTrue(withOob.oobEnabled());
    }
    QmpClient c = closer.track(client(p).oob(false).connect());
    // the default asks for it, oob(false) does not (recorded by the peer before it replied)
    assertEquals(2, p.connections().size());
    assertEquals(
        "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}",
        withoutId(p.connections().get(0).received.get(0)));
    assertEquals(
        "{\"execute\":\"qmp_capabilities\"}", withoutId(p.connections().get(1).received.get(0)));
    assertFalse(c.oobEnabled());
    assertTrue(c.greeting().orElseThrow().hasCapability("oob"));
    // an OOB command fails as documented, without being sent
    Throwable t = FakeQmpPeer.failure(c.executeAsync(QmpCommand.of("ping-oob").withOob(true)));
    assertInstanceOf(IllegalStateException.class, t);
    assertTrue(t.getMessage().contains("out-of-band execution is not enabled"), t.getMessage());
    assertThrows(IllegalStateException.class, () -> c.executeOob("ping-oob", null));
    assertInstanceOf(
        IllegalStateException.class,
        FakeQmpPeer.failure(c.executeRawAsync("{\"exec-oob\": \"ping-oob\"}")));
    assertEquals(ConnectionState.CONNECTED, c.state());
    c.execute("in-band");
    List<String> sent = new ArrayList<>();
    for (JsonNode r : p.connections().get(1).received) {
      assertFalse(r.has("exec-oob"), r.toString());
      sent.add(r.path("execute").asText());
    }
    assertEquals(List.of("qmp_capabilities", "in-band"), sent);
  }

  private static String withoutId(JsonNode request) {
    ObjectNode copy = request.deepCopy();
    copy.remove("id");
    return copy.toString();
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
        closer.track(
            client(p)
                .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(20), Duration.ofMillis(100)))
                .build());
    EventStream events = c.events().stream();
    c.connect();
    Throwable t = FakeQmpPeer.failure(c.executeAsync("device_add", Map.of("driver", "e1000")));
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
        closer.track(
            client(p)
                .reconnect(
                    ReconnectPolicy.backoff(Duration.ofMillis(10), Duration.ofMillis(20))
                        .maxAttempts(3))
                .build());
    EventStream events = c.events().stream();
    c.connect();
    p.close(); // nothing to reconnect to
    assertInstanceOf(QmpConnectionLostException.class, FakeQmpPeer.failure(c.executeAsync("x")));
    Throwable end = FakeQmpPeer.failure(events.closeFuture());
    assertInstanceOf(QmpConnectionLostException.class, end);
    assertTrue(end.getMessage().contains("gave up"), end.getMessage());
    assertEquals(ConnectionState.CLOSED, c.state());
  }

  /** Live threads whose name marks them as a connection's reader. */
  private static Set<Thread> readerThreads() {
    Set<Thread> out = new HashSet<>();
    for (Thread th : Thread.getAllStackTraces().keySet()) {
      if (th.isAlive() && th.getName().contains("-reader-")) {
        out.add(th);
      }
    }
    return out;
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
    Set<Thread> before = readerThreads();
    QmpClient c = client(p).commandTimeout(QmpCommand.NO_TIMEOUT).connect();
    Set<Thread> ours = readerThreads();
    ours.removeAll(before);
    // exactly the one reader this client started (a name the address shows up in, cut to 40)
    assertEquals(1, ours.size(), ours.toString());
    Thread reader = ours.iterator().next();
    assertTrue(reader.getName().startsWith("qmp4j-client-"), reader.getName());
    CompletableFuture<JsonNode> f = c.executeAsync("query-status");
    c.close();
    assertInstanceOf(QmpConnectionLostException.class, FakeQmpPeer.failure(f));
    reader.join(5000);
    assertFalse(reader.isAlive(), reader.getName() + " still runs after close()");
    assertNull(p.failure.get());
  }
}
