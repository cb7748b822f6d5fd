package org.qmp4j.bench.codec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Records the exact bytes of a QEMU monitor's reply to {@code query-qmp-schema}.
 *
 * <p>Usage: {@code java RecordSchema.java SOCKET OUTPUT}. Connects to the QMP monitor at the unix
 * socket {@code SOCKET}, reads the greeting, negotiates, sends {@code query-qmp-schema} and writes
 * the reply line, CRLF included, to {@code OUTPUT}. Uses only the JDK, so it runs as a source file
 * without a build; {@code record-schema.sh} starts QEMU and calls it.
 */
public final class RecordSchema {
  private RecordSchema() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: RecordSchema SOCKET OUTPUT");
      System.exit(2);
    }
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(args[0]));
      LineReader in = new LineReader(channel);
      String greeting = in.line();
      if (!greeting.startsWith("{\"QMP\"")) {
        throw new IOException("not a QMP greeting: " + greeting);
      }
      send(channel, "{\"execute\": \"qmp_capabilities\"}\r\n");
      String negotiated = in.line();
      if (!negotiated.startsWith("{\"return\"")) {
        throw new IOException("negotiation failed: " + negotiated);
      }
      send(channel, "{\"execute\": \"query-qmp-schema\"}\r\n");
      byte[] reply = in.lineBytes();
      String head = new String(reply, 0, Math.min(reply.length, 12), StandardCharsets.UTF_8);
      if (!head.startsWith("{\"return\"")) {
        throw new IOException("unexpected reply: " + head);
      }
      Files.write(Path.of(args[1]), reply);
      System.err.println("recorded " + reply.length + " bytes to " + args[1]);
    }
  }

  private static void send(SocketChannel channel, String text) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  /** Reads CRLF-terminated lines; the monitor sends one compact message per line. */
  private static final class LineReader {
    private final SocketChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    LineReader(SocketChannel channel) {
      this.channel = channel;
      buffer.flip();
    }

    String line() throws IOException {
      return new String(lineBytes(), StandardCharsets.UTF_8).strip();
    }

    /** The next line, its terminating newline (and the CR before it) included. */
    byte[] lineBytes() throws IOException {
      while (true) {
        while (buffer.hasRemaining()) {
          byte b = buffer.get();
          pending.write(b);
          if (b == '\n') {
            byte[] line = pending.toByteArray();
            pending.reset();
            return line;
          }
        }
        buffer.clear();
        int n = channel.read(buffer);
        buffer.flip();
        if (n < 0) {
          throw new IOException("connection closed by the monitor");
        }
      }
    }
  }
}
