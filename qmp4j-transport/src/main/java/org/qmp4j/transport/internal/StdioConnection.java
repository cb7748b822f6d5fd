package org.qmp4j.transport.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Optional;
import org.qmp4j.transport.QmpAddress;

/**
 * A blocking connection over an input and an output stream: standard input and output, or the pipes
 * of a child process. For a {@link java.io.FileInputStream} or {@link java.io.FileOutputStream} the
 * streams' file channels are used, so bytes are not buffered.
 */
public final class StdioConnection extends WithoutDescriptors {
  private final ReadableByteChannel in;
  private final WritableByteChannel out;
  private final OutputStream outStream;
  private final Object closeLock = new Object();
  private volatile boolean open = true;
  private boolean outputShut;

  public StdioConnection(InputStream in, OutputStream out) {
    this.in = Channels.newChannel(in);
    this.out = Channels.newChannel(out);
    this.outStream = out;
  }

  @Override
  public Optional<QmpAddress> address() {
    return Optional.of(QmpAddress.STDIO);
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (!open) {
      throw new ClosedChannelException();
    }
    return in.read(dst);
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    if (!open) {
      throw new ClosedChannelException();
    }
    int total = 0;
    while (src.hasRemaining()) {
      total += out.write(src);
    }
    outStream.flush();
    return total;
  }

  @Override
  public void shutdownOutput() throws IOException {
    synchronized (closeLock) {
      if (!open) {
        throw new ClosedChannelException();
      }
      if (!outputShut) {
        outputShut = true;
        out.close();
      }
    }
  }

  @Override
  public Optional<SocketChannel> socketChannel() {
    return Optional.empty();
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() throws IOException {
    synchronized (closeLock) {
      if (!open) {
        return;
      }
      open = false;
      IOException failure = null;
      try {
        if (!outputShut) {
          outputShut = true;
          out.close();
        }
      } catch (IOException e) {
        failure = e;
      }
      try {
        in.close();
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
      if (failure != null) {
        throw failure;
      }
    }
  }

  @Override
  public String toString() {
    return "StdioConnection[" + (open ? "open" : "closed") + "]";
  }

  @Override
  String cannotPassReason() {
    return "cannot pass file descriptors over stdio: descriptor passing needs a unix socket";
  }
}
