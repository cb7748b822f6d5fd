package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpConnectionException;
import org.qmp4j.server.MonitorOptions;
import org.qmp4j.server.QmpServer;
import org.qmp4j.transport.QmpAddress;

/** Observable connection state, waiting for the socket, HMP, per-command timeouts, the TLS hint. */
class ClientOptionsTest {

  @TempDir Path dir;
  @RegisterExtension final Closer closer = new Closer();

  private FakeQmpPeer peer(FakeQmpPeer.Script script) {
    FakeQmpPeer p = FakeQmpPeer.unix(dir, script);
    closer.track(p);
    return p;
  }

  private static void handshakeThenAnswerAll(FakeQmpPeer.Conn c) throws IOException {
    c.greet();
    c.negotiate();
    ReconnectResyncTest.answerAll(c);
  }

  // ------------------------------------------------------------------ state

  @Test
  void stateListenersSeeEveryTransitionInOrderOnTheExecutor() throws Exception {
    FakeQmpPeer p = peer(ClientOptionsTest::handshakeThenAnswerAll);
    List<ConnectionState> fromBuilder = new CopyOnWriteArrayList<>();
    List<String> threads = new CopyOnWriteArrayList<>();
    QmpClient c =
        closer.track(
            QmpClient.newBuilder()
                .address(p.address())
                .name("states")
                .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(20), Duration.ofMillis(100)))
                .onStateChange(
                    s -> {
                      fromBuilder.add(s);
                      threads.add(Thread.currentThread().getName());
                    })
                .build());
    List<ConnectionState> later = new CopyOnWriteArrayList<>();
    QmpClient.Registration reg = c.onStateChange(later::add);
    EventStream events = c.events().stream();
    c.connect();
    ReconnectResyncTest.waitFor(() -> p.connections().size() == 1);
    p.connections().get(0).close();
    assertEquals(
        EventSubscription.GAP_EVENT, events.poll(Duration.ofSeconds(10)).orElseThrow().name());
    ReconnectResyncTest.waitFor(() -> later.size() == 4);
    reg.close(); // removed: sees no more
    reg.close(); // idempotent
    c.close();
    ReconnectResyncTest.waitFor(() -> fromBuilder.contains(ConnectionState.CLOSED));
    assertEquals(
        List.of(
            ConnectionState.CONNECTING,
            ConnectionState.CONNECTED,
            ConnectionState.RECONNECTING,
            ConnectionState.CONNECTED,
            ConnectionState.CLOSED),
        fromBuilder);
    assertEquals(
        List.of(
            ConnectionState.CONNECTING,
            ConnectionState.CONNECTED,
            ConnectionState.RECONNECTING,
            ConnectionState.CONNECTED),
        later);
    for (String t : threads) {
      assertFalse(t.contains("reader") || t.contains("reconnect"), t); // never the reader's
    }
  }

  @Test
  void aFailedFirstConnectEndsInClosed() throws Exception {
    List<ConnectionState> states = new CopyOnWriteArrayList<>();
    QmpClient c =
        QmpClient.newBuilder()
            .address(QmpAddress.unix(dir.resolve("nothing.sock")))
            .onStateChange(states::add)
            .build();
    assertThrows(QmpConnectionException.class, c::connect);
    ReconnectResyncTest.waitFor(() -> states.size() == 2);
    assertEquals(List.of(ConnectionState.CONNECTING, ConnectionState.CLOSED), states);
  }

  // ------------------------------------------------------------------ waiting for the socket

  /** A qmp4j server listening on {@code sock} from now on. */
  private static AutoCloseable serve(Path sock) throws IOException {
    QmpServer server = TestServer.builder().build();
    ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    ch.bind(UnixDomainSocketAddress.of(sock));
    AutoCloseable listener = server.listen(ch, MonitorOptions.DEFAULT, sock);
    return () -> {
      listener.close();
      server.close();
    };
  }

  @Test
  void waitForSocketConnectsToAServerStartedAfterConnectWasCalled() throws Exception {
    Path sock = dir.resolve("late.sock");
    AtomicReference<AutoCloseable> server = new AtomicReference<>();
    ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
    try {
      later.schedule(
          () -> {
            server.set(serve(sock));
            return null;
          },
          300,
          TimeUnit.MILLISECONDS);
      long t0 = System.nanoTime();
      try (QmpClient c =
          QmpClient.newBuilder()
              .address(QmpAddress.unix(sock))
              .connectTimeout(Duration.ofSeconds(5))
              .waitForSocket(true)
              .connect()) {
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms >= 250, ms + " ms");
        assertEquals(4, c.execute("echo", java.util.Map.of("value", 4)).get("value").asInt());
      }
    } finally {
      later.shutdownNow();
      later.awaitTermination(5, TimeUnit.SECONDS);
      if (server.get() != null) {
        server.get().close();
      }
    }
  }

  @Test
  void waitForSocketTimesOutNamingTheAddressAndThatItWaited() {
    Path sock = dir.resolve("never.sock");
    long t0 = System.nanoTime();
    QmpConnectionException e =
        assertThrows(
            QmpConnectionException.class,
            () ->
                QmpClient.newBuilder()
                    .address(QmpAddress.unix(sock))
                    .connectTimeout(Duration.ofMillis(300))
                    .waitForSocket(true)
                    .connect());
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(e.timedOut());
    assertTrue(e.getMessage().contains("unix:" + sock), e.getMessage());
    assertTrue(e.getMessage().startsWith("waited 300 ms for"), e.getMessage());
    assertTrue(e.getMessage().contains("No such file or directory"), e.getMessage());
    assertTrue(ms >= 280 && ms < 3000, ms + " ms");
  }

  @Test
  void waitForSocketRetriesARefusedTcpPortToo() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      port = s.getLocalPort(); // closed again: connecting is refused
    }
    QmpConnectionException e =
        assertThrows(
            QmpConnectionException.class,
            () ->
                QmpClient.newBuilder()
                    .address(QmpAddress.tcp("127.0.0.1", port))
                    .connectTimeout(Duration.ofMillis(200))
                    .waitForSocket(true)
                    .connect());
    assertTrue(e.timedOut());
    assertTrue(
        e.getMessage().startsWith("waited 200 ms for tcp:127.0.0.1:" + port), e.getMessage());
  }

  @Test
  void waitForSocketFailsAtOnceForWhatWaitingCannotCure() throws Exception {
    Path notASocket = Files.createFile(dir.resolve("plain-file"));
    long t0 = System.nanoTime();
    QmpConnectionException e =
        assertThrows(
            QmpConnectionException.class,
            () ->
                QmpClient.newBuilder()
                    .address(QmpAddress.unix(notASocket))
                    .connectTimeout(Duration.ofSeconds(5))
                    .waitForSocket(true)
                    .connect());
    assertFalse(e.timedOut());
    assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 2000);
  }

  // ------------------------------------------------------------------ conveniences

  @Test
  void humanMonitorCommandReturnsTheOutputAndPassesTheCpuIndex() throws Exception {
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              while (true) {
                JsonNode req = c.read();
                c.reply(
                    req, "\"output of " + req.at("/arguments/command-line").asText() + "\\r\\n\"");
              }
            });
    QmpClient c = closer.track(QmpClient.newBuilder().address(p.address()).connect());
    assertEquals("output of info version\r\n", c.humanMonitorCommand("info version"));
    assertEquals("output of info registers\r\n", c.humanMonitorCommand("info registers", 1));
    List<JsonNode> got = p.connections().get(0).received;
    JsonNode second = got.get(got.size() - 1);
    assertEquals("human-monitor-command", second.get("execute").asText());
    assertEquals(1, second.at("/arguments/cpu-index").asInt());
    assertFalse(got.get(got.size() - 2).get("arguments").has("cpu-index"));
  }

  @Test
  void perCommandTimeoutsOverrideTheDefaultAndACommandsOwnWins() throws Exception {
    FakeQmpPeer p =
        peer(
            c -> {
              c.greet();
              c.negotiate();
              c.stall(); // answers nothing
            });
    QmpClient c =
        closer.track(
            QmpClient.newBuilder()
                .address(p.address())
                .commandTimeout(Duration.ofSeconds(30))
                .commandTimeout("device_del", Duration.ofMillis(200))
                .connect());
    long t0 = System.nanoTime();
    Throwable t = FakeQmpPeer.failure(c.executeAsync("device_del", java.util.Map.of("id", "x")));
    assertInstanceOf(QmpTimeoutException.class, t);
    assertEquals(Duration.ofMillis(200), ((QmpTimeoutException) t).timeout());
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 5000);
    Throwable own =
        FakeQmpPeer.failure(
            c.executeAsync(QmpCommand.of("device_del").withTimeout(Duration.ofMillis(100))));
    assertEquals(Duration.ofMillis(100), ((QmpTimeoutException) own).timeout());
    Throwable raw = FakeQmpPeer.failure(c.executeRawAsync("{\"execute\": \"device_del\"}"));
    assertEquals(Duration.ofMillis(200), ((QmpTimeoutException) raw).timeout());
    CompletableFuture<JsonNode> other = c.executeAsync("query-status");
    Thread.sleep(300);
    assertFalse(other.isDone()); // the general 30 s
  }

  @Test
  void aTcpPortThatNeverGreetsHintsAtTls() {
    FakeQmpPeer p = closer.track(FakeQmpPeer.tcp(FakeQmpPeer.Conn::stall));
    QmpConnectionException e =
        assertThrows(
            QmpConnectionException.class,
            () ->
                QmpClient.newBuilder()
                    .address(p.address())
                    .connectTimeout(Duration.ofMillis(300))
                    .connect());
    assertTrue(e.timedOut());
    assertTrue(e.getMessage().startsWith("no QMP greeting from tcp:127.0.0.1:"), e.getMessage());
    assertTrue(e.getMessage().contains("QmpClient.Builder.tls"), e.getMessage());
    // not on a unix socket, where QEMU refuses TLS anyway
    FakeQmpPeer u = peer(FakeQmpPeer.Conn::stall);
    QmpConnectionException eu =
        assertThrows(
            QmpConnectionException.class,
            () ->
                QmpClient.newBuilder()
                    .address(u.address())
                    .connectTimeout(Duration.ofMillis(300))
                    .connect());
    assertFalse(eu.getMessage().contains("TLS"), eu.getMessage());
  }
}
