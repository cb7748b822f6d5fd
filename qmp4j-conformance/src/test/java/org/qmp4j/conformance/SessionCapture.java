package org.qmp4j.conformance;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One client connection of a transcript: sends bytes as told and captures, exactly, every byte the
 * server sends, on a reader thread of its own. Waits are bounded and report what arrived.
 */
final class SessionCapture implements AutoCloseable {
  private final String name;
  private final Transcript.Monitor monitor;
  private final SocketChannel channel;
  private final Thread reader;
  private final ByteArrayOutputStream received = new ByteArrayOutputStream();
  private boolean eof; // guarded by this
  private long lastReceived = System.nanoTime(); // guarded by this
  private int expected; // messages the transcript has waited for so far

  private SessionCapture(String name, Transcript.Monitor monitor, SocketChannel channel) {
    this.name = name;
    this.monitor = monitor;
    this.channel = channel;
    this.reader = new Thread(this::readLoop, "conformance-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Connects to {@code socket}, retrying for a while if nobody listens yet (QEMU accepts a new
   * client of a chardev only after it has seen the previous one go).
   */
  static SessionCapture connect(
      String name, Transcript.Monitor monitor, Path socket, long timeoutMillis)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    while (true) {
      SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        ch.connect(UnixDomainSocketAddress.of(socket));
        return new SessionCapture(name, monitor, ch);
      } catch (SocketException e) {
        ch.close();
        if (System.nanoTime() - deadline > 0) {
          throw e;
        }
        Thread.sleep(5);
      }
    }
  }

  String name() {
    return name;
  }

  Transcript.Monitor monitor() {
    return monitor;
  }

  private void readLoop() {
    ByteBuffer buf = ByteBuffer.allocate(256 * 1024);
    try {
      while (true) {
        buf.clear();
        int n = channel.read(buf);
        synchronized (this) {
          if (n < 0) {
            eof = true;
            notifyAll();
            return;
          }
          received.write(buf.array(), 0, n);
          lastReceived = System.nanoTime();
          notifyAll();
        }
      }
    } catch (IOException e) {
      synchronized (this) {
        eof = true; // reset by peer, or closed by us
        notifyAll();
      }
    }
  }

  void send(byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }

  /** Half-closes the connection: no more bytes from the client. */
  void shutdownOutput() throws IOException {
    channel.shutdownOutput();
  }

  /**
   * Waits until {@code count} more complete messages than awaited so far have arrived.
   *
   * @return null if they did, else what went wrong
   */
  synchronized String awaitMessages(int count, long timeoutMillis) throws InterruptedException {
    int target = expected + count;
    expected = target;
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    while (true) {
      int have = Output.count(received.toByteArray(), received.size());
      if (have >= target) {
        return null;
      }
      long left = deadline - System.nanoTime();
      if (eof || left <= 0) {
        return "expected "
            + target
            + " messages in all on session "
            + name
            + ", got "
            + have
            + (eof ? " before the connection closed" : " within " + timeoutMillis + " ms");
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }

  /** Waits {@code millis}; then no message beyond those awaited so far may have arrived. */
  synchronized String awaitNothing(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + millis * 1_000_000;
    long left;
    while ((left = deadline - System.nanoTime()) > 0) {
      wait(Math.max(1, left / 1_000_000));
    }
    int have = Output.count(received.toByteArray(), received.size());
    return have == expected
        ? null
        : "expected no message beyond "
            + expected
            + " on session "
            + name
            + " within "
            + millis
            + " ms, got "
            + have;
  }

  /** Waits until the server closed the connection. */
  synchronized String awaitEof(long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    while (!eof) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return "session " + name + " still open after " + timeoutMillis + " ms";
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return null;
  }

  /** Waits until nothing arrived for {@code millis} (or the connection closed). */
  synchronized void awaitQuiet(long millis, long maxMillis) throws InterruptedException {
    long giveUp = System.nanoTime() + maxMillis * 1_000_000;
    while (!eof) {
      long quietUntil = lastReceived + millis * 1_000_000;
      long now = System.nanoTime();
      if (now - quietUntil >= 0 || now - giveUp >= 0) {
        return;
      }
      wait(Math.max(1, (quietUntil - now) / 1_000_000));
    }
  }

  /** Nanos since the last bytes arrived. */
  synchronized long sinceLastReceived() {
    return System.nanoTime() - lastReceived;
  }

  synchronized boolean eof() {
    return eof;
  }

  synchronized byte[] bytes() {
    return Arrays.copyOf(received.toByteArray(), received.size());
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // closing
    }
    try {
      reader.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
