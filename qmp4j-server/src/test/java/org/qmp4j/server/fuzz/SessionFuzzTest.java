package org.qmp4j.server.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.qmp4j.server.MonitorOptions;
import org.qmp4j.server.QmpServer;

/**
 * A whole session driven by fuzzed bytes (Jazzer). Each input is one connection to a running server
 * (compact or pretty monitor, chosen by the input): the bytes are sent in fuzzer-chosen pieces, the
 * client half-closes, and everything the server sends until it closes is checked: a greeting first,
 * then only complete QMP messages (CRLF-terminated, valid JSON objects with {@code return}, {@code
 * error} or {@code event}), and the server still serves a new session afterwards. In a normal build
 * only the seeds run; {@code JAZZER_FUZZ=1} fuzzes (see docs/benchmarks.md, "Fuzzing").
 */
class SessionFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_INPUT = 1 << 13;

  private static Path dir;
  private static QmpServer server;
  private static UnixDomainSocketAddress compact;
  private static UnixDomainSocketAddress pretty;

  @BeforeAll
  static void start() throws IOException {
    dir = Files.createTempDirectory("qmp4j-session-fuzz");
    server =
        QmpServer.newBuilder()
            .schema(QmpServer.controlSchema(s -> s.command("query-yank", c -> c.allowOob())))
            .commandInline("query-yank", (ctx, args) -> JSON.createArrayNode())
            .build();
    compact = listen("compact.sock", MonitorOptions.DEFAULT);
    pretty = listen("pretty.sock", MonitorOptions.PRETTY);
  }

  private static UnixDomainSocketAddress listen(String name, MonitorOptions options)
      throws IOException {
    Path sock = dir.resolve(name);
    ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    ch.bind(UnixDomainSocketAddress.of(sock));
    server.listen(ch, options, sock);
    return UnixDomainSocketAddress.of(sock);
  }

  @AfterAll
  static void stop() throws IOException {
    server.close();
    Files.deleteIfExists(dir);
  }

  @FuzzTest(maxDuration = "15s")
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void session(FuzzedDataProvider data) throws Exception {
    boolean usePretty = data.consumeBoolean();
    int pieces = data.consumeInt(1, 8);
    byte[] input = data.consumeRemainingAsBytes();
    if (input.length > MAX_INPUT) {
      input = java.util.Arrays.copyOf(input, MAX_INPUT);
    }
    byte[] output = converse(usePretty ? pretty : compact, input, pieces);
    check(output, usePretty);
    // The server is unharmed: a fresh session negotiates.
    byte[] probe =
        converse(compact, "{\"execute\":\"qmp_capabilities\"}".getBytes(StandardCharsets.UTF_8), 1);
    String text = new String(probe, StandardCharsets.ISO_8859_1);
    assertTrue(text.endsWith("{\"return\": {}}\r\n"), text);
  }

  private static byte[] converse(UnixDomainSocketAddress address, byte[] input, int pieces)
      throws IOException {
    try (SocketChannel c = SocketChannel.open(address)) {
      int step = Math.max(1, input.length / pieces);
      for (int off = 0; off < input.length; off += step) {
        ByteBuffer b = ByteBuffer.wrap(input, off, Math.min(step, input.length - off));
        while (b.hasRemaining()) {
          c.write(b);
        }
      }
      c.shutdownOutput();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(65536);
      while (c.read(buf) >= 0) {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
      }
      return out.toByteArray();
    }
  }

  private static void check(byte[] output, boolean pretty) throws IOException {
    String text = new String(output, StandardCharsets.ISO_8859_1);
    // Every message ends with CRLF; in pretty output the lines of one message are CRLF too.
    assertTrue(text.isEmpty() || text.endsWith("\r\n"), "output ends mid-message");
    assertEquals(-1, text.replace("\r\n", "").indexOf('\n'), "bare LF in output");
    for (int i = 0; i < output.length; i++) {
      assertTrue(output[i] >= 0, "non-ASCII byte in output");
    }
    int count = 0;
    var parser = JSON.getFactory().createParser(output);
    for (JsonNode m = JSON.readTree(parser); m != null; m = JSON.readTree(parser)) {
      JsonNode message = m;
      assertTrue(message.isObject(), "message is an object");
      if (count == 0) {
        assertTrue(message.has("QMP"), "greeting first");
      } else {
        assertTrue(
            message.has("return") || message.has("error") || message.has("event"),
            () -> "a reply or an event: " + message);
      }
      count++;
    }
    assertTrue(count >= 1, "at least the greeting");
  }
}
