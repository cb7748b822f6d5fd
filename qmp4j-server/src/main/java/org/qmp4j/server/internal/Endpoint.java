package org.qmp4j.server.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;

/** Where a session's bytes come from and go to: a socket, or a pair of pipes pumped to streams. */
abstract class Endpoint {
  abstract int read(ByteBuffer dst) throws IOException;

  abstract int write(ByteBuffer src) throws IOException;

  /** Registers with the loop's selector, the session being the attachment. */
  abstract void register(Selector selector, IoLoop.Readiness session) throws IOException;

  abstract void interest(boolean read, boolean write);

  abstract void close();

  abstract String peer();

  /** A connected socket, read and written through one selection key. */
  static final class Socket extends Endpoint {
    private final SocketChannel channel;
    private SelectionKey key;

    Socket(SocketChannel channel) throws IOException {
      this.channel = channel;
      channel.configureBlocking(false);
    }

    @Override
    int read(ByteBuffer dst) throws IOException {
      return channel.read(dst);
    }

    @Override
    int write(ByteBuffer src) throws IOException {
      return channel.write(src);
    }

    @Override
    void register(Selector selector, IoLoop.Readiness session) throws IOException {
      key = channel.register(selector, SelectionKey.OP_READ, session);
    }

    @Override
    void interest(boolean read, boolean write) {
      if (key == null || !key.isValid()) {
        return;
      }
      int ops = (read ? SelectionKey.OP_READ : 0) | (write ? SelectionKey.OP_WRITE : 0);
      if (key.interestOps() != ops) {
        key.interestOps(ops);
      }
    }

    @Override
    void close() {
      if (key != null) {
        key.cancel();
      }
      try {
        channel.close();
      } catch (IOException e) {
        // nothing left to do with it
      }
    }

    @Override
    String peer() {
      try {
        Object remote = channel.getRemoteAddress();
        if (remote != null && !remote.toString().isEmpty()) {
          return remote.toString();
        }
        return String.valueOf(channel.getLocalAddress());
      } catch (IOException e) {
        return "?";
      }
    }
  }

  /**
   * Blocking streams (standard input and output) bridged to selectable pipes by two daemon threads,
   * so the loop never blocks on them.
   */
  static final class Streams extends Endpoint {
    private final Pipe inbound;
    private final Pipe outbound;
    private final String name;
    private SelectionKey readKey;
    private SelectionKey writeKey;

    Streams(InputStream in, OutputStream out, String name) throws IOException {
      this.name = name;
      inbound = Pipe.open();
      outbound = Pipe.open();
      inbound.source().configureBlocking(false);
      outbound.sink().configureBlocking(false);
      pump(Channels.newChannel(in), inbound.sink(), name + "-in");
      pump(outbound.source(), Channels.newChannel(out), name + "-out");
    }

    private static void pump(ReadableByteChannel from, WritableByteChannel to, String thread) {
      Thread t =
          new Thread(
              () -> {
                ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
                try {
                  while (from.read(buf) >= 0) {
                    buf.flip();
                    while (buf.hasRemaining()) {
                      to.write(buf);
                    }
                    buf.clear();
                    if (to instanceof java.io.Flushable f) {
                      f.flush();
                    }
                  }
                } catch (IOException e) {
                  // the other side went away
                } finally {
                  try {
                    to.close();
                  } catch (IOException e) {
                    // ignore
                  }
                }
              },
              thread);
      t.setDaemon(true);
      t.start();
    }

    @Override
    int read(ByteBuffer dst) throws IOException {
      return inbound.source().read(dst);
    }

    @Override
    int write(ByteBuffer src) throws IOException {
      return outbound.sink().write(src);
    }

    @Override
    void register(Selector selector, IoLoop.Readiness session) throws IOException {
      readKey = inbound.source().register(selector, SelectionKey.OP_READ, session);
      writeKey = outbound.sink().register(selector, 0, session);
    }

    @Override
    void interest(boolean read, boolean write) {
      if (readKey != null && readKey.isValid()) {
        readKey.interestOps(read ? SelectionKey.OP_READ : 0);
      }
      if (writeKey != null && writeKey.isValid()) {
        writeKey.interestOps(write ? SelectionKey.OP_WRITE : 0);
      }
    }

    @Override
    void close() {
      for (SelectionKey k : new SelectionKey[] {readKey, writeKey}) {
        if (k != null) {
          k.cancel();
        }
      }
      try {
        inbound.source().close();
        outbound.sink().close();
      } catch (IOException e) {
        // ignore
      }
    }

    @Override
    String peer() {
      return name;
    }
  }
}
