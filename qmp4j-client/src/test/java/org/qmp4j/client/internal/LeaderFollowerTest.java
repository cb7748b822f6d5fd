package org.qmp4j.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.client.EventFilter;
import org.qmp4j.client.EventStream;
import org.qmp4j.client.QmpClient;
import org.qmp4j.client.QmpCommand;
import org.qmp4j.client.QmpInterruptedException;
import org.qmp4j.client.TestServer;
import org.qmp4j.protocol.QmpEvent;

/**
 * Leader/follower reading: a blocking caller reads its own reply, and what it reads for others
 * (events, replies to futures with stages) is handled on the reader thread, in wire order. Which
 * thread read a message is seen through the wire log, which is written by the reading thread.
 */
class LeaderFollowerTest {

  @TempDir Path dir;
  TestServer server;
  RecordingLogger log;

  @BeforeEach
  void start() {
    server = TestServer.start(dir);
    log = new RecordingLogger(true).install();
  }

  @AfterEach
  void stop() throws Exception {
    RecordingLogger.uninstall();
    server.close();
  }

  private QmpClient client() {
    return QmpClient.newBuilder().address(server.address()).name("lf").wireLogging(true).connect();
  }

  private static QmpCommand echo(int v) {
    return QmpCommand.of("echo", Map.of("value", v));
  }

  private static boolean isReader(String thread) {
    return thread.startsWith("qmp4j-client-lf-reader-");
  }

  /** Threads that logged an incoming line containing {@code part}. */
  private Set<String> readers(String part) {
    Set<String> threads = ConcurrentHashMap.newKeySet();
    for (RecordingLogger.Line l : log.matching(part)) {
      if (l.text().contains(" <-- ")) {
        threads.add(l.thread());
      }
    }
    return threads;
  }

