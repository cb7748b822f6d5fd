package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpConnectionException;
import org.qmp4j.transport.QmpAddress;
import org.qmp4j.transport.QmpListener;
import org.qmp4j.transport.Transports;

/** The ways to get connected: unix, TCP, an adopted channel, accept mode. */
class ConnectModesTest {

  @TempDir Path dir;

  @Test
  void tcp() {
    try (FakeQmpPeer peer = FakeQmpPeer.tcp(FakeQmpPeer::echoLoop);
        QmpClient c = QmpClient.connect(peer.address().toString())) {
      assertTrue(peer.address().toString().startsWith("tcp:127.0.0.1:"));
      assertEquals(3, c.execute("echo", Map.of("value", 3)).get("value").asInt());
    }
  }

  @Test
  void anAdoptedChannelWorksButCannotReconnect() throws Exception {
    TestServer server = TestServer.start(dir);
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    ch.connect(UnixDomainSocketAddress.of(server.socket));
    try (QmpClient c =
        QmpClient.newBuilder()
            .connection(Transports.adopt(ch))
            .reconnect(ReconnectPolicy.backoff())
            .connect()) {
      assertEquals(4, c.execute("echo", Map.of("value", 4)).get("value").asInt());
      server.close();
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (c.state() != ConnectionState.CLOSED && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(ConnectionState.CLOSED, c.state());
    }
  }

  @Test
  void acceptModeWaitsForThePeerToConnect() throws Exception {
    Path sock = dir.resolve("accept.sock");
    try (QmpListener listener = Transports.listen(QmpAddress.unix(sock))) {
      Thread peer =
          new Thread(
              () -> {
                try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
                  FakeQmpPeer.echoLoop(new FakeQmpPeer.Conn(ch, 1));
                } catch (Exception e) {
                  // the client closed
                }
              });
      peer.start();
      try (QmpClient c = QmpClient.newBuilder().accept(listener).connect()) {
        assertEquals(5, c.execute("echo", Map.of("value", 5)).get("value").asInt());
      }
      peer.join(5000);
    }
  }

  @Test
  void acceptModeTimesOutWhenNobodyComes() {
    try (QmpListener listener = Transports.listen(QmpAddress.unix(dir.resolve("lonely.sock")))) {
      QmpConnectionException e =
          assertThrows(
              QmpConnectionException.class,
              () ->
                  QmpClient.newBuilder()
                      .accept(listener)
                      .connectTimeout(Duration.ofMillis(200))
                      .connect());
      assertTrue(e.timedOut(), e.toString());
    }
  }

  @Test
  void aMissingSocketFailsAtOnceWithAHint() {
    QmpConnectionException e =
        assertThrows(
            QmpConnectionException.class,
            () -> QmpClient.connect("unix:" + dir.resolve("absent.sock")));
    assertTrue(e.getMessage().contains("absent.sock"), e.getMessage());
  }

  @Test
  void buildersRefuseNonsense() {
    assertThrows(IllegalStateException.class, () -> QmpClient.newBuilder().build());
    assertThrows(
        IllegalArgumentException.class, () -> QmpClient.newBuilder().commandTimeout(Duration.ZERO));
    QmpClient c = QmpClient.newBuilder().address("unix:/nonexistent/x.sock").build();
    assertEquals(ConnectionState.NEW, c.state());
    assertThrows(IllegalStateException.class, () -> c.execute("query-status"));
    c.close();
  }
}
