package org.qmp4j.transport.internal;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.qmp4j.protocol.QmpConnectionException;
import org.qmp4j.transport.QmpAddress;
import org.qmp4j.transport.QmpConnection;
import org.qmp4j.transport.TransportOptions;

/**
 * Client-side connects with a deadline.
 *
 * <p>A unix {@code connect} either succeeds at once, fails at once, or, when the listener's backlog
 * is full, blocks (blocking socket) or fails with EAGAIN (non-blocking socket); it never reports
 * "in progress". A blocking connect cannot be given a deadline, so unix connects are non-blocking
 * attempts, repeated with a growing pause while the backlog is full, until the deadline. The JDK
 * reports EAGAIN as a plain {@link java.net.SocketException}; junixsocket returns {@code false}
 * from {@code connect} (and its {@code finishConnect} would then claim success: it is not called).
 */
public final class Connector {
  /** Linux's {@code sun_path} holds 108 bytes including the terminating NUL. */
  public static final int MAX_UNIX_PATH_BYTES = 107;

  private static final long FIRST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long LAST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private Connector() {}

  /** Connects to a unix or TCP address; see {@code Transports.connect}. */
  public static QmpConnection connect(
      QmpAddress address, Duration timeout, TransportOptions options) {
    long deadline = System.nanoTime() + timeout.toNanos();
    if (options.tls().isPresent()) {
      if (!(address instanceof QmpAddress.Tcp)) {
        throw new QmpConnectionException(
            address.toString(),
            "cannot connect to "
                + address
                + " with TLS: TLS is supported over tcp: addresses only (as in QEMU, which"
                + " refuses tls-creds on a unix chardev)",
            null);
      }
      QmpAddress.Tcp tcp = (QmpAddress.Tcp) address;
      return TlsConnection.handshake(
          connectTcp(tcp, timeout, deadline), tcp, timeout, deadline, options);
    }
    if (address instanceof QmpAddress.Unix) {
      return connectUnix((QmpAddress.Unix) address, timeout, deadline, options);
    }
    if (address instanceof QmpAddress.Tcp) {
      return new SocketConnection(connectTcp((QmpAddress.Tcp) address, timeout, deadline), address);
    }
    throw new IllegalArgumentException("cannot connect to " + address);
  }

