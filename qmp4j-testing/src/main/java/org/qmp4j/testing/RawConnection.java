package org.qmp4j.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

/**
 * A byte-level client of a unix socket, for tests that must see exactly what a peer sends (the
 * greeting's bytes, CRLF or LF, a 0xFF) without going through qmp4j's own reader. Built on the
 * JDK's {@link SocketChannel} and {@link UnixDomainSocketAddress}; every wait is bounded by the
 * timeout given at {@link #open(Path, Duration)}, after which an {@link InterruptedIOException}
 * says what arrived so far.
 *
 * <p>Not thread-safe: one test thread at a time.
 */
public final class RawConnection implements AutoCloseable {

  /** Timeout of {@link #open(Path)}: for connecting and for each read or write. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private static final ObjectMapper JSON = new ObjectMapper();

  private final SocketChannel channel;
  private final Selector selector;
  private final SelectionKey key;
  private final long timeoutNanos;
  private ByteBuffer buffer = ByteBuffer.allocate(64 * 1024); // filled: [0, position)

  private RawConnection(SocketChannel channel, Duration timeout) throws IOException {
    this.channel = channel;
    this.timeoutNanos = timeout.toNanos();
    channel.configureBlocking(false);
    this.selector = Selector.open();
    this.key = channel.register(selector, SelectionKey.OP_READ);
  }

  /** Connects to {@code socket} with {@link #DEFAULT_TIMEOUT}. */
  public static RawConnection open(Path socket) throws IOException {
    return open(socket, DEFAULT_TIMEOUT);
  }

  /**
   * Connects to {@code socket}, retrying while it is not there yet or refuses (a server between
   * creating its socket file and listening on it), until {@code timeout}.
   */
  public static RawConnection open(Path socket, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    UnixDomainSocketAddress address = UnixDomainSocketAddress.of(socket);
    while (true) {
      SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        channel.connect(address);
        return new RawConnection(channel, timeout);
      } catch (SocketException e) {
        channel.close();
        if (System.nanoTime() - deadline > 0) {
          throw e;
        }
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
      sleep(10);
    }
  }

  /** Sends {@code text} as UTF-8. */
  public void send(String text) throws IOException {
    send(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Sends {@code bytes}, all of them. */
  public void send(byte[] bytes) throws IOException {
    ByteBuffer out = ByteBuffer.wrap(bytes);
    long deadline = System.nanoTime() + timeoutNanos;
    key.interestOps(SelectionKey.OP_WRITE);
    try {
      while (out.hasRemaining()) {
        if (channel.write(out) == 0) {
          await(deadline, "writing " + out.remaining() + " more bytes");
        }
      }
    } finally {
      key.interestOps(SelectionKey.OP_READ);
    }
  }

  /** The bytes up to and including the next LF. */
  public byte[] readLineBytes() throws IOException {
    long deadline = System.nanoTime() + timeoutNanos;
    int scanned = 0;
    while (true) {
      for (int i = scanned; i < buffer.position(); i++) {
        if (buffer.get(i) == '\n') {
          return take(i + 1);
        }
      }
      scanned = buffer.position();
      fill(deadline, "a line");
    }
  }

  /** The next line, LF (and CR, if any) included, decoded as UTF-8. */
  public String readLine() throws IOException {
    return new String(readLineBytes(), StandardCharsets.UTF_8);
  }

  /**
   * The next line parsed as JSON: right for compact monitors and the guest agent, which send one
   * value per line (not for {@code pretty=on}).
   */
  public JsonNode readJson() throws IOException {
    return JSON.readTree(readLineBytes());
  }

  /** Exactly {@code n} bytes. */
  public byte[] readBytes(int n) throws IOException {
    long deadline = System.nanoTime() + timeoutNanos;
    while (buffer.position() < n) {
      fill(deadline, n + " bytes");
    }
    return take(n);
  }

  /** Closes the connection. */
  @Override
  public void close() throws IOException {
    try {
      selector.close();
    } finally {
      channel.close();
    }
  }

  /** Removes and returns the first {@code n} buffered bytes. */
  private byte[] take(int n) {
    byte[] result = Arrays.copyOf(buffer.array(), n);
    buffer.flip().position(n);
    buffer.compact();
    return result;
  }

  /** Reads at least one more byte into the buffer. */
  private void fill(long deadline, String waitingFor) throws IOException {
    if (!buffer.hasRemaining()) {
      buffer = ByteBuffer.allocate(buffer.capacity() * 2).put(buffer.flip());
    }
    while (true) {
      int n = channel.read(buffer);
      if (n > 0) {
        return;
      }
      if (n < 0) {
        throw new EOFException(
            "connection closed while waiting for " + waitingFor + "; got " + buffered());
      }
      await(deadline, waitingFor);
    }
  }

  private void await(long deadline, String waitingFor) throws IOException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new InterruptedIOException(
          "timed out after "
              + Duration.ofNanos(timeoutNanos)
              + " waiting for "
              + waitingFor
              + "; got "
              + buffered());
    }
    selector.select(Math.max(1, left / 1_000_000));
    selector.selectedKeys().clear();
  }

  private String buffered() {
    return buffer.position()
        + " bytes: "
        + new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
  }

  private static void sleep(long millis) throws InterruptedIOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    }
  }
}
