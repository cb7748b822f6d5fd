package org.qmp4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad and hostile peers: the server answers as QEMU would, other sessions stay responsive, and no
 * thread, descriptor or unbounded memory is left behind.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServerRobustnessTest {
  private static final String PING = "{\"execute\":\"query-version\",\"id\":\"ping\"}";

  @TempDir Path dir;

  private QmpServer server;
  private UnixDomainSocketAddress address;

  @BeforeEach
  void start() throws Exception {
    server =
        QmpServer.newBuilder()
            .schema(QmpServer.controlSchema(s -> s.event("STOP", (String) null)))
            .outputLimits(64 * 1024, 8 * 1024 * 1024)
            .build();
    address = TestServers.listen(server, dir.resolve("qmp.sock"), MonitorOptions.DEFAULT, 0);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** Another session keeps answering within a second while {@code abuse} runs. */
  private void whileOthersStayResponsive(ThrowingRunnable abuse) throws Exception {
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
    Thread prober =
        new Thread(
            () -> {
              try (RawClient c = new RawClient(address).negotiate(false)) {
                while (!done.get()) {
                  long t0 = System.nanoTime();
                  c.send(PING);
                  String reply = c.line(2000);
                  assertTrue(reply.contains("\"id\": \"ping\""), reply);
                  latencies.add(System.nanoTime() - t0);
                  Thread.sleep(20);
                }
              } catch (Throwable t) {
                failure.set(t);
              }
            });
    prober.start();
    try {
      abuse.run();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (latencies.size() < 3 && failure.get() == null && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
    } finally {
      done.set(true);
      prober.join(10_000);
    }
    if (failure.get() != null) {
      throw new AssertionError("the other session stopped answering", failure.get());
    }
    assertTrue(latencies.size() > 0, "the other session was probed");
    long worst = latencies.stream().mapToLong(Long::longValue).max().orElse(0);
    // Generous: CI machines are small and shared; a stalled session would take many seconds.
    assertTrue(worst < TimeUnit.SECONDS.toNanos(2), "worst probe latency " + worst / 1e6 + " ms");
  }

  @FunctionalInterface
  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void oneGibibyteOfGarbage() throws Exception {
    whileOthersStayResponsive(
        () -> {
          try (RawClient c = new RawClient(address).negotiate(false)) {
            // '@' is a lexical error; QEMU then skips every byte up to a structural character.
            c.send("@");
            byte[] chunk = new byte[1 << 20];
            Arrays.fill(chunk, (byte) 'x');
            for (int i = 0; i < 1024; i++) {
              c.send(chunk);
            }
            c.send(PING);
            assertEquals(
                "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, stray"
                    + " '@'\"}}\r\n",
                c.line(30_000));
            assertTrue(c.line(30_000).contains("\"id\": \"ping\""));
          }
        });
  }

  @Test
  void randomGarbageIsAnsweredAndTheSessionRecovers() throws Exception {
    whileOthersStayResponsive(
        () -> {
          try (RawClient c = new RawClient(address).negotiate(false)) {
            java.util.Random random = new java.util.Random(42);
            byte[] garbage = new byte[256 << 10];
            random.nextBytes(garbage);
            Thread drain =
                new Thread(
                    () -> {
                      try {
                        String l;
                        while ((l = c.line(30_000)) != null) {
                          if (l.contains("\"id\": \"ping\"")) {
                            return;
                          }
                        }
                      } catch (Throwable t) {
                        throw new AssertionError(t);
                      }
                    });
            drain.start();
            c.send(garbage);
            // 0xFF forces any lexer state back to the start, as qmp-spec.txt recommends.
            c.send(new byte[] {(byte) 0xff});
            c.send(PING);
            drain.join(60_000);
            assertTrue(!drain.isAlive(), "the ping after the garbage was answered");
          }
        });
  }

  @Test
  void deepNesting() throws Exception {
    whileOthersStayResponsive(
        () -> {
          try (RawClient c = new RawClient(address).negotiate(false)) {
            c.send("[".repeat(100_000));
            // 100,000 / 1,025: each 1,025th bracket exceeds the limit and restarts the count.
            for (int i = 0; i < 100_000 / 1025; i++) {
              assertEquals(
                  "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON nesting depth limit"
                      + " exceeded\"}}\r\n",
                  c.line(10_000));
            }
            c.send("\u0001" + PING);
            assertTrue(c.line(10_000).contains("stray"));
            assertTrue(c.line(10_000).contains("\"id\": \"ping\""));
          }
        });
  }

  @Test
  void sixtyFourMebibyteString() throws Exception {
    whileOthersStayResponsive(
        () -> {
          try (RawClient c = new RawClient(address).negotiate(false)) {
            c.send("{\"execute\":\"query-version\",\"arguments\":{\"s\":\"");
            byte[] chunk = new byte[1 << 20];
            Arrays.fill(chunk, (byte) 'a');
            for (int i = 0; i < 64; i++) {
              c.send(chunk);
            }
            c.send("\"}}\n" + PING);
            assertEquals(
                "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON token size limit"
                    + " exceeded\"}}\r\n",
                c.line(30_000));
            // The rest of the string is read as new input: "a" then '"' opens a string that
            // swallows "}}\n"... until the newline, a control character, ends it with an error.
            String next;
            do {
              next = c.line(30_000);
              assertNotNull(next);
            } while (!next.contains("\"id\": \"ping\""));
          }
        });
  }

  @Test
  void halfAMessageThenSilence() throws Exception {
    RawClient silent = new RawClient(address).negotiate(false);
    silent.send("{\"execute\":\"query-");
    whileOthersStayResponsive(() -> Thread.sleep(500));
    // The partial message waits; completing it works.
    silent.send("version\",\"id\":\"late\"}");
    assertTrue(silent.line().contains("\"id\": \"late\""));
    silent.send("{\"execute\":");
    silent.close();
    // A new connection starts afresh: greeting, negotiation, no leftover input.
    try (RawClient c = new RawClient(address).negotiate(false)) {
      c.send(PING);
      assertTrue(c.line().contains("\"id\": \"ping\""));
    }
  }

  @Test
  void aPeerThatNeverReadsIsThrottledNotBuffered() throws Exception {
    try (SocketChannel deaf = SocketChannel.open(address)) {
      byte[] request =
          "{\"execute\":\"query-qmp-schema\"}".repeat(1000).getBytes(StandardCharsets.US_ASCII);
      deaf.configureBlocking(false);
      long sent = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      // Negotiate, then push requests whose replies it never reads, until the server stops
      // reading (our writes stall).
      deaf.write(ByteBuffer.wrap("{\"execute\":\"qmp_capabilities\"}".getBytes()));
      int stalls = 0;
      while (System.nanoTime() < deadline && stalls < 50) {
        int n = deaf.write(ByteBuffer.wrap(request));
        sent += n;
        if (n == 0) {
          stalls++;
          Thread.sleep(10);
        } else {
          stalls = 0;
        }
      }
      assertTrue(stalls >= 50, "the server stopped reading the deaf peer's input");
      whileOthersStayResponsive(() -> Thread.sleep(500));
      assertTrue(
          server.sessions().stream().anyMatch(QmpSession::open), "the deaf session is still open");
      assertTrue(sent > 0);
    }
  }

  @Test
  void tenThousandConnectDisconnectCyclesLeakNothing() throws Exception {
    for (int i = 0; i < 200; i++) {
      cycle(i % 2 == 0);
    }
    int threads = Thread.activeCount();
    long fds = openDescriptors();
    for (int i = 0; i < 10_000; i++) {
      cycle(i % 2 == 0);
    }
    awaitSessions(0);
    assertEquals(0, server.sessions().size());
    long fdsAfter = openDescriptors();
    assertTrue(fdsAfter <= fds + 2, "descriptors before " + fds + ", after " + fdsAfter);
    assertTrue(
        Thread.activeCount() <= threads + 2,
        "threads before " + threads + ", after " + Thread.activeCount());
  }

  private void cycle(boolean talk) throws IOException {
    try (SocketChannel c = SocketChannel.open(address)) {
      ByteBuffer greeting = ByteBuffer.allocate(512);
      c.read(greeting);
      if (talk) {
        c.write(ByteBuffer.wrap("{\"execute\":\"qmp_capabilities\"}".getBytes()));
        c.read(ByteBuffer.allocate(64));
      }
    }
  }

  @Test
  void aThousandSessionsAtOnce() throws Exception {
    List<LineChannel> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 1000; i++) {
        LineChannel c = new LineChannel(SocketChannel.open(address));
        clients.add(c);
        c.write("{\"execute\":\"qmp_capabilities\"}");
      }
      for (LineChannel c : clients) {
        assertTrue(c.line().startsWith("{\"QMP\""));
        assertEquals("{\"return\": {}}\r\n", c.line());
        c.write(PING);
      }
      for (LineChannel c : clients) {
        assertTrue(c.line().contains("\"id\": \"ping\""));
      }
      assertEquals(1000, server.sessions().size());
      server.emit("STOP", JsonNodeFactory.instance.objectNode());
      for (LineChannel c : clients) {
        assertTrue(c.line().contains("\"event\": \"STOP\""));
      }
    } finally {
      for (LineChannel c : clients) {
        c.channel.close();
      }
    }
    awaitSessions(0);
  }

  /** A blocking channel read line by line, without a thread of its own. */
  private static final class LineChannel {
    final SocketChannel channel;
    final ByteBuffer buffer = ByteBuffer.allocate(4096).flip();

    LineChannel(SocketChannel channel) {
      this.channel = channel;
    }

    void write(String s) throws IOException {
      ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
      while (b.hasRemaining()) {
        channel.write(b);
      }
    }

    String line() throws IOException {
      StringBuilder sb = new StringBuilder();
      while (true) {
        if (!buffer.hasRemaining()) {
          buffer.clear();
          if (channel.read(buffer) < 0) {
            throw new IOException("end of stream after " + sb);
          }
          buffer.flip();
        }
        char c = (char) buffer.get();
        sb.append(c);
        if (c == '\n') {
          return sb.toString();
        }
      }
    }
  }

  private void awaitSessions(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (server.sessions().size() != n && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(n, server.sessions().size());
  }

  private static long openDescriptors() throws IOException {
    try (var s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }
}