  /**
   * Waits until {@code caller} holds the lead: it is inside {@code Connection.leadFor}, reading the
   * socket for its own reply (seen in its stack, polled with a deadline).
   */
  private static void awaitLeading(Thread caller) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      for (StackTraceElement f : caller.getStackTrace()) {
        if (f.getClassName().equals(Connection.class.getName())
            && f.getMethodName().equals("leadFor")) {
          return;
        }
      }
      Thread.sleep(1);
    }
    throw new AssertionError(
        caller.getName()
            + " never took the lead: "
            + java.util.Arrays.toString(caller.getStackTrace()));
  }

  @Test
  void aBlockingCallerReadsItsOwnReplies() {
    String me = Thread.currentThread().getName();
    try (QmpClient c = client()) {
      for (int i = 0; i < 300; i++) {
        assertEquals(i, c.execute(echo(i)).get("value").asInt());
      }
    }
    long byCaller =
        log.lines.stream()
            .filter(l -> l.text().contains("<-- {\"return\":{\"value\":") && l.thread().equals(me))
            .count();
    // Most, on a quiet machine all but the first; at least some under any load.
    assertTrue(byCaller > 0, "no reply read by the caller: " + log.lines.size() + " lines");
  }

  @Test
  void withLeaderFollowerOffTheReaderThreadReadsEverything() {
    System.setProperty(Connection.LEADER_FOLLOWER_PROPERTY, "false");
    try (QmpClient c = client()) {
      for (int i = 0; i < 100; i++) {
        assertEquals(i, c.execute(echo(i)).get("value").asInt());
      }
    } finally {
      System.clearProperty(Connection.LEADER_FOLLOWER_PROPERTY);
    }
    Set<String> threads = readers("<-- {\"return\":{\"value\":");
    assertEquals(1, threads.size(), threads.toString());
    assertTrue(isReader(threads.iterator().next()), threads.toString());
  }

  @Test
  void whatALeadingCallerReadsForOthersIsHandledOnTheReaderThread() throws Exception {
    List<String> filterThreads = new CopyOnWriteArrayList<>();
    List<String> stageThreads = new CopyOnWriteArrayList<>();
    try (QmpClient c = client();
        EventStream ticks =
            c
                .events()
                .filter(
                    EventFilter.names("TOCK")
                        .and(
                            e -> {
                              filterThreads.add(Thread.currentThread().getName());
                              return true;
                            }))
                .stream()) {
      c.execute(echo(0));
      AtomicReference<String> leaderName = new AtomicReference<>();
      CountDownLatch leading = new CountDownLatch(1);
      Thread leader =
          new Thread(
              () -> {
                leaderName.set(Thread.currentThread().getName());
                leading.countDown();
                c.execute(QmpCommand.of("sleep", Map.of("ms", 600)));
              },
              "leading-caller");
      leader.start();
      leading.await();
      awaitLeading(leader);
      CompletableFuture<JsonNode> emitted =
          c.executeAsync(QmpCommand.of("emit", Map.of("count", 3, "name", "TOCK")));
      CompletableFuture<JsonNode> staged =
          c.executeAsync(echo(7))
              .whenCompleteAsync(
                  (v, err) -> stageThreads.add(Thread.currentThread().getName()), Runnable::run);
      assertEquals(7, staged.get(5, TimeUnit.SECONDS).get("value").asInt());
      emitted.get(5, TimeUnit.SECONDS);
      for (int i = 0; i < 3; i++) {
        assertEquals("TOCK", ticks.poll(Duration.ofSeconds(5)).orElseThrow().name());
      }
      leader.join(5000);
      // the scenario happened: the leading caller read the events and the echo reply
      assertEquals(Set.of("leading-caller"), readers("\"event\":\"TOCK\""), log.lines.toString());
      assertEquals(Set.of("leading-caller"), readers("{\"return\":{\"value\":7}"));
    }
    // ... but the filter and the direct stage ran on the reader thread, not the caller's
    assertEquals(3, filterThreads.size(), filterThreads.toString());
    assertTrue(
        filterThreads.stream().allMatch(LeaderFollowerTest::isReader), filterThreads.toString());
    assertEquals(1, stageThreads.size());
    assertTrue(isReader(stageThreads.get(0)), stageThreads.toString());
  }

  @Test
  void anEventSentBeforeTheReplyIsQueuedWhenTheBlockingCallReturns() {
    try (QmpClient c = client();
        EventStream stops = c.events().names("STOP").stream()) {
      for (int i = 0; i < 200; i++) {
        c.execute("stop");
        QmpEvent e = stops.poll(Duration.ZERO).orElse(null);
        assertTrue(e != null && e.name().equals("STOP"), "round " + i + ": " + e);
      }
    }
  }

  @Test
  void eventsKeepComingWhenNoOneWaits() {
    try (QmpClient c = client();
        EventStream ticks = c.events().names("TICK").stream()) {
      c.execute(echo(1)); // the caller leads, then lets go
      c.executeAsync(QmpCommand.of("emit", Map.of("count", 5))); // nobody waits for this one
      for (int i = 0; i < 5; i++) {
        QmpEvent e = ticks.poll(Duration.ofSeconds(5)).orElseThrow();
        assertEquals(i, e.data().get("n").asInt());
      }
    }
  }

  @Test
  void interruptingALeadingCallerCancelsOnlyItsCommand() throws Exception {
    try (QmpClient c = client()) {
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      AtomicReference<Boolean> flag = new AtomicReference<>();
      Thread t =
          new Thread(
              () -> {
                try {
                  c.execute(QmpCommand.of("sleep", Map.of("ms", 1500)));
                } catch (Throwable e) {
                  thrown.set(e);
                  flag.set(Thread.currentThread().isInterrupted());
                }
              });
      t.start();
      awaitLeading(t);
      t.interrupt();
      t.join(5000);
      assertTrue(thrown.get() instanceof QmpInterruptedException, String.valueOf(thrown.get()));
      assertTrue(flag.get());
      // the connection goes on, for blocking and for async callers
      assertEquals(5, c.execute(echo(5)).get("value").asInt());
      CountDownLatch done = new CountDownLatch(1);
      c.executeAsync(echo(6)).thenRun(done::countDown);
      assertTrue(done.await(5, TimeUnit.SECONDS));
      Thread.sleep(1500); // the interrupted command's late reply comes, and is dropped
      assertEquals(8, c.execute(echo(8)).get("value").asInt());
    }
  }

  @Test
  void cancellingTheFutureOfAReadingCallerEndsItsWaitAtOnce() throws Exception {
    try (QmpClient c = client()) {
      CompletableFuture<JsonNode> f = c.executeAsync(QmpCommand.of("sleep", Map.of("ms", 3000)));
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      AtomicReference<Long> endedAt = new AtomicReference<>();
      Thread t =
          new Thread(
              () -> {
                try {
                  f.join(); // reads for the connection: nothing else is waiting
                } catch (Throwable e) {
                  thrown.set(e);
                }
                endedAt.set(System.nanoTime());
              });
      t.start();
      awaitLeading(t);
      long cancelledAt = System.nanoTime();
      assertTrue(f.cancel(false));
      t.join(5000);
      assertTrue(
          thrown.get() instanceof java.util.concurrent.CancellationException,
          String.valueOf(thrown.get()));
      long ms = (endedAt.get() - cancelledAt) / 1_000_000;
      assertTrue(ms < 1000, "the waiter ended " + ms + " ms after the cancel");
      assertEquals(4, c.execute(echo(4)).get("value").asInt());
    }
  }

  @Test
  void aTimedGetWhileLeadingTimesOutAndTheFutureStillCompletes() throws Exception {
    try (QmpClient c = client()) {
      CompletableFuture<JsonNode> f = c.executeAsync(QmpCommand.of("sleep", Map.of("ms", 500)));
      long t0 = System.nanoTime();
      assertThrows(TimeoutException.class, () -> f.get(100, TimeUnit.MILLISECONDS));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(ms >= 90 && ms < 450, ms + " ms");
      assertFalse(f.isDone());
      f.get(5, TimeUnit.SECONDS);
      assertTrue(f.isDone() && !f.isCompletedExceptionally());
    }
  }

  @Test
  void concurrentBlockingCallersFollowAndLeadInTurn() throws Exception {
    try (QmpClient c = client()) {
      List<Thread> threads = new CopyOnWriteArrayList<>();
      List<Throwable> errors = new CopyOnWriteArrayList<>();
      for (int t = 0; t < 6; t++) {
        int base = t * 10_000;
        Thread th =
            new Thread(
                () -> {
                  try {
                    for (int i = 0; i < 400; i++) {
                      int v = base + i;
                      if (i % 50 == 0) {
                        c.execute(QmpCommand.of("sleep", Map.of("ms", 5)));
                      }
                      assertEquals(v, c.execute(echo(v)).get("value").asInt());
                    }
                  } catch (Throwable e) {
                    errors.add(e);
                  }
                });
        threads.add(th);
        th.start();
      }
      for (Thread th : threads) {
        th.join(60_000);
      }
      assertEquals(List.of(), errors);
    }
    assertFalse(
        log.lines.stream()
            .filter(l -> l.text().contains(" <-- "))
            .allMatch(l -> isReader(l.thread())),
        "no caller ever led");
  }
}
