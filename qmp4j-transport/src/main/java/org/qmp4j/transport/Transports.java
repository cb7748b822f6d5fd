package org.qmp4j.transport;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.channels.Channel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import org.qmp4j.protocol.QmpConnectionException;
import org.qmp4j.transport.internal.ChannelListener;
import org.qmp4j.transport.internal.Connector;
import org.qmp4j.transport.internal.Junix;
import org.qmp4j.transport.internal.SocketConnection;
import org.qmp4j.transport.internal.StdioConnection;

/**
 * Opens connections and listeners. Every method is thread-safe; every failure to connect or listen
 * is a {@link QmpConnectionException} whose message names the address, what was tried and, where
 * one is likely, the cause.
 */
public final class Transports {

  /** A connect timeout for callers that have no better idea. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private Transports() {}

  /**
   * Connects to a QMP peer with JDK channels and returns the connection in blocking mode.
   *
   * @see #connect(QmpAddress, Duration, TransportOptions)
   */
  public static QmpConnection connect(QmpAddress address, Duration timeout) {
    return connect(address, timeout, TransportOptions.DEFAULTS);
  }

  /**
   * Connects to a QMP peer and returns the connection in blocking mode.
   *
   * <ul>
   *   <li>unix: fails at once if the socket file does not exist or nothing listens on it; waits up
   *       to {@code timeout} while the listener's backlog is full (QEMU accepts one client per
   *       monitor and leaves the next ones waiting);
   *   <li>tcp: tries each address the host name resolves to until one accepts or {@code timeout}
   *       runs out; {@code TCP_NODELAY} is on;
   *   <li>stdio: returns {@link #stdio()}; the timeout does not apply.
   * </ul>
   *
   * With {@link TransportOptions.Builder#tls TLS} on, a tcp connection then runs the TLS handshake
   * within what is left of {@code timeout} and returns a blocking connection without a {@link
   * QmpConnection#socketChannel() socket channel}; a unix address fails.
   *
   * @throws QmpConnectionException if the connection could not be made within {@code timeout}
   */
  public static QmpConnection connect(
      QmpAddress address, Duration timeout, TransportOptions options) {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(options, "options");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("the connect timeout must be positive: " + timeout);
    }
    if (address instanceof QmpAddress.Stdio) {
      return stdio();
    }
    return Connector.connect(address, timeout, options);
  }

  /**
   * Listens on a unix socket file or TCP port with JDK channels.
   *
   * @see #listen(QmpAddress, TransportOptions)
   */
  public static QmpListener listen(QmpAddress address) {
    return listen(address, TransportOptions.DEFAULTS);
  }

  /**
   * Listens on a unix socket file or TCP port.
   *
   * <ul>
   *   <li>unix: creates the socket file with {@link TransportOptions#socketFilePermissions()} (0600
   *       by default) without a window in which it has other permissions; replaces a stale socket
   *       file nothing listens on; refuses a path where a live listener is or that is not a socket;
   *   <li>tcp: binds the given host, the loopback address if the host is empty; port 0 picks a free
   *       port ({@link QmpListener#localAddress()} tells which).
   * </ul>
   *
   * @throws QmpConnectionException if the address cannot be listened on
   * @throws IllegalArgumentException for {@link QmpAddress.Stdio}
   */
  public static QmpListener listen(QmpAddress address, TransportOptions options) {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(options, "options");
    if (address instanceof QmpAddress.Stdio) {
      throw new IllegalArgumentException("cannot listen on stdio; use a unix: or tcp: address");
    }
    return ChannelListener.open(address, options);
  }

  /**
   * Wraps an open, connected socket channel: one inherited from the parent process ({@link
   * System#inheritedChannel()}), one end of a socket pair, one accepted elsewhere. The connection
   * owns the channel from now on and keeps its blocking mode. A junixsocket channel ({@code
   * org.newsclub.net.unix.AFUNIXSocketChannel}) gives a connection that can pass descriptors.
   */
  public static QmpConnection adopt(SocketChannel channel) {
    Objects.requireNonNull(channel, "channel");
    if (Junix.isJunixChannel(channel)) {
      return Junix.adopt(channel, null);
    }
    return new SocketConnection(channel, null);
  }

  /**
   * A connection over the process's standard input and output, for a QMP peer that runs us as a
   * child process with pipes. Blocking only; closing it closes file descriptors 0 and 1 (so nothing
   * else may print to {@link System#out} while it is in use). If standard input is a socket ({@link
   * System#inheritedChannel()}, as with socket activation), that socket is used instead, with
   * non-blocking mode and half-close available.
   */
  public static QmpConnection stdio() {
    try {
      Channel inherited = System.inheritedChannel();
      if (inherited instanceof SocketChannel && ((SocketChannel) inherited).isConnected()) {
        return new SocketConnection((SocketChannel) inherited, QmpAddress.STDIO);
      }
    } catch (IOException | SecurityException e) {
      // fall back to the streams
    }
    return new StdioConnection(
        new FileInputStream(FileDescriptor.in), new FileOutputStream(FileDescriptor.out));
  }

  /**
   * Whether descriptor passing can be used here: junixsocket is on the class path and its native
   * library loads on this platform.
   */
  public static boolean descriptorPassingAvailable() {
    return Junix.available();
  }
}
