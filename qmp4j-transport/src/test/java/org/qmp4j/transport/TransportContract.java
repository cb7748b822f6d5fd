package org.qmp4j.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.qmp4j.protocol.QmpConnectionException;

/**
 * The behaviour every transport implementation must show. Subclasses say how to get a fresh address
 * and which options to use; everything else is common.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class TransportContract {
  static final Duration TIMEOUT = Duration.ofSeconds(10);
  static final int MIB = 1024 * 1024;

  /** A fresh address to listen on (port 0 for TCP). */
  protected abstract QmpAddress freshAddress() throws IOException;

  /** An address nothing listens on and that fails to connect at once. */
  protected abstract QmpAddress deadAddress() throws IOException;

  /** The options this implementation runs with. */
  protected abstract TransportOptions options();

  /** A short name for printed measurements. */
  protected abstract String name();

  protected QmpListener listen() throws IOException {
    return Transports.listen(freshAddress(), options());
  }

  protected QmpConnection connect(QmpAddress address, Duration timeout) {
    return Transports.connect(address, timeout, options());
  }

  /** A connected client and the server side accepted for it. */
  static final class Pair implements AutoCloseable {
    final QmpConnection client;
    final QmpConnection server;

    Pair(QmpConnection client, QmpConnection server) {
      this.client = client;
      this.server = server;
    }

    @Override
    public void close() throws IOException {
      client.close();
      server.close();
    }
  }

  protected Pair pair(QmpListener listener) {
    QmpConnection client = connect(listener.localAddress(), TIMEOUT);
    QmpConnection server = listener.accept(TIMEOUT);
    return new Pair(client, server);
  }

  static void writeAll(QmpConnection c, String text) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      c.write(b);
    }
  }

  static String readExactly(QmpConnection c, int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    while (b.hasRemaining()) {
      if (c.read(b) < 0) {
        fail("end of stream after " + b.position() + " of " + n + " bytes");
      }
    }
    return new String(b.array(), StandardCharsets.UTF_8);
  }

  @Test
  void acceptedConnectionReportsTheListenersAddressAndStartsBlocking() throws Exception {
    try (QmpListener listener = listen();
        Pair p = pair(listener)) {
      assertEquals(Optional.of(listener.localAddress()), p.server.address());
      assertEquals(Optional.of(listener.localAddress()), p.client.address());
      assertTrue(p.client.socketChannel().orElseThrow().isBlocking());
      assertTrue(p.server.socketChannel().orElseThrow().isBlocking());
      assertFalse(listener.channel().isBlocking(), "the listener's channel is non-blocking");
      assertEquals(listener.canPassDescriptors(), p.server.canPassDescriptors());
      assertEquals(options().descriptorPassing(), p.client.canPassDescriptors());
    }
  }

  @Test
  void bytesTravelBothWays() throws Exception {
    try (QmpListener listener = listen();
        Pair p = pair(listener)) {
      writeAll(p.client, "{\"execute\": \"qmp_capabilities\"}\r\n");
      assertEquals("{\"execute\": \"qmp_capabilities\"}\r\n", readExactly(p.server, 33));
      writeAll(p.server, "{\"return\": {}}\r\n");
      assertEquals("{\"return\": {}}\r\n", readExactly(p.client, 16));
    }
  }

  @Test
  void sixteenMebibytesEachWay() throws Exception {
    byte[] data = new byte[16 * MIB];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 31 + (i >>> 13));
    }
    try (QmpListener listener = listen();
        Pair p = pair(listener)) {
      transfer("client->server", p.client, p.server, data);
      transfer("server->client", p.server, p.client, data);
    }
  }

  private void transfer(String direction, QmpConnection from, QmpConnection to, byte[] data)
      throws Exception {
    long start = System.nanoTime();
    CompletableFuture<Void> writer =
        CompletableFuture.runAsync(
            () -> {
              try {
                // One write of the whole heap buffer: the connection must write it all.
                ByteBuffer src = ByteBuffer.wrap(data);
                int n = from.write(src);
                assertEquals(data.length, n, "a blocking write writes everything");
              } catch (IOException e) {
                throw new RuntimeException(e);
              }
            });
    byte[] received = new byte[data.length];
    ByteBuffer dst = ByteBuffer.wrap(received);
    // A read buffer larger than any slice the implementation may use.
    while (dst.hasRemaining()) {
      int n = to.read(dst);
      if (n < 0) {
        fail("end of stream after " + dst.position() + " bytes");
      }
    }
    writer.get(60, TimeUnit.SECONDS);
    long nanos = System.nanoTime() - start;
    assertArrayEquals(data, received);
    System.out.printf(
        "[transport] %s 16 MiB %s: %.1f ms, %.0f MiB/s%n",
        name(), direction, nanos / 1e6, 16 / (nanos / 1e9));
  }

  @Test
  void halfCloseIsSeenAsEndOfStreamWhileTheOtherWayStaysOpen() throws Exception {
    try (QmpListener listener = listen();
        Pair p = pair(listener)) {
      writeAll(p.client, "last words");
      p.client.shutdownOutput();
      assertEquals("last words", readExactly(p.server, 10));
      assertEquals(-1, p.server.read(ByteBuffer.allocate(16)));
      writeAll(p.server, "reply after EOF");
      assertEquals("reply after EOF", readExactly(p.client, 15));
      p.server.shutdownOutput();
      assertEquals(-1, p.client.read(ByteBuffer.allocate(16)));
    }
  }

  @Test
  void closingIsSeenAsEndOfStream() throws Exception {
    try (QmpListener listener = listen();
        Pair p = pair(listener)) {
      p.server.close();
      assertEquals(-1, p.client.read(ByteBuffer.allocate(16)));
    }
  }

  @Test
  void closingWakesABlockedReader() throws Exception {
    try (QmpListener listener = listen();
        Pair p = pair(listener)) {
      CompletableFuture<Object> reader =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return p.client.read(ByteBuffer.allocate(8));
                } catch (IOException e) {
                  return e;
                }
              });
      Thread.sleep(300); // let it block
      assertFalse(reader.isDone(), "nothing to read: the reader is blocked");
      p.client.close();
      Object outcome = reader.get(10, TimeUnit.SECONDS);
      assertTrue(
          outcome instanceof java.nio.channels.AsynchronousCloseException,
          "the blocked read ends with AsynchronousCloseException: " + outcome);
    }
  }

  @Test
  void closeIsIdempotent() throws Exception {
    QmpListener listener = listen();
    Pair p = pair(listener);
    p.client.close();
    p.client.close();
    p.server.close();
    p.server.close();
    assertFalse(p.client.isOpen());
    assertFalse(p.server.isOpen());
    assertThrows(ClosedChannelException.class, () -> p.client.read(ByteBuffer.allocate(1)));
    assertThrows(
        ClosedChannelException.class, () -> p.client.write(ByteBuffer.wrap(new byte[] {1})));
    listener.close();
    listener.close();
    assertFalse(listener.channel().isOpen());
    QmpConnectionException e =
        assertThrows(QmpConnectionException.class, () -> listener.accept(Duration.ofSeconds(1)));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
  }

  @Test
  void acceptTimesOutWithAClearMessage() throws Exception {
    try (QmpListener listener = listen()) {
      long start = System.nanoTime();
      QmpConnectionException e =
          assertThrows(QmpConnectionException.class, () -> listener.accept(Duration.ofMillis(200)));
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(e.timedOut());
      assertTrue(ms >= 190, "waited " + ms + " ms");
      assertEquals(
          "no peer connected to " + listener.localAddress() + " within 200 ms", e.getMessage());
    }
  }

  @Test
  void connectFailsAtOnceWhenNothingListens() throws Exception {
    QmpAddress dead = deadAddress();
    long start = System.nanoTime();
    QmpConnectionException e =
        assertThrows(QmpConnectionException.class, () -> connect(dead, TIMEOUT));
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertTrue(ms < 2000, "took " + ms + " ms");
    assertFalse(e.timedOut());
    assertEquals(dead.toString(), e.address());
    assertTrue(e.getMessage().startsWith("cannot connect to " + dead + ": "), e.getMessage());
    assertTrue(e.getMessage().contains("-qmp " + dead + ",server=on?"), e.getMessage());
  }

  /**
   * A listener that never accepts and whose backlog is full makes connect wait; the deadline must
   * hold for unix sockets too, where a blocking connect would wait for ever.
   */
  @Test
  void connectTimesOutWhenTheBacklogIsFull() throws Exception {
    TransportOptions backlogOne = options().toBuilder().backlog(1).build();
    List<QmpConnection> queued = new ArrayList<>();
    try (QmpListener listener = Transports.listen(freshAddress(), backlogOne)) {
      Duration timeout = Duration.ofMillis(300);
      for (int attempt = 0; attempt < 20; attempt++) {
        long start = System.nanoTime();
        try {
          queued.add(Transports.connect(listener.localAddress(), timeout, options()));
        } catch (QmpConnectionException e) {
          long ms = (System.nanoTime() - start) / 1_000_000;
          assertTrue(e.timedOut(), e.getMessage());
          assertTrue(ms >= 290 && ms < 3000, "gave up after " + ms + " ms");
          assertTrue(
              e.getMessage()
                  .startsWith(
                      "cannot connect to " + listener.localAddress() + ": timed out after 300 ms"),
              e.getMessage());
          assertTrue(queued.size() >= 1, "at least one connection fits in the backlog");
          return;
        }
      }
      fail("20 connections were queued on a listener with backlog 1 that never accepts");
    } finally {
      for (QmpConnection c : queued) {
        c.close();
      }
    }
  }

  @Test
  void theListenersChannelWorksWithASelectorFromItsProvider() throws Exception {
    try (QmpListener listener = listen();
        Selector selector = listener.channel().provider().openSelector()) {
      listener.channel().register(selector, SelectionKey.OP_ACCEPT);
      try (QmpConnection client = connect(listener.localAddress(), TIMEOUT)) {
        assertTrue(selector.select(5000) > 0, "OP_ACCEPT fired");
        SocketChannel accepted = listener.channel().accept();
        try (QmpConnection server = listener.adopt(accepted)) {
          assertEquals(Optional.of(listener.localAddress()), server.address());
          // Non-blocking use of the accepted channel through the same provider's selector.
          SocketChannel ch = server.socketChannel().orElseThrow();
          ch.configureBlocking(false);
          assertEquals(0, server.read(ByteBuffer.allocate(8)), "nothing to read yet");
          ch.register(selector, SelectionKey.OP_READ);
          selector.selectedKeys().clear();
          writeAll(client, "ping");
          assertTrue(selector.select(5000) > 0, "OP_READ fired");
          ByteBuffer b = ByteBuffer.allocate(8);
          assertEquals(4, server.read(b));
        }
      }
    }
  }

  @Test
  void noDescriptorLeaksAfter10000ConnectCloseCycles() throws Exception {
    try (QmpListener listener = listen()) {
      cycles(listener, 200); // warm up lazily opened resources (the accept selector, caches)
      Map<String, String> before = descriptors();
      cycles(listener, 10_000);
      Map<String, String> after = descriptors();
      Map<String, String> added = new TreeMap<>(after);
      added.entrySet().removeAll(before.entrySet());
      System.out.printf(
          "[transport] %s open descriptors before 10,000 cycles: %d, after: %d, new: %s%n",
          name(), before.size(), after.size(), added);
      // Earlier tests' garbage may be closed by the GC meanwhile, so compare what is open, by
      // number and target (a leaked socket has a new inode even if it reuses a number).
      assertEquals(Map.of(), added, "descriptors opened by 10,000 connect/close cycles and left");
    }
  }

  /** This process's open descriptors: number to link target, from /proc/self/fd. */
  static Map<String, String> descriptors() throws IOException {
    Map<String, String> fds = new TreeMap<>();
    try (Stream<Path> list = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : (Iterable<Path>) list::iterator) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (!target.equals("/proc/" + ProcessHandle.current().pid() + "/fd")) {
            fds.put(fd.getFileName().toString(), target); // (not the listing's own descriptor)
          }
        } catch (IOException e) {
          // the listing's own descriptor, closed by now
        }
      }
    }
    return fds;
  }

  private void cycles(QmpListener listener, int n) throws IOException {
    ByteBuffer one = ByteBuffer.allocate(1);
    for (int i = 0; i < n; i++) {
      QmpConnection client = connect(listener.localAddress(), TIMEOUT);
      QmpConnection server = listener.accept(TIMEOUT);
      one.clear().put((byte) i).flip();
      client.write(one);
      one.clear();
      assertEquals(1, server.read(one));
      client.close();
      server.close();
    }
  }

  static long openDescriptors() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  @Test
  void connectionsCanBeAdopted() throws Exception {
    try (QmpListener listener = listen();
        Pair p = pair(listener)) {
      SocketChannel raw = p.client.socketChannel().orElseThrow();
      QmpConnection adopted = Transports.adopt(raw);
      assertEquals(p.client.canPassDescriptors(), adopted.canPassDescriptors());
      writeAll(adopted, "via adopted");
      assertEquals("via adopted", readExactly(p.server, 11));
      adopted.close();
      assertFalse(raw.isOpen(), "the adopted connection owns the channel");
      assertDoesNotThrow(p.client::close);
    }
  }
}
