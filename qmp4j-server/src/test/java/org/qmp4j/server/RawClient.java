package org.qmp4j.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A byte-level test client: writes raw bytes, reads CRLF-terminated lines. */
final class RawClient implements AutoCloseable {
  private static final String EOF = "\u0000EOF";

  private final SocketChannel channel;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final Thread reader;

  RawClient(SocketAddress address) throws IOException {
    channel = SocketChannel.open(address);
    reader = new Thread(this::readLoop, "raw-client-reader");
    reader.setDaemon(true);
    reader.start();
  }

  private void readLoop() {
    ByteBuffer buf = ByteBuffer.allocate(65536);
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    try {
      while (channel.read(buf) >= 0) {
        buf.flip();
        while (buf.hasRemaining()) {
          byte b = buf.get();
          line.write(b);
          if (b == '\n') {
            lines.add(line.toString(StandardCharsets.ISO_8859_1));
            line.reset();
          }
        }
        buf.clear();
      }
    } catch (IOException e) {
      // closed
    }
    if (line.size() > 0) {
      lines.add(line.toString(StandardCharsets.ISO_8859_1));
    }
    lines.add(EOF);
  }

  RawClient send(String text) throws IOException {
    return send(text.getBytes(StandardCharsets.UTF_8));
  }

  RawClient send(byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      channel.write(b);
    }
    return this;
  }

  /** The next line with its CRLF, or fails after 5 s; {@code null} at end of stream. */
  String line() throws InterruptedException {
    return line(5000);
  }

  String line(long millis) throws InterruptedException {
    String l = lines.poll(millis, TimeUnit.MILLISECONDS);
    if (l == null) {
      throw new AssertionError("no line within " + millis + " ms");
    }
    return l.equals(EOF) ? null : l;
  }

  /** The next line if one arrives within {@code millis}, else {@code "none"}. */
  String lineOrNone(long millis) throws InterruptedException {
    String l = lines.poll(millis, TimeUnit.MILLISECONDS);
    if (l == null) {
      return "none";
    }
    return l.equals(EOF) ? null : l;
  }

  /** Reads the greeting and negotiates (optionally with OOB). */
  RawClient negotiate(boolean oob) throws Exception {
    line();
    send(
        oob
            ? "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}"
            : "{\"execute\":\"qmp_capabilities\"}");
    String reply = line();
    if (!reply.equals("{\"return\": {}}\r\n")) {
      throw new AssertionError("negotiation failed: " + reply);
    }
    return this;
  }

  void shutdownOutput() throws IOException {
    channel.shutdownOutput();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
