package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpConnectionException;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.protocol.QmpJson;

/**
 * The contracts of the public API that a new user relies on: what the exceptions carry, copies
 * where the API promises immutability, markers on filtered subscriptions, the end of a stream, the
 * convenience overloads, and {@link GuestExecResult} as a value.
 */
class PublicApiTest {

  @TempDir Path dir;
  @RegisterExtension final Closer closer = new Closer();

  // ------------------------------------------------------------------ item 1: timeouts

  @Test
  void aCommandTimeoutNamesTheCommandAndTheIdThatWentOnTheWire() throws Exception {
    CompletableFuture<JsonNode> seen = new CompletableFuture<>();
    FakeQmpPeer p =
        closer.track(
            FakeQmpPeer.negotiated(
                dir,
                c -> {
                  seen.complete(c.read()); // and never answer
                  c.stall();
                }));
    QmpClient client = closer.track(QmpClient.newBuilder().address(p.address()).connect());
    QmpTimeoutException e =
        assertThrows(
            QmpTimeoutException.class,
            () ->
                client.execute(QmpCommand.of("query-status").withTimeout(Duration.ofMillis(200))));
    JsonNode request = seen.get(10, TimeUnit.SECONDS);
    assertEquals("query-status", e.command());
    assertTrue(e.id().isIntegralNumber(), e.id().toString());
    assertEquals(request.get("id").asLong(), e.id().asLong());
    assertEquals(Duration.ofMillis(200), e.timeout());
    assertTrue(e.getMessage().contains("request id " + e.id().asLong()), e.getMessage());
  }

  @Test
  void anAwaitedEventThatNeverComesNamesTheCommandAndNoId() {
    FakeQmpPeer p = closer.track(FakeQmpPeer.unix(dir, FakeQmpPeer::echoLoop));
    QmpClient client = closer.track(QmpClient.newBuilder().address(p.address()).connect());
    QmpTimeoutException e =
        assertThrows(
            QmpTimeoutException.class,
            () ->
                client.executeAndAwaitEvent(
                    QmpCommand.of("stop"), EventFilter.names("STOP"), Duration.ofMillis(200)));
    assertEquals("stop", e.command());
    assertNull(e.id());
  }

  // ------------------------------------------------------------------ item 2: commandSent

