package org.qmp4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.IntNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.schema.QapiSchema;

/**
 * {@link MonitorOptions#GUEST_AGENT}: the bytes {@code qemu-ga} 7.2 was seen to write (see
 * /work/shared/reference/qemu-7.2-behaviour.md §9), byte for byte.
 */
class GuestAgentDialectTest {
  @TempDir Path dir;
  private QmpServer server;
  private Path socket;

  @BeforeEach
  void start() throws IOException {
    QapiSchema schema =
        QapiSchema.newBuilder()
            .object("GuestSyncArgs", o -> o.member("id", "int"))
            .object("GuestShutdownArgs", o -> o.optional("mode", "str"))
            .command("guest-sync", c -> c.args("GuestSyncArgs").returns("int"))
            .command("guest-sync-delimited", c -> c.args("GuestSyncArgs").returns("int"))
            .command("guest-ping", c -> {})
            .command("guest-shutdown", c -> c.args("GuestShutdownArgs"))
            .build();
    server =
        QmpServer.newBuilder()
            .schema(schema)
            .commandInline("guest-sync", (ctx, a) -> a.get("id"))
            .commandInline("guest-sync-delimited", (ctx, a) -> a.get("id"))
            .commandInline("guest-ping", (ctx, a) -> null)
            .commandInline(
                "guest-shutdown",
                (ctx, a) -> {
                  if (a.has("mode") && !a.get("mode").asText().equals("powerdown")) {
                    throw org.qmp4j.protocol.QmpErrorException.generic("mode is invalid");
                  }
                  return IntNode.valueOf(0); // dropped: no success response
                })
            .noSuccessResponse("guest-shutdown")
            .build();
    socket = dir.resolve("ga.sock");
    TestServers.listen(server, socket, MonitorOptions.GUEST_AGENT, 0);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private SocketChannel connect() throws IOException {
    return SocketChannel.open(UnixDomainSocketAddress.of(socket));
  }

  /** Sends {@code request} and returns every byte that arrives within {@code quiet} after it. */
  private static byte[] exchange(SocketChannel ch, byte[] request, Duration quiet)
      throws IOException {
    ch.write(ByteBuffer.wrap(request));
    ch.configureBlocking(false);
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    ByteBuffer buf = ByteBuffer.allocate(4096);
    long deadline = System.nanoTime() + quiet.toNanos();
    while (System.nanoTime() < deadline) {
      int n = ch.read(buf);
      if (n > 0) {
        got.write(buf.array(), 0, n);
        buf.clear();
        deadline = System.nanoTime() + quiet.toNanos();
      } else if (n < 0) {
        break;
      } else {
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
      }
    }
    ch.configureBlocking(true);
    return got.toByteArray();
  }

  private static String exchange(SocketChannel ch, String request) throws IOException {
    return new String(
        exchange(ch, request.getBytes(StandardCharsets.ISO_8859_1), Duration.ofMillis(150)),
        StandardCharsets.ISO_8859_1);
  }

  @Test
  void noGreetingLfFramingAndQemuGaTexts() throws IOException {
    try (SocketChannel ch = connect()) {
      assertEquals("", exchange(ch, ""));
      assertEquals(
          "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command qmp_capabilities"
              + " has not been found\"}}\n",
          exchange(ch, "{\"execute\":\"qmp_capabilities\"}\n"));
      assertEquals(
          "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'exec-oob' is"
              + " unexpected\"}}\n",
          exchange(ch, "{\"exec-oob\":\"guest-ping\"}\n"));
      assertEquals(
          "{\"return\": {}, \"id\": \"x1\"}\n",
          exchange(ch, "{\"execute\":\"guest-ping\",\"id\":\"x1\"}\r\n"));
      assertEquals(
          "{\"return\": 42}\n",
          exchange(ch, "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":42}}\n"));
      assertEquals(
          "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'id' is missing\"}}\n",
          exchange(ch, "{\"execute\":\"guest-sync\"}\n"));
    }
  }

  @Test
  void sentinelBeforeTheReplyToGuestSyncDelimited() throws IOException {
    try (SocketChannel ch = connect()) {
      // as observed: the client's 0xFF is a parse error, then the delimited reply
      assertEquals(
          "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, stray"
              + " '\\\"guest-pi\\uFFFD'\"}}\n\u00ff{\"return\": 5678, \"id\": 7}\n",
          exchange(
              ch,
              "{\"execute\": \"guest-pi\u00ff{\"execute\":\"guest-sync-delimited\","
                  + "\"arguments\":{\"id\":5678},\"id\":7}\n"));
      // an error reply to it has no sentinel
      assertEquals(
          "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'id' is missing\"}}\n",
          exchange(ch, "{\"execute\":\"guest-sync-delimited\"}\n"));
    }
  }

  @Test
  void commandsWithoutSuccessResponseAnswerOnlyTheirErrors() throws IOException {
    try (SocketChannel ch = connect()) {
      assertEquals("", exchange(ch, "{\"execute\":\"guest-shutdown\"}\n"));
      assertEquals(
          "{\"error\": {\"class\": \"GenericError\", \"desc\": \"mode is invalid\"}}\n",
          exchange(ch, "{\"execute\":\"guest-shutdown\",\"arguments\":{\"mode\":\"x\"}}\n"));
      assertEquals("{\"return\": {}}\n", exchange(ch, "{\"execute\":\"guest-ping\"}\n"));
    }
  }

  @Test
  void oneClientAtATimeAndThePartialRequestOfTheLastStaysInTheParser() throws IOException {
    SocketChannel first = connect();
    assertEquals("{\"return\": {}}\n", exchange(first, "{\"execute\":\"guest-ping\"}\n"));
    assertEquals("", exchange(first, "{\"execute\": \"guest-sy"));
    try (SocketChannel second = connect()) {
      // waits in the backlog while the first is connected
      assertEquals("", exchange(second, "nc\", \"arguments\": {\"id\": 3}}\n"));
      first.close();
      assertEquals(
          "{\"return\": 3}\n",
          new String(
              exchange(second, new byte[0], Duration.ofMillis(300)), StandardCharsets.UTF_8));
    }
  }

  @Test
  void aQmpMonitorNeedsQmpCapabilities() throws IOException {
    try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.bind(UnixDomainSocketAddress.of(dir.resolve("qmp.sock")));
      assertThrows(IllegalArgumentException.class, () -> server.listen(ch, MonitorOptions.DEFAULT));
    }
  }
}
