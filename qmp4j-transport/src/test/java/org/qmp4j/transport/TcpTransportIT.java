package org.qmp4j.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.qmp4j.protocol.QmpConnectionException;

/** The contract over TCP on the loopback interface. */
class TcpTransportIT extends TransportContract {
  @Override
  protected QmpAddress freshAddress() {
    return QmpAddress.tcp("127.0.0.1", 0);
  }

  @Override
  protected QmpAddress deadAddress() throws IOException {
    // A port that was free a moment ago: bind it, learn it, let it go.
    try (ServerSocketChannel probe = ServerSocketChannel.open()) {
      probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return QmpAddress.tcp("127.0.0.1", ((InetSocketAddress) probe.getLocalAddress()).getPort());
    }
  }

  @Override
  protected TransportOptions options() {
    return TransportOptions.DEFAULTS;
  }

  @Override
  protected String name() {
    return "tcp";
  }

  @Test
  void portZeroGivesAnEphemeralPortThatLocalAddressTells() throws Exception {
    try (QmpListener listener = listen()) {
      QmpAddress.Tcp local = (QmpAddress.Tcp) listener.localAddress();
      assertNotEquals(0, local.port());
      assertEquals("127.0.0.1", local.host());
      assertEquals(
          local.port(), ((InetSocketAddress) listener.channel().getLocalAddress()).getPort());
    }
  }

  @Test
  void anEmptyHostListensOnLoopbackOnly() throws Exception {
    try (QmpListener listener = Transports.listen(QmpAddress.parse("tcp::0"))) {
      InetSocketAddress bound = (InetSocketAddress) listener.channel().getLocalAddress();
      assertTrue(bound.getAddress().isLoopbackAddress(), "bound to " + bound);
      try (Pair p = pair(listener)) {
        writeAll(p.client, "lo");
        assertEquals("lo", readExactly(p.server, 2));
      }
    }
  }

  @Test
  void nagleIsOffOnBothEnds() throws Exception {
    try (QmpListener listener = listen();
        Pair p = pair(listener)) {
      assertTrue(
          p.client.socketChannel().orElseThrow().getOption(StandardSocketOptions.TCP_NODELAY));
      assertTrue(
          p.server.socketChannel().orElseThrow().getOption(StandardSocketOptions.TCP_NODELAY));
    }
  }

  @Test
  void aHostNameWithSeveralAddressesIsTriedAddressByAddress() throws Exception {
    // "localhost" may resolve to ::1 before 127.0.0.1; the listener is on 127.0.0.1 only.
    try (QmpListener listener = listen()) {
      int port = ((QmpAddress.Tcp) listener.localAddress()).port();
      try (QmpConnection client =
              Transports.connect(QmpAddress.tcp("localhost", port), Duration.ofSeconds(5));
          QmpConnection server = listener.accept(TIMEOUT)) {
        writeAll(client, "via localhost");
        assertEquals("via localhost", readExactly(server, 13));
      }
    }
  }

  @Test
  void anUnknownHostIsNamed() {
    QmpConnectionException e =
        assertThrows(
            QmpConnectionException.class,
            () ->
                Transports.connect(
                    QmpAddress.tcp("no-such-host.invalid", 4444), Duration.ofSeconds(5)));
    assertEquals(
        "cannot connect to tcp:no-such-host.invalid:4444: unknown host no-such-host.invalid",
        e.getMessage());
  }

  @Test
  void portZeroCannotBeConnectedTo() {
    QmpConnectionException e =
        assertThrows(
            QmpConnectionException.class,
            () -> Transports.connect(QmpAddress.tcp("127.0.0.1", 0), Duration.ofSeconds(1)));
    assertEquals("cannot connect to tcp:127.0.0.1:0: port 0 is only for listening", e.getMessage());
  }

  @Test
  void aPortInUseIsReported() throws Exception {
    try (QmpListener first = listen()) {
      QmpConnectionException e =
          assertThrows(QmpConnectionException.class, () -> Transports.listen(first.localAddress()));
      assertTrue(
          e.getMessage().startsWith("cannot listen on " + first.localAddress() + ": "),
          e.getMessage());
    }
  }

  @Test
  void descriptorsCannotTravelOverTcp() throws Exception {
    try (QmpListener listener = listen();
        Pair p = pair(listener);
        FileInputStream f = new FileInputStream("/proc/self/stat")) {
      UnsupportedOperationException e =
          assertThrows(
              UnsupportedOperationException.class,
              () -> p.client.write(ByteBuffer.wrap(new byte[] {1}), f.getFD()));
      assertEquals(
          "cannot pass file descriptors over "
              + listener.localAddress()
              + ": descriptor passing needs a unix socket",
          e.getMessage());
      // Asking for descriptor passing changes nothing for TCP.
      try (QmpConnection c =
          Transports.connect(
              listener.localAddress(),
              TIMEOUT,
              TransportOptions.newBuilder().descriptorPassing(true).build())) {
        assertTrue(!c.canPassDescriptors());
        listener.accept(TIMEOUT).close();
      }
    }
  }
}