  @Test
  void commandsLostWithTheConnectionSayWhetherTheyWereWritten() throws Exception {
    CompletableFuture<List<Long>> read = new CompletableFuture<>();
    FakeQmpPeer p =
        closer.track(
            FakeQmpPeer.unix(
                dir,
                c -> {
                  c.greet(); // offers oob: the client keeps at most eight in-band on the wire
                  c.negotiate();
                  List<Long> ids = new ArrayList<>();
                  for (int i = 0; i < 8; i++) {
                    ids.add(c.read().get("id").asLong());
                  }
                  read.complete(ids);
                  c.close(); // without answering any
                }));
    QmpClient client = closer.track(QmpClient.newBuilder().address(p.address()).connect());
    assertTrue(client.oobEnabled());
    List<CompletableFuture<JsonNode>> futures = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      futures.add(client.executeAsync("query-status"));
    }
    assertEquals(8, read.get(10, TimeUnit.SECONDS).size());
    for (int i = 0; i < futures.size(); i++) {
      Throwable t = FakeQmpPeer.failure(futures.get(i));
      QmpConnectionLostException lost = assertInstanceOf(QmpConnectionLostException.class, t);
      assertInstanceOf(QmpConnectionException.class, lost); // the family a connect() throws too
      // the first eight were written; the other three were held back by the in-band window
      assertEquals(i < 8, lost.commandSent(), "command " + i + ": " + lost.getMessage());
    }
    // submitted after the loss: never sent
    QmpConnectionLostException after =
        assertInstanceOf(
            QmpConnectionLostException.class,
            FakeQmpPeer.failure(client.executeAsync("query-status")));
    assertFalse(after.commandSent());
  }

  @Test
  void commandsFailedByClosingTheClientSayWhetherTheyWereWritten() throws Exception {
    CompletableFuture<JsonNode> read = new CompletableFuture<>();
    FakeQmpPeer p =
        closer.track(
            FakeQmpPeer.negotiated(
                dir,
                c -> {
                  read.complete(c.read());
                  c.stall();
                }));
    QmpClient client = QmpClient.newBuilder().address(p.address()).connect();
    CompletableFuture<JsonNode> written = client.executeAsync("stop");
    read.get(10, TimeUnit.SECONDS);
    client.close();
    QmpConnectionLostException e =
        assertInstanceOf(QmpConnectionLostException.class, FakeQmpPeer.failure(written));
    assertTrue(e.commandSent());
    assertTrue(e.getMessage().contains("was closed"), e.getMessage());
  }

  @Test
  void aRetriedQueryFailedWhenTheClientGivesUpSaysItWasWritten() throws Exception {
    CompletableFuture<JsonNode> read = new CompletableFuture<>();
    FakeQmpPeer p =
        FakeQmpPeer.negotiated(
            dir,
            c -> {
              read.complete(c.read());
              c.stall();
            });
    QmpClient client =
        closer.track(
            QmpClient.newBuilder()
                .address(p.address())
                .reconnect(
                    ReconnectPolicy.backoff(Duration.ofMillis(10), Duration.ofMillis(20))
                        .maxAttempts(2)
                        .retryQueries(true))
                .connect());
    CompletableFuture<JsonNode> query = client.executeAsync("query-status");
    assertEquals("query-status", read.get(10, TimeUnit.SECONDS).get("execute").asText());
    p.close(); // the peer goes away for good: the query is parked, then the client gives up
    QmpConnectionLostException e =
        assertInstanceOf(QmpConnectionLostException.class, FakeQmpPeer.failure(query));
    assertTrue(e.getMessage().contains("gave up reconnecting"), e.getMessage());
    assertTrue(e.commandSent(), "it was written to the first connection");
  }

  // ------------------------------------------------------------------ item 3: markers

  @Test
  void theGapMarkerReachesAFilteredSubscriptionWithExactlyTheDocumentedMembers() throws Exception {
    AtomicInteger connection = new AtomicInteger();
    FakeQmpPeer p =
        closer.track(
            FakeQmpPeer.unix(
                dir,
                c -> {
                  if (connection.incrementAndGet() == 1) {
                    c.greet();
                    c.negotiate();
                    c.close(); // the first connection dies at once
                    return;
                  }
                  FakeQmpPeer.echoLoop(c);
                }));
    LinkedBlockingQueue<QmpEvent> got = new LinkedBlockingQueue<>();
    AtomicInteger predicateCalls = new AtomicInteger();
    QmpClient client =
        closer.track(
            QmpClient.newBuilder()
                .address(p.address())
                .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(20), Duration.ofMillis(100)))
                .build());
    client
        .events()
        .names("DEVICE_DELETED")
        .where(
            e -> {
              predicateCalls.incrementAndGet();
              return e.data().get("device").asText().equals("nic1"); // would NPE on a marker
            })
        .subscribe(got::add);
    client.connect();
    QmpEvent gap = got.poll(10, TimeUnit.SECONDS);
    assertEquals(EventSubscription.GAP_EVENT, gap.name());
    assertTrue(EventSubscription.isMarker(gap));
    assertEquals(0, predicateCalls.get(), "markers bypass the filter's predicate");
    Set<String> members = new TreeSet<>();
    gap.data().fieldNames().forEachRemaining(members::add);
    // without resync commands and with nothing dropped while away
    assertEquals(
        new TreeSet<>(
            List.of("reason", "down-ms", "attempts", "version", "capabilities", "peer-changed")),
        members);
    assertTrue(gap.data().get("reason").isTextual());
    assertTrue(gap.data().get("down-ms").isIntegralNumber());
    assertTrue(gap.data().get("attempts").asInt() >= 1);
    assertEquals(7, gap.data().get("version").path("qemu").path("major").asInt());
    assertEquals("oob", gap.data().get("capabilities").get(0).asText());
    assertFalse(gap.data().get("peer-changed").asBoolean()); // the same greeting again
  }

  // ------------------------------------------------------------------ item 4: end of a stream

  @Test
  void anEmptyPollIsATimeoutUntilTheStreamHasEndedAndIsDrained() throws Exception {
    FakeQmpPeer p =
        closer.track(
            FakeQmpPeer.negotiated(
                dir,
                c -> {
                  while (true) {
                    JsonNode req = c.read();
                    c.event("RTC_CHANGE", "{\"offset\": 1}");
                    c.reply(req, "{}");
                  }
                }));
    QmpClient client = QmpClient.newBuilder().address(p.address()).connect();
    EventStream events = closer.track(client.events().names("RTC_CHANGE").stream());
    assertTrue(events.poll(Duration.ofMillis(50)).isEmpty());
    assertFalse(events.isEnded(), "a timeout, not the end");
    client.execute("emit"); // the event comes before the reply: queued when this returns
    assertEquals(1, events.queued());
    client.close();
    assertTrue(events.isClosed(), "closed as soon as the client is");
    assertFalse(events.isEnded(), "but an event remains to be taken");
    assertEquals("RTC_CHANGE", events.poll(Duration.ZERO).orElseThrow().name());
    assertTrue(events.isEnded());
    long t0 = System.nanoTime();
    assertTrue(events.poll(Duration.ofSeconds(30)).isEmpty());
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "empty at once at the end");
    Iterator<QmpEvent> it = events.iterator();
    assertFalse(it.hasNext());
    assertThrows(NoSuchElementException.class, it::next);
  }

  @Test
  void aStreamThatEndedWithTheConnectionThrowsFromPollAndIterator() throws Exception {
    CompletableFuture<Void> hangUp = new CompletableFuture<>();
    FakeQmpPeer p =
        closer.track(
            FakeQmpPeer.negotiated(
                dir,
                c -> {
                  hangUp.get(10, TimeUnit.SECONDS);
                  c.close();
                }));
    QmpClient client = closer.track(QmpClient.newBuilder().address(p.address()).connect());
    EventStream events = closer.track(client.events().stream());
    hangUp.complete(null);
    assertThrows(QmpConnectionLostException.class, () -> events.poll(Duration.ofSeconds(10)));
    assertTrue(events.isEnded());
    assertThrows(QmpConnectionLostException.class, () -> events.poll(Duration.ZERO));
    assertThrows(QmpConnectionLostException.class, () -> events.iterator().hasNext());
  }

  // ------------------------------------------------------------------ item 5: QmpCommand

  @Test
  void aCommandsArgumentsCannotBeChangedThroughWhatItHandsOut() throws Exception {
    ObjectNode given = QmpJson.objectNode().put("id", "nic1");
    QmpCommand cmd = QmpCommand.of("device_del", given);
    given.put("id", "changed-after");
    cmd.arguments().put("id", "changed-through-the-getter");
    assertEquals("nic1", cmd.arguments().get("id").asText());
    assertFalse(cmd.arguments() == cmd.arguments(), "a copy each time");
    assertNull(QmpCommand.of("stop").arguments());
    // and what goes on the wire is the command's own arguments
    FakeQmpPeer p = closer.track(FakeQmpPeer.unix(dir, FakeQmpPeer::echoLoop));
    QmpClient client = closer.track(QmpClient.newBuilder().address(p.address()).connect());
    assertEquals("nic1", client.execute(cmd).get("id").asText());
  }

  // ------------------------------------------------------------------ item 6: overloads

  record Pair(String name, int size) {}

  @Test
  void genericTypesBindThroughTheStringOverloads() throws Exception {
    FakeQmpPeer p = closer.track(FakeQmpPeer.unix(dir, FakeQmpPeer::echoLoop));
    QmpClient client = closer.track(QmpClient.newBuilder().address(p.address()).connect());
    Map<String, List<Pair>> args = Map.of("pairs", List.of(new Pair("a", 1), new Pair("b", 2)));
    TypeReference<Map<String, List<Pair>>> type = new TypeReference<>() {};
    assertEquals(args, client.execute("echo", args, type));
    assertEquals(args, client.executeAsync("echo", args, type).get(10, TimeUnit.SECONDS));
  }

  @Test
  void getfdAndAddFdHaveAsyncForms() throws Exception {
    LinkedBlockingQueue<JsonNode> requests = new LinkedBlockingQueue<>();
    FakeQmpPeer p =
        closer.track(
            FakeQmpPeer.negotiated(
                dir,
                c -> {
                  while (true) {
                    JsonNode req = c.read();
                    requests.add(req);
                    c.reply(
                        req,
                        req.get("execute").asText().equals("add-fd")
                            ? "{\"fdset-id\": 3, \"fd\": 42}"
                            : "{}");
                  }
                }));
    QmpClient client =
        closer.track(QmpClient.newBuilder().address(p.address()).descriptorPassing(true).connect());
    try (FileOutputStream out = new FileOutputStream(dir.resolve("f").toFile())) {
      assertNull(client.getfdAsync("fd0", out.getFD()).get(10, TimeUnit.SECONDS));
      assertEquals("{\"fdname\":\"fd0\"}", requests.take().get("arguments").toString());
      assertEquals(
          new QmpClient.AddFdInfo(3, 42),
          client.addFdAsync(out.getFD(), 3, "disk0").get(10, TimeUnit.SECONDS));
      assertEquals(
          "{\"fdset-id\":3,\"opaque\":\"disk0\"}", requests.take().get("arguments").toString());
      assertEquals(new QmpClient.AddFdInfo(3, 42), client.addFd(out.getFD()));
      assertEquals("{}", requests.take().path("arguments").toString());
    }
  }

  @Test
  void withDataMatchesNumbersBooleansNullAndObjectsAsJson() {
    QmpEvent rtc = event("RTC_CHANGE", "{\"offset\": 0, \"qom-path\": \"/machine/rtc\"}");
    assertTrue(EventFilter.names("RTC_CHANGE").withData("offset", 0).test(rtc));
    assertTrue(EventFilter.names("RTC_CHANGE").withData("offset", 0L).test(rtc));
    assertTrue(EventFilter.names("RTC_CHANGE").withData("offset", 0.0).test(rtc));
    assertFalse(EventFilter.names("RTC_CHANGE").withData("offset", 1).test(rtc));
    assertFalse(EventFilter.names("RTC_CHANGE").withData("offset", "0").test(rtc));
    assertFalse(EventFilter.names("RTC_CHANGE").withData("missing", 0).test(rtc));
    assertTrue(EventFilter.all().withData("qom-path", (Object) "/machine/rtc").test(rtc));

    QmpEvent tray = event("DEVICE_TRAY_MOVED", "{\"id\": \"cd0\", \"tray-open\": true}");
    assertTrue(EventFilter.all().withData("tray-open", true).test(tray));
    assertFalse(EventFilter.all().withData("tray-open", false).test(tray));
    assertFalse(EventFilter.all().withData("tray-open", "true").test(tray));

    QmpEvent job = event("JOB", "{\"info\": {\"n\": 5, \"ok\": true}, \"err\": null}");
    assertTrue(EventFilter.all().withData("info", Map.of("n", 5L, "ok", true)).test(job));
    assertFalse(EventFilter.all().withData("info", Map.of("n", 6)).test(job));
    assertTrue(EventFilter.all().withData("err", NullNode.getInstance()).test(job));
    assertFalse(EventFilter.all().withData("err", NullNode.getInstance()).test(tray));
    assertThrows(NullPointerException.class, () -> EventFilter.all().withData("x", (Object) null));
  }

  private static QmpEvent event(String name, String data) {
    return QmpEvent.of(name, (ObjectNode) QmpJson.parse(data), Instant.now());
  }

  // ------------------------------------------------------------------ item 7: GuestExecResult

  @Test
  void guestExecResultsAreValuesWithAReadableToString() {
    byte[] out = "out\n".getBytes(StandardCharsets.UTF_8);
    GuestExecResult a = new GuestExecResult(3, -1, out, new byte[0], false, false);
    GuestExecResult b = new GuestExecResult(3, -1, out.clone(), new byte[0], false, false);
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a, new GuestExecResult(3, -1, "out!".getBytes(), new byte[0], false, false));
    assertNotEquals(a, new GuestExecResult(3, -1, out, new byte[0], true, false));
    assertEquals(
        "GuestExecResult[exitCode=3, signal=-1, stdout=4 bytes \"out\\n\", stderr=0 bytes]",
        a.toString());
    GuestExecResult big =
        new GuestExecResult(-1, 9, "x".repeat(1000).getBytes(), new byte[] {1}, true, false);
    assertEquals(
        "GuestExecResult[exitCode=-1, signal=9, stdout=1000 bytes (truncated by the agent) \""
            + "x".repeat(60)
            + "\"..., stderr=1 byte \"\\x01\"]",
        big.toString());
    assertThrows(
        NullPointerException.class,
        () -> new GuestExecResult(0, -1, null, new byte[0], false, false));
  }

  @Test
  void anExecTimeoutIsATimeoutThatNamesTheProcess() {
    GuestExecTimeoutException e =
        new GuestExecTimeoutException("/bin/sleep", 1234, Duration.ofSeconds(1), "m");
    assertInstanceOf(QmpTimeoutException.class, e);
    assertEquals(1234, e.pid());
    assertEquals("/bin/sleep", e.path());
    assertEquals("guest-exec", e.command());
    assertNull(e.id());
  }
}
