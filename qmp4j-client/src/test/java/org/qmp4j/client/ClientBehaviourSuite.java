package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.protocol.QmpEvent;

/**
 * One behaviour suite, run against the async API and the blocking API alike (see the two
 * subclasses): the same commands, the same results, the same exception types.
 */
abstract class ClientBehaviourSuite {

  /** Executes {@code command} through the flavour under test. */
  abstract JsonNode run(QmpClient client, QmpCommand command);

  /** Executes {@code command} and binds its result through the flavour under test. */
  abstract <T> T run(QmpClient client, QmpCommand command, Class<T> type);

  /** Executes {@code command} and binds its result to a generic type through the flavour. */
  abstract <T> T run(QmpClient client, QmpCommand command, TypeReference<T> type);

  /** Sends a raw request through the flavour under test. */
  abstract ObjectNode raw(QmpClient client, String request);

  /** Executes and awaits an event through the flavour under test. */
  abstract QmpEvent runAndAwait(
      QmpClient client, QmpCommand command, EventFilter filter, Duration timeout);

  record EchoResult(int value) {}

  record CommandInfo(String name) {}

  @TempDir Path dir;
  TestServer server;
  QmpClient client;
  final List<JsonNode> unmatched = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    server = TestServer.start(dir);
    client =
        QmpClient.newBuilder()
            .address(server.address())
            .unmatchedReplyHandler(unmatched::add)
            .connect();
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    server.close();
  }

  static QmpCommand echo(int v) {
    return QmpCommand.of("echo", Map.of("value", v));
  }

  @Test
  void returnsTheResultAndBindsItToARecord() {
    assertEquals(7, run(client, echo(7)).get("value").asInt());
    assertEquals(new EchoResult(8), run(client, echo(8), EchoResult.class));
  }

  @Test
  void bindsToAGenericTypeThroughATypeReference() {
    Map<String, Integer> map = run(client, echo(9), new TypeReference<Map<String, Integer>>() {});
    assertEquals(Map.of("value", 9), map);
    // a list whose elements are bound too (not left as maps), unknown members ignored
    List<CommandInfo> commands =
        run(client, QmpCommand.of("query-commands"), new TypeReference<List<CommandInfo>>() {});
    assertTrue(commands.contains(new CommandInfo("echo")), commands.toString());
    assertTrue(commands.contains(new CommandInfo("query-commands")), commands.toString());
    assertInstanceOf(CommandInfo.class, commands.get(0));
    // an error reply is the typed error, not a binding failure
    assertThrows(
        QmpErrorException.DeviceNotFoundException.class,
        () -> run(client, QmpCommand.of("fail"), new TypeReference<List<CommandInfo>>() {}));
  }

  @Test
  void negotiatesOobAndReportsTheGreeting() {
    assertTrue(client.oobEnabled());
    assertEquals(7, client.greeting().orElseThrow().version().major());
    assertEquals(ConnectionState.CONNECTED, client.state());
  }

  @Test
  void errorRepliesAreTypedExceptionsWithClassDescIdAndCommand() {
    QmpErrorException.DeviceNotFoundException e =
        assertThrows(
            QmpErrorException.DeviceNotFoundException.class,
            () -> run(client, QmpCommand.of("fail")));
    assertEquals("DeviceNotFound", e.errorClass());
    assertEquals("Device 'nope' not found", e.desc());
    assertEquals("fail", e.command());
    assertTrue(e.id().isIntegralNumber() && e.id().longValue() > 0, e.id().toString());
    assertThrows(
        QmpErrorException.CommandNotFoundException.class,
        () -> run(client, QmpCommand.of("no-such-command")));
  }

  @Test
  void aTimedOutReplyIsDiscardedNeverDeliveredToAnotherCaller() throws Exception {
    QmpCommand slow = QmpCommand.of("sleep", Map.of("ms", 800)).withTimeout(Duration.ofMillis(100));
    long t0 = System.nanoTime();
    QmpTimeoutException e = assertThrows(QmpTimeoutException.class, () -> run(client, slow));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    // The exception (not a reply) proves the timeout ended the wait before the 800 ms command
    // answered; no upper bound on a loaded machine beyond that.
    assertTrue(ms >= 90, "timed out after " + ms + " ms");
    assertTrue(e.getMessage().contains("sleep"), e.getMessage());
    // The server runs in-band commands one at a time: the echoes are answered after the sleep, so
    // the late reply arrives while the first of them waits; each gets its own answer.
    for (int i = 0; i < 20; i++) {
      assertEquals(i, run(client, echo(i)).get("value").asInt());
    }
    long afterEchoes = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(afterEchoes >= 700, "the echoes were answered before the sleep, " + afterEchoes);
    assertEquals(99, run(client, echo(99)).get("value").asInt());
    Thread.sleep(200); // the unmatched-reply handler runs on the executor: give it time
    // discarded: not handed to the unmatched-reply handler either
    assertEquals(List.of(), unmatched);
  }

  @Test
  void rawJsonInAndOutKeepsTheCallersIdAndDoesNotThrowOnErrors() {
    ObjectNode ok =
        raw(client, "{\"execute\": \"echo\", \"arguments\": {\"value\": 5}, \"id\": [1]}");
    assertEquals("{\"return\":{\"value\":5},\"id\":[1]}", ok.toString());
    ObjectNode err = raw(client, "{\"execute\": \"fail\"}");
    assertEquals("DeviceNotFound", err.get("error").get("class").asText());
    assertTrue(!err.has("id"), err.toString());
  }

  @Test
  void executeAndAwaitEventCatchesTheEventTheCommandCauses() {
    QmpEvent deleted =
        runAndAwait(
            client,
            QmpCommand.of("device_del", Map.of("id", "nic1")),
            EventFilter.deviceDeleted("nic1"),
            Duration.ofSeconds(5));
    assertEquals("nic1", deleted.data().get("device").asText());
    QmpEvent stop =
        runAndAwait(
            client, QmpCommand.of("stop"), EventFilter.names("STOP"), Duration.ofSeconds(5));
    assertEquals("STOP", stop.name());
  }

  @Test
  void awaitingAnEventThatNeverComesTimesOut() {
    assertThrows(
        QmpTimeoutException.class,
        () ->
            runAndAwait(
                client,
                QmpCommand.of("device_del", Map.of("id", "nic1")),
                EventFilter.deviceDeleted("other"),
                Duration.ofMillis(200)));
    assertThrows(
        QmpErrorException.DeviceNotFoundException.class,
        () ->
            runAndAwait(
                client, QmpCommand.of("fail"), EventFilter.names("STOP"), Duration.ofSeconds(5)));
  }

  @Test
  void outOfBandOvertakesABusyInBandQueue() throws Exception {
    var slow = client.executeAsync(QmpCommand.of("sleep", Map.of("ms", 2000)));
    var inBand = client.executeAsync(echo(1)); // queued behind the sleep
    long t0 = System.nanoTime();
    run(client, QmpCommand.of("ping-oob").withOob(true));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    // Relative, not timed: the OOB reply came while the sleep and the in-band command sent before
    // the OOB one still waited.
    assertFalse(slow.isDone(), "OOB took " + ms + " ms, the sleep had ended");
    assertFalse(inBand.isDone(), "the in-band echo was answered before the sleep");
    slow.get();
    assertEquals(1, inBand.get().get("value").asInt());
  }

  @Test
  void manyCommandsInFlightEachGetTheirOwnReply() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int base = t * 1000;
        results.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 250; i++) {
                    if (run(client, echo(base + i)).get("value").asInt() != base + i) {
                      return false;
                    }
                  }
                  return true;
                }));
      }
      for (Future<Boolean> r : results) {
        assertTrue(r.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void pendingCommandsFailAtOnceWhenTheConnectionIsLost() throws Exception {
    var slow = client.executeAsync(QmpCommand.of("sleep", Map.of("ms", 10_000)));
    Thread.sleep(100);
    long t0 = System.nanoTime();
    server.close();
    QmpConnectionLostException e =
        assertThrows(QmpConnectionLostException.class, () -> run(client, echo(1)));
    assertNotNull(e.getMessage());
    Throwable cause =
        assertThrows(java.util.concurrent.ExecutionException.class, slow::get).getCause();
    assertTrue(cause instanceof QmpConnectionLostException, cause.toString());
    // at once: long before the 10 s command could have ended
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(ms < 5000, ms + " ms");
  }

  @Test
  void aClosedClientRefusesCommands() {
    client.close();
    assertEquals(ConnectionState.CLOSED, client.state());
    assertThrows(QmpConnectionLostException.class, () -> run(client, echo(1)));
  }
}
