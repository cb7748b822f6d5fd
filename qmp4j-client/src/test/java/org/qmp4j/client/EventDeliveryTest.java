package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.protocol.QmpJson;

/** Flow.Publisher demand, the blocking iterator, callbacks' threads, and event filters. */
class EventDeliveryTest {

  @TempDir Path dir;
  TestServer server;
  QmpClient client;

  @BeforeEach
  void start() {
    server = TestServer.start(dir);
    client = QmpClient.newBuilder().address(server.address()).connect();
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    server.close();
  }

  /** A Flow subscriber that records what it gets and asks for more only when told. */
  static final class Recorder implements Flow.Subscriber<QmpEvent> {
    final List<Integer> items = new CopyOnWriteArrayList<>();
    final List<String> threads = new CopyOnWriteArrayList<>();
    final CompletableFuture<Throwable> end = new CompletableFuture<>();
    volatile Flow.Subscription subscription;

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
    }

    @Override
    public void onNext(QmpEvent item) {
      items.add(item.data().get("n").asInt());
      threads.add(Thread.currentThread().getName());
    }

    @Override
    public void onError(Throwable t) {
      end.complete(t);
    }

    @Override
    public void onComplete() {
      end.complete(null);
    }
  }

  private static void waitFor(java.util.function.BooleanSupplier c) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!c.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  @Test
  void aFlowSubscriberGetsExactlyWhatItRequestsInOrderOffTheReaderThread() throws Exception {
    Recorder r = new Recorder();
    client.events().names("TICK").publisher().subscribe(r);
    client.execute("emit", Map.of("count", 10));
    Thread.sleep(200);
    assertTrue(r.items.isEmpty(), "delivered without demand: " + r.items);
    r.subscription.request(3);
    waitFor(() -> r.items.size() == 3);
    Thread.sleep(100);
    assertEquals(List.of(0, 1, 2), r.items);
    r.subscription.request(Long.MAX_VALUE);
    waitFor(() -> r.items.size() == 10);
    assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), r.items);
    assertFalse(r.threads.stream().anyMatch(t -> t.contains("reader")), r.threads.toString());
    client.close();
    assertEquals(null, r.end.get(10, TimeUnit.SECONDS)); // onComplete
  }

  @Test
  void failSubscriberSignalsOnErrorAfterTheQueuedEvents() throws Exception {
    Recorder r = new Recorder();
    client
        .events()
        .names("TICK")
        .capacity(4)
        .overflow(OverflowPolicy.FAIL_SUBSCRIBER)
        .publisher()
        .subscribe(r);
    client.execute("emit", Map.of("count", 10)); // no demand yet: the queue overflows
    r.subscription.request(100);
    Throwable t = r.end.get(10, TimeUnit.SECONDS);
    assertInstanceOf(EventOverflowException.class, t);
    assertEquals(List.of(0, 1, 2, 3), r.items);
  }

  @Test
  void theBlockingIteratorEndsWhenTheSubscriptionCloses() throws Exception {
    EventStream stream = client.events().names("TOCK").stream();
    client.execute("emit", Map.of("count", 3, "name", "TOCK"));
    client.execute("emit", Map.of("count", 2)); // TICKs: filtered out
    List<Integer> got = new ArrayList<>();
    Iterator<QmpEvent> it = stream.iterator();
    for (int i = 0; i < 3; i++) {
      got.add(it.next().data().get("n").asInt());
    }
    assertEquals(List.of(0, 1, 2), got);
    stream.close();
    assertFalse(it.hasNext());
    assertTrue(stream.isClosed());
  }

  @Test
  void callbacksRunOnTheClientsExecutorOneAtATime() throws Exception {
    List<String> threads = new CopyOnWriteArrayList<>();
    List<Integer> got = new CopyOnWriteArrayList<>();
    client.subscribe(
        e -> {
          threads.add(Thread.currentThread().getName());
          got.add(e.data().get("n").asInt());
        },
        "TICK");
    client.execute("emit", Map.of("count", 50));
    waitFor(() -> got.size() == 50);
    for (int i = 0; i < 50; i++) {
      assertEquals(i, got.get(i));
    }
    assertTrue(threads.stream().allMatch(t -> t.contains("-cb-")), threads.toString());
  }

  @Test
  void dependentStagesNeverRunOnTheReaderThread() throws Exception {
    String thread =
        client
            .executeAsync("echo", Map.of("value", 1))
            .thenApply(v -> Thread.currentThread().getName())
            .get(10, TimeUnit.SECONDS);
    assertFalse(thread.contains("reader"), thread);
  }

  private static QmpEvent event(String name, Map<String, Object> data) {
    return QmpEvent.of(name, (ObjectNode) QmpJson.toNode(data), Instant.now());
  }

  @Test
  void filtersForDevicesAndBlockJobs() {
    EventFilter dev = EventFilter.deviceDeleted("nic1");
    assertTrue(dev.test(event("DEVICE_DELETED", Map.of("device", "nic1", "path", "/m/p/nic1"))));
    assertFalse(dev.test(event("DEVICE_DELETED", Map.of("device", "nic2", "path", "/m/p/nic2"))));
    assertTrue(
        EventFilter.deviceDeleted("/m/p/x")
            .test(event("DEVICE_DELETED", Map.of("path", "/m/p/x"))));
    EventFilter job = EventFilter.blockJobEnded("job0");
    assertTrue(job.test(event("BLOCK_JOB_COMPLETED", Map.of("device", "job0", "type", "backup"))));
    assertTrue(job.test(event("BLOCK_JOB_CANCELLED", Map.of("device", "job0", "type", "backup"))));
    assertFalse(job.test(event("BLOCK_JOB_READY", Map.of("device", "job0", "type", "mirror"))));
    assertFalse(job.test(event("BLOCK_JOB_COMPLETED", Map.of("device", "job1", "type", "backup"))));
    assertTrue(EventFilter.all().test(event("ANYTHING", Map.of())));
    assertTrue(EventFilter.names().eventNames().isEmpty());
  }
}