  private static QmpConnection connectUnix(
      QmpAddress.Unix address, Duration timeout, long deadline, TransportOptions options) {
    Path path = address.path();
    checkPathLength(address, "connect to");
    boolean junix = options.descriptorPassing();
    if (junix && !Junix.available()) {
      throw new QmpConnectionException(
          address.toString(),
          "cannot connect to " + address + " with descriptor passing: " + Junix.unavailableReason(),
          null);
    }
    long pause = FIRST_PAUSE_NANOS;
    IOException busy = null;
    while (true) {
      SocketChannel channel = null;
      boolean done = false;
      try {
        SocketAddress target;
        if (junix) {
          channel = JunixSupport.openChannel();
          target = JunixSupport.socketAddress(path);
        } else {
          channel = SocketChannel.open(StandardProtocolFamily.UNIX);
          target = UnixDomainSocketAddress.of(path);
        }
        channel.configureBlocking(false);
        boolean connected;
        try {
          connected = channel.connect(target);
        } catch (IOException e) {
          if (junix || !mayBeBacklogFull(path, e)) {
            throw unixFailure(address, e);
          }
          connected = false;
          busy = e;
        }
        if (connected) {
          channel.configureBlocking(true);
          QmpConnection connection =
              junix ? Junix.adopt(channel, address) : new SocketConnection(channel, address);
          done = true;
          return connection;
        }
      } catch (IOException e) {
        throw unixFailure(address, e);
      } finally {
        if (!done) {
          closeQuietly(channel);
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new QmpConnectionException(
            address.toString(),
            "cannot connect to "
                + address
                + ": timed out after "
                + format(timeout)
                + " (a process listens on the socket but does not accept: its backlog is full;"
                + " QEMU serves one client per monitor: is another client connected?)",
            busy,
            true);
      }
      sleep(address, Math.min(pause, left));
      pause = Math.min(pause * 2, LAST_PAUSE_NANOS);
    }
  }

  /**
   * Whether a failed non-blocking JDK connect may be EAGAIN (backlog full), to be retried: the JDK
   * throws {@link ConnectException} for ECONNREFUSED and {@link BindException} for EACCES, and a
   * plain {@link java.net.SocketException} for the rest, EAGAIN included; those are retried only
   * while the path is a socket this user may connect to.
   */
  private static boolean mayBeBacklogFull(Path path, IOException e) {
    return !(e instanceof ConnectException)
        && !(e instanceof BindException)
        && e instanceof java.net.SocketException
        && AddressParser.isSocket(path)
        && Files.isWritable(path);
  }

  /** A connect failure with what is known about the socket file. */
  static QmpConnectionException unixFailure(QmpAddress.Unix address, IOException e) {
    Path path = address.path();
    String detail = e.getMessage() != null ? e.getMessage() : e.toString();
    String hint;
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS) && !Files.exists(path)) {
      detail = "No such file or directory";
      hint = "is QEMU running with -qmp " + address + ",server=on?";
    } else if (!AddressParser.isSocket(path)) {
      detail = "not a socket";
      hint = "the path exists but is not a unix socket file";
    } else if (!Files.isWritable(path)) {
      hint = "connecting needs write permission on the socket file";
    } else if (e instanceof ConnectException
        || detail.toLowerCase(java.util.Locale.ROOT).contains("refused")) {
      detail = "Connection refused";
      hint = "the socket file exists but nothing listens on it: left behind by a QEMU that exited?";
    } else {
      hint = null;
    }
    return new QmpConnectionException(
        address.toString(),
        "cannot connect to " + address + ": " + detail + (hint != null ? " (" + hint + ")" : ""),
        e);
  }

  /** A connected TCP channel in blocking mode, {@code TCP_NODELAY} on. */
  private static SocketChannel connectTcp(QmpAddress.Tcp address, Duration timeout, long deadline) {
    if (address.port() == 0) {
      throw new QmpConnectionException(
          address.toString(),
          "cannot connect to " + address + ": port 0 is only for listening",
          null);
    }
    InetAddress[] candidates;
    try {
      candidates =
          address.host().isEmpty()
              ? new InetAddress[] {InetAddress.getLoopbackAddress()}
              : InetAddress.getAllByName(address.host());
    } catch (UnknownHostException e) {
      throw new QmpConnectionException(
          address.toString(),
          "cannot connect to " + address + ": unknown host " + address.host(),
          e);
    }
    List<String> refused = new ArrayList<>();
    IOException last = null;
    for (InetAddress candidate : candidates) {
      SocketChannel channel = null;
      boolean done = false;
      try {
        channel = SocketChannel.open();
        channel.configureBlocking(false);
        boolean connected = channel.connect(new InetSocketAddress(candidate, address.port()));
        if (!connected) {
          try (Selector selector = channel.provider().openSelector()) {
            channel.register(selector, SelectionKey.OP_CONNECT);
            while (!connected) {
              long left = deadline - System.nanoTime();
              if (left <= 0) {
                throw new QmpConnectionException(
                    address.toString(),
                    "cannot connect to "
                        + address
                        + ": timed out after "
                        + format(timeout)
                        + " (trying "
                        + candidate.getHostAddress()
                        + "; a firewall dropping packets, or a listener whose backlog is full?)",
                    last,
                    true);
              }
              selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
              selector.selectedKeys().clear();
              connected = channel.finishConnect();
            }
          }
        }
        channel.configureBlocking(true);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        done = true;
        return channel;
      } catch (IOException e) {
        last = e;
        refused.add(
            candidate.getHostAddress() + ": " + (e.getMessage() != null ? e.getMessage() : e));
      } finally {
        if (!done) {
          closeQuietly(channel);
        }
      }
    }
    String detail =
        refused.size() == 1
            ? refused.get(0).substring(refused.get(0).indexOf(": ") + 2)
            : String.join("; ", refused);
    String hint =
        last instanceof ConnectException
            ? " (is QEMU running with -qmp " + address + ",server=on?)"
            : "";
    throw new QmpConnectionException(
        address.toString(), "cannot connect to " + address + ": " + detail + hint, last);
  }

  /** Fails if a unix path does not fit in {@code sun_path}. */
  public static void checkPathLength(QmpAddress.Unix address, String what) {
    int bytes = address.path().toString().getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_UNIX_PATH_BYTES) {
      throw new QmpConnectionException(
          address.toString(),
          "cannot "
              + what
              + " "
              + address
              + ": the path is "
              + bytes
              + " bytes long, and a unix socket path may have at most "
              + MAX_UNIX_PATH_BYTES
              + " (use a shorter or a relative path)",
          null);
    }
  }

  /** "10 s" or "250 ms". */
  public static String format(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
  }

  private static void sleep(QmpAddress address, long nanos) {
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QmpConnectionException(
          address.toString(), "cannot connect to " + address + ": interrupted", e);
    }
  }

  static void closeQuietly(java.io.Closeable c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException e) {
        // nothing more to do
      }
    }
  }
}
