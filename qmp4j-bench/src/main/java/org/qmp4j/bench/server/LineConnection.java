package org.qmp4j.bench.server;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A blocking QMP connection read line by line: enough for harnesses, no JSON library. */
final class LineConnection implements AutoCloseable {
  final SocketChannel channel;
  private final ByteBuffer in = ByteBuffer.allocate(1 << 16).flip();

  LineConnection(Path socket) throws IOException {
    channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
  }

  /** Reads the greeting and negotiates. */
  LineConnection negotiate() throws IOException {
    line();
    write("{\"execute\":\"qmp_capabilities\"}\n");
    String reply = line();
    if (!reply.startsWith("{\"return\"")) {
      throw new IOException("negotiation failed: " + reply);
    }
    return this;
  }

  void write(String s) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }

  /** The next line without its line break. */
  String line() throws IOException {
    StringBuilder sb = new StringBuilder(128);
    while (true) {
      if (!in.hasRemaining()) {
        in.clear();
        if (channel.read(in) < 0) {
          throw new IOException("end of stream");
        }
        in.flip();
      }
      byte b = in.get();
      if (b == '\n') {
        int n = sb.length();
        if (n > 0 && sb.charAt(n - 1) == '\r') {
          sb.setLength(n - 1);
        }
        return sb.toString();
      }
      sb.append((char) (b & 0xFF));
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
