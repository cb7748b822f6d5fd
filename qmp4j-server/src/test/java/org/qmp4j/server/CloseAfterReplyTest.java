package org.qmp4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.transport.QmpAddress;
import org.qmp4j.transport.QmpListener;

/**
 * {@link CommandContext#closeServerAfterReply()} and {@link QmpServer#closeAfterOutput()}: every
 * byte queued before the end (an event, the reply, however large) reaches the peer, however slowly
 * it reads, and then the connection ends; nothing is sent or run after it.
 */
class CloseAfterReplyTest {
  private static final String GREETING =
      "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7},"
          + " \"package\": \"qmp4j\"}, \"capabilities\": [\"oob\"]}}\r\n";
  private static final String NEGOTIATED = "{\"return\": {}}\r\n";

  @TempDir Path dir;

  private QmpServer server;
  private volatile String bigValue = "";
  private volatile CompletableFuture<Void> ended;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  /**
   * quit (inline) and quit-worker (on the worker pool) emit SHUTDOWN, ask for the end and reply
   * with {@code bigValue} if set; echo answers its argument.
   */
  private QmpServer.Builder builder() {
    return QmpServer.newBuilder()
        .schema(
            QmpServer.controlSchema(
                s ->
                    s.command("quit", c -> {})
                        .command("quit-worker", c -> {})
                        .command("echo", c -> c.args(o -> o.member("value", "int")))
                        .event("SHUTDOWN", (String) null)
                        .event("STOP", (String) null)))
        .commandInline("quit", this::quit)
        .command("quit-worker", this::quit)
        .commandInline("echo", (ctx, args) -> args);
  }

  private ObjectNode quit(CommandContext ctx, ObjectNode args) {
    ctx.server().emit("SHUTDOWN", null);
    ended = ctx.closeServerAfterReply();
    ObjectNode r = JsonNodeFactory.instance.objectNode();
    if (!bigValue.isEmpty()) {
      r.put("blob", bigValue);
    }
    return r;
  }

  private SocketAddress listenUnix(QmpServer s) throws IOException {
    return TestServers.listen(s, dir.resolve("qmp.sock"), MonitorOptions.DEFAULT, 0);
  }

  /** A blocking client that reads exactly what arrives, up to the end of the stream. */
  private static final class ByteClient implements AutoCloseable {
    final SocketChannel ch;

    ByteClient(SocketAddress a) throws IOException {
      this(SocketChannel.open(a));
    }

    ByteClient(SocketChannel connected) {
      ch = connected;
    }

    /** Reads the greeting and negotiates. */
    ByteClient negotiate() throws IOException {
      assertEquals(GREETING, readLine());
      send("{\"execute\":\"qmp_capabilities\"}");
      assertEquals(NEGOTIATED, readLine());
      return this;
    }

    void send(String s) throws IOException {
      ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
      while (b.hasRemaining()) {
        ch.write(b);
      }
    }

    String readLine() throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      ByteBuffer one = ByteBuffer.allocate(1);
      while (true) {
        one.clear();
        if (ch.read(one) < 0) {
          throw new IOException("end of stream after " + line);
        }
        line.write(one.get(0));
        if (one.get(0) == '\n') {
          return line.toString(StandardCharsets.UTF_8);
        }
      }
    }

    /**
     * Everything up to the end of the stream, {@code chunk} bytes per read, sleeping {@code
     * pauseMillis} every {@code pauseEvery} bytes; a reset fails (the output was not all sent).
     */
    String readToEnd(int chunk, int pauseEvery, long pauseMillis) throws Exception {
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      ByteBuffer b = ByteBuffer.allocate(chunk);
      long sincePause = 0;
      while (true) {
        b.clear();
        int n = ch.read(b);
        if (n < 0) {
          return all.toString(StandardCharsets.UTF_8);
        }
        all.write(b.array(), 0, n);
        sincePause += n;
        if (pauseEvery > 0 && sincePause >= pauseEvery) {
          sincePause = 0;
          Thread.sleep(pauseMillis);
        }
      }
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }

  private static String event(String line) {
    return line.replaceAll("\"seconds\": \\d+, \"microseconds\": \\d+", "T");
  }

  private static final String SHUTDOWN = "{\"timestamp\": {T}, \"event\": \"SHUTDOWN\"}\r\n";

  /** Splits the bytes received into CRLF-terminated messages, timestamps masked. */
  private static java.util.List<String> messages(String received) {
    java.util.List<String> out = new java.util.ArrayList<>();
    int from = 0;
    int crlf;
    while ((crlf = received.indexOf("\r\n", from)) >= 0) {
      out.add(event(received.substring(from, crlf + 2)));
      from = crlf + 2;
    }
    if (from < received.length()) {
      out.add("<partial> " + received.substring(from));
    }
    return out;
  }

  @Test
  void theEventAndReplyArriveThenEveryConnectionEnds() throws Exception {
    server = builder().build();
    SocketAddress a = listenUnix(server);
    try (ByteClient c = new ByteClient(a).negotiate();
        ByteClient other = new ByteClient(a).negotiate()) {
      server.emit("STOP", null); // queued before the quit: it comes first
      // echo behind quit in the same write: never run (QEMU exits first)
      c.send(
          "{\"execute\":\"quit\",\"id\":1}\r\n{\"execute\":\"echo\",\"arguments\":{\"value\":2}}");
      assertEquals(
          java.util.List.of(
              "{\"timestamp\": {T}, \"event\": \"STOP\"}\r\n",
              SHUTDOWN,
              "{\"return\": {}, \"id\": 1}\r\n"),
          messages(c.readToEnd(65536, 0, 0)));
      assertEquals(
          java.util.List.of("{\"timestamp\": {T}, \"event\": \"STOP\"}\r\n", SHUTDOWN),
          messages(other.readToEnd(65536, 0, 0)));
      ended.get(5, TimeUnit.SECONDS);
      assertTrue(server.sessions().isEmpty());
      assertFalse(Files.exists(dir.resolve("qmp.sock")), "the socket file goes with the listener");
      assertThrows(IOException.class, () -> SocketChannel.open(a).close());
    }
  }

