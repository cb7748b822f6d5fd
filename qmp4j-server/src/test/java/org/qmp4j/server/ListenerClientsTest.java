package org.qmp4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link QmpServer.Listener#clients()}: which clients a listener has now. */
class ListenerClientsTest {
  @TempDir Path dir;

  private final QmpServer server = QmpServer.newBuilder().build();

  @AfterEach
  void stop() {
    server.close();
  }

  private static void await(Supplier<Integer> count, int expected) throws InterruptedException {
    long end = System.nanoTime() + 5_000_000_000L;
    while (count.get() != expected && System.nanoTime() < end) {
      Thread.sleep(5);
    }
    assertEquals(expected, count.get());
  }

  @Test
  void singleClientListenerHasAtMostTheAttachedClient() throws Exception {
    Path sock = dir.resolve("m.sock");
    ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    ch.bind(UnixDomainSocketAddress.of(sock), 1);
    QmpServer.Listener listener = server.listen(ch, MonitorOptions.QEMU, sock);
    assertEquals(List.of(), listener.clients());
    try (RawClient a = new RawClient(UnixDomainSocketAddress.of(sock))) {
      a.negotiate(false);
      try (RawClient b = new RawClient(UnixDomainSocketAddress.of(sock))) {
        assertEquals(1, listener.clients().size(), "the second client waits in the backlog");
        assertEquals(server.sessions(), listener.clients());
        a.close();
        assertTrue(b.line().startsWith("{\"QMP\": "));
        await(() -> listener.clients().size(), 1);
        assertEquals(server.sessions(), listener.clients());
      }
      await(() -> listener.clients().size(), 0);
    }
  }

  @Test
  void listenersCountTheirOwnClients() throws Exception {
    ServerSocketChannel one = ServerSocketChannel.open();
    one.bind(new InetSocketAddress("127.0.0.1", 0));
    ServerSocketChannel two = ServerSocketChannel.open();
    two.bind(new InetSocketAddress("127.0.0.1", 0));
    QmpServer.Listener first = server.listen(one, MonitorOptions.DEFAULT);
    QmpServer.Listener second = server.listen(two, MonitorOptions.DEFAULT);
    try (RawClient a = new RawClient(one.getLocalAddress());
        RawClient b = new RawClient(one.getLocalAddress());
        RawClient c = new RawClient(two.getLocalAddress())) {
      a.negotiate(false);
      b.negotiate(false);
      c.negotiate(false);
      assertEquals(2, first.clients().size());
      assertEquals(1, second.clients().size());
      assertTrue(second.clients().get(0).peer().contains("127.0.0.1:"));
      a.close();
      await(() -> first.clients().size(), 1);
      assertEquals(1, second.clients().size());
    }
    await(() -> first.clients().size() + second.clients().size(), 0);
  }
}
