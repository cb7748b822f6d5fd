package org.qmp4j.transport.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.Optional;
import org.qmp4j.transport.QmpAddress;

/** A connection over a socket channel that cannot pass descriptors (JDK unix, TCP). */
public class SocketConnection extends WithoutDescriptors {
  /**
   * Heap buffers are read and written at most this many bytes at a time. Channels copy heap buffers
   * through a temporary direct buffer as large as the request, which the JDK then keeps per thread
   * (and junixsocket allocates anew above 1 MiB): slicing bounds that memory, and measured faster
   * for 16 MiB writes over unix sockets.
   */
  static final int SLICE = 1024 * 1024;

  protected final SocketChannel channel;
  private final QmpAddress address;

  /**
   * @param address the address to report, or {@code null} to derive it from the channel
   */
  public SocketConnection(SocketChannel channel, QmpAddress address) {
    this.channel = Objects.requireNonNull(channel, "channel");
    this.address = address != null ? address : derive(channel);
  }

  private static QmpAddress derive(SocketChannel channel) {
    try {
      SocketAddress remote = channel.getRemoteAddress();
      if (remote instanceof InetSocketAddress) {
        InetSocketAddress inet = (InetSocketAddress) remote;
        return new QmpAddress.Tcp(inet.getHostString(), inet.getPort());
      }
      for (SocketAddress a : new SocketAddress[] {remote, channel.getLocalAddress()}) {
        if (a instanceof UnixDomainSocketAddress) {
          String path = ((UnixDomainSocketAddress) a).getPath().toString();
          if (!path.isEmpty()) {
            return QmpAddress.unix(path);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // unnamed or closed: no address
    }
    return null;
  }

  @Override
  public Optional<QmpAddress> address() {
    return Optional.ofNullable(address);
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (dst.isDirect() || dst.remaining() <= SLICE) {
      return channel.read(dst);
    }
    int limit = dst.limit();
    dst.limit(dst.position() + SLICE);
    try {
      return channel.read(dst);
    } finally {
      dst.limit(limit);
    }
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    if (src.isDirect() || src.remaining() <= SLICE) {
      return channel.write(src);
    }
    int total = 0;
    while (src.hasRemaining()) {
      int limit = src.limit();
      int want = Math.min(SLICE, src.remaining());
      src.limit(src.position() + want);
      int n;
      try {
        n = channel.write(src);
      } finally {
        src.limit(limit);
      }
      total += n;
      if (n < want) {
        break; // non-blocking, and the socket buffer is full
      }
    }
    return total;
  }

  @Override
  String cannotPassReason() {
    String what = address != null ? address.toString() : "an adopted channel";
    if (address instanceof QmpAddress.Tcp) {
      return "cannot pass file descriptors over "
          + what
          + ": descriptor passing needs a unix socket";
    }
    return "cannot pass file descriptors over "
        + what
        + ": this connection uses the JDK's unix channels, which lack SCM_RIGHTS; connect with"
        + " TransportOptions.newBuilder().descriptorPassing(true)";
  }

  @Override
  public void shutdownOutput() throws IOException {
    channel.shutdownOutput();
  }

  @Override
  public Optional<SocketChannel> socketChannel() {
    return Optional.of(channel);
  }

  @Override
  public boolean isOpen() {
    return channel.isOpen();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName()
        + "["
        + (address != null ? address : "unnamed")
        + (channel.isOpen() ? "" : ", closed")
        + "]";
  }
}