  @Test
  void aWorkerHandlersReplyAlsoComesBeforeTheEnd() throws Exception {
    server = builder().build();
    try (ByteClient c = new ByteClient(listenUnix(server)).negotiate()) {
      c.send("{\"execute\":\"quit-worker\",\"id\":\"w\"}");
      assertEquals(
          java.util.List.of(SHUTDOWN, "{\"return\": {}, \"id\": \"w\"}\r\n"),
          messages(c.readToEnd(65536, 0, 0)));
      ended.get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aSlowReaderGetsTheLargeReplyToItsLastByteBeforeTheEnd() throws Exception {
    // Larger than a unix socket's send buffer (Linux: net.core.wmem_default, 208 KiB unless
    // tuned): the server's write blocks with the end pending.
    boolean blocks = sendBufferDefault() <= 256 * 1024;
    bigValue = "x".repeat(300_000);
    server = builder().build();
    try (ByteClient c = new ByteClient(listenUnix(server)).negotiate()) {
      c.send("{\"execute\":\"quit\",\"id\":3}");
      Thread.sleep(200); // the output piles up, the session waits for it
      if (blocks) {
        assertEquals(1, server.sessions().size(), "not closed while output is pending");
      }
      String got = c.readToEnd(1, 16 * 1024, 2); // one byte per read, pausing now and then
      assertEquals(
          java.util.List.of(
              SHUTDOWN, "{\"return\": {\"blob\": \"" + bigValue + "\"}, \"id\": 3}\r\n"),
          messages(got));
      ended.get(5, TimeUnit.SECONDS);
    }
  }

  private static long sendBufferDefault() {
    try {
      return Long.parseLong(Files.readString(Path.of("/proc/sys/net/core/wmem_default")).trim());
    } catch (IOException | RuntimeException e) {
      return 212_992;
    }
  }

  @Test
  void aVeryLargeReplyArrivesWhole() throws Exception {
    bigValue = "0123456789abcdef".repeat(512 * 1024); // 8 MiB
    server = builder().build();
    try (ByteClient c = new ByteClient(listenUnix(server)).negotiate()) {
      c.send("{\"execute\":\"quit\"}");
      Thread.sleep(100);
      String got = c.readToEnd(7919, 1 << 20, 20);
      assertEquals(
          java.util.List.of(SHUTDOWN, "{\"return\": {\"blob\": \"" + bigValue + "\"}}\r\n"),
          messages(got));
      ended.get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void overTcpInputSentAfterTheQuitDoesNotResetTheOutput() throws Exception {
    // TCP resets a connection closed with unread input, dropping what the closing side has not
    // transmitted yet: the ending session reads (and drops) its input until it closes. The client's
    // small receive buffer keeps most of the reply in the server's kernel until the client reads.
    bigValue = "y".repeat(8 << 20);
    server = builder().build();
    QmpListener l = server.listen(QmpAddress.parse("tcp:127.0.0.1:0"), MonitorOptions.DEFAULT);
    SocketChannel ch = SocketChannel.open();
    ch.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 8192);
    ch.connect(l.channel().getLocalAddress());
    try (ByteClient c = new ByteClient(ch).negotiate()) {
      c.send("{\"execute\":\"quit\",\"id\":4}");
      Thread.sleep(100);
      for (int i = 0; i < 50; i++) {
        c.send("{\"execute\":\"echo\",\"arguments\":{\"value\":" + i + "}}\r\n");
      }
      Thread.sleep(100);
      String got = c.readToEnd(65536, 0, 0);
      assertEquals(
          java.util.List.of(
              SHUTDOWN, "{\"return\": {\"blob\": \"" + bigValue + "\"}, \"id\": 4}\r\n"),
          messages(got));
      ended.get(5, TimeUnit.SECONDS);
    } finally {
      l.close();
    }
  }

  @Test
  void closeAfterOutputEndsAfterWhatWasEmittedBefore() throws Exception {
    server = builder().build();
    SocketAddress a = listenUnix(server);
    try (ByteClient c = new ByteClient(a).negotiate()) {
      server.emit("STOP", null);
      server.emit("SHUTDOWN", null);
      CompletableFuture<Void> done = server.closeAfterOutput();
      server.emit("STOP", null); // after the end began: not sent
      assertEquals(
          java.util.List.of("{\"timestamp\": {T}, \"event\": \"STOP\"}\r\n", SHUTDOWN),
          messages(c.readToEnd(65536, 0, 0)));
      done.get(5, TimeUnit.SECONDS);
      assertThrows(IllegalStateException.class, () -> server.adopt(SocketChannel.open(), null));
    }
  }

  @Test
  void aFailedRequestDoesNotEndTheServer() throws Exception {
    server = builder().build();
    try (ByteClient c = new ByteClient(listenUnix(server)).negotiate()) {
      c.send("{\"execute\":\"quit\",\"arguments\":{\"zzz\":1}}");
      assertEquals(
          "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'zzz' is unexpected\"}}\r\n",
          c.readLine());
      c.send("{\"execute\":\"echo\",\"arguments\":{\"value\":5}}");
      assertEquals("{\"return\": {\"value\": 5}}\r\n", c.readLine());
      assertEquals(1, server.sessions().size());
    }
  }
}
