package org.qmp4j.transport.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.qmp4j.protocol.QmpConnectionException;
import org.qmp4j.transport.QmpAddress;
import org.qmp4j.transport.QmpConnection;
import org.qmp4j.transport.QmpListener;
import org.qmp4j.transport.TransportOptions;

/** A unix or TCP listener over a server socket channel (the JDK's, or junixsocket's). */
public final class ChannelListener implements QmpListener {
  private final ServerSocketChannel channel;
  private final QmpAddress local;
  private final SocketFile socketFile;
  private final boolean junix;
  private final Object acceptLock = new Object();
  private final Object stateLock = new Object();
  private Selector selector;
  private volatile boolean closed;

  private ChannelListener(
      ServerSocketChannel channel, QmpAddress local, SocketFile socketFile, boolean junix) {
    this.channel = channel;
    this.local = local;
    this.socketFile = socketFile;
    this.junix = junix;
  }

  /** Binds and listens; see {@code Transports.listen}. */
  public static ChannelListener open(QmpAddress address, TransportOptions options) {
    if (options.tls().isPresent()) {
      throw new QmpConnectionException(
          address.toString(),
          "cannot listen on "
              + address
              + " with TLS: qmp4j speaks TLS as a connecting client only; refusing to listen in"
              + " plain text when TLS was asked for",
          null);
    }
    if (address instanceof QmpAddress.Unix) {
      QmpAddress.Unix unix = (QmpAddress.Unix) address;
      boolean junix = options.descriptorPassing();
      if (junix && !Junix.available()) {
        throw new QmpConnectionException(
            address.toString(),
            "cannot listen on "
                + address
                + " with descriptor passing: "
                + Junix.unavailableReason(),
            null);
      }
      SocketFile file = SocketFile.bind(unix, options, junix);
      return new ChannelListener(file.channel(), unix, file, junix);
    }
    if (address instanceof QmpAddress.Tcp) {
      return openTcp((QmpAddress.Tcp) address, options);
    }
    throw new IllegalArgumentException("cannot listen on " + address);
  }

  private static ChannelListener openTcp(QmpAddress.Tcp address, TransportOptions options) {
    ServerSocketChannel channel = null;
    try {
      channel = ServerSocketChannel.open();
      channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      InetSocketAddress bindTo =
          address.host().isEmpty()
              ? new InetSocketAddress(InetAddress.getLoopbackAddress(), address.port())
              : new InetSocketAddress(address.host(), address.port());
      if (bindTo.isUnresolved()) {
        throw new QmpConnectionException(
            address.toString(),
            "cannot listen on " + address + ": unknown host " + address.host(),
            null);
      }
      channel.bind(bindTo, options.backlog());
      channel.configureBlocking(false);
      int port = ((InetSocketAddress) channel.getLocalAddress()).getPort();
      String host =
          address.host().isEmpty()
              ? InetAddress.getLoopbackAddress().getHostAddress()
              : address.host();
      return new ChannelListener(channel, new QmpAddress.Tcp(host, port), null, false);
    } catch (IOException e) {
      Connector.closeQuietly(channel);
      throw new QmpConnectionException(
          address.toString(),
          "cannot listen on "
              + address
              + ": "
              + e.getMessage()
              + (e instanceof java.net.BindException && address.port() != 0
                  ? " (is another QEMU or qmp4j already listening on port " + address.port() + "?)"
                  : ""),
          e);
    } catch (RuntimeException e) {
      Connector.closeQuietly(channel);
      throw e;
    }
  }

  @Override
  public QmpAddress localAddress() {
    return local;
  }

  @Override
  public ServerSocketChannel channel() {
    return channel;
  }

  @Override
  public QmpConnection accept(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (acceptLock) {
      try {
        while (true) {
          if (closed) {
            throw new ClosedChannelException();
          }
          SocketChannel accepted = channel.accept();
          if (accepted != null) {
            accepted.configureBlocking(true);
            return adopt(accepted);
          }
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new QmpConnectionException(
                local.toString(),
                "no peer connected to " + local + " within " + Connector.format(timeout),
                null,
                true);
          }
          Selector s = selector();
          s.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
          s.selectedKeys().clear();
        }
      } catch (ClosedChannelException | ClosedSelectorException e) {
        throw new QmpConnectionException(
            local.toString(), "cannot accept on " + local + ": the listener is closed", e);
      } catch (IOException e) {
        throw new QmpConnectionException(
            local.toString(), "cannot accept on " + local + ": " + e.getMessage(), e);
      }
    }
  }

  private Selector selector() throws IOException {
    synchronized (stateLock) {
      if (closed) {
        throw new ClosedChannelException();
      }
      if (selector == null) {
        Selector s = channel.provider().openSelector();
        try {
          channel.register(s, SelectionKey.OP_ACCEPT);
        } catch (IOException | RuntimeException e) {
          s.close();
          throw e;
        }
        selector = s;
      }
      return selector;
    }
  }

  @Override
  public QmpConnection adopt(SocketChannel accepted) {
    Objects.requireNonNull(accepted, "accepted");
    if (local instanceof QmpAddress.Tcp) {
      try {
        accepted.setOption(StandardSocketOptions.TCP_NODELAY, true);
      } catch (IOException e) {
        // closed already: the first read or write will say so
      }
    }
    if (junix || Junix.isJunixChannel(accepted)) {
      return Junix.adopt(accepted, local);
    }
    return new SocketConnection(accepted, local);
  }

  @Override
  public boolean canPassDescriptors() {
    return junix;
  }

  @Override
  public void close() {
    Selector s;
    synchronized (stateLock) {
      if (closed) {
        return;
      }
      closed = true;
      s = selector;
    }
    if (socketFile != null) {
      // Before closing: while the socket is open its inode cannot be reused by a new file.
      socketFile.removeIfOurs();
    }
    Connector.closeQuietly(channel);
    if (s != null) {
      Connector.closeQuietly(s);
    }
  }

  @Override
  public String toString() {
    return "QmpListener[" + local + (closed ? ", closed" : "") + "]";
  }
}
