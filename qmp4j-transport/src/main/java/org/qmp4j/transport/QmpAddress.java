package org.qmp4j.transport;

import java.nio.file.Path;
import java.util.Objects;
import org.qmp4j.transport.internal.AddressParser;

/**
 * Where a QMP peer is reached or where we listen for one: a unix domain socket, a TCP endpoint or
 * the process's standard input and output.
 *
 * <p>Addresses are values: equal when their parts are equal. {@link #toString()} gives the
 * canonical text form, which {@link #parse(String)} reads back to an equal address: {@code
 * unix:/run/qemu/vm1.sock}, {@code tcp:127.0.0.1:4444}, {@code tcp:[::1]:4444}, {@code stdio}.
 */
public sealed interface QmpAddress permits QmpAddress.Unix, QmpAddress.Tcp, QmpAddress.Stdio {

  /** The one {@link Stdio} address. */
  Stdio STDIO = new Stdio();

  /** The forms {@link #parse(String)} accepts, as quoted in its error messages. */
  String ACCEPTED_FORMS =
      "unix:PATH, tcp:HOST:PORT, tcp:[IPV6]:PORT, PATH (containing '/' or naming an existing"
          + " socket file), HOST:PORT, [IPV6]:PORT, '-' or 'stdio'";

  /**
   * A unix domain (AF_UNIX) stream socket named by a file system path. The path is kept as given
   * (relative paths are resolved against the working directory when used). Linux limits the path to
   * 107 bytes; longer ones fail when used, not here.
   */
  record Unix(Path path) implements QmpAddress {
    public Unix {
      Objects.requireNonNull(path, "path");
      if (path.toString().isEmpty()) {
        throw new IllegalArgumentException("a unix socket address needs a non-empty path");
      }
    }

    @Override
    public String toString() {
      return "unix:" + path;
    }
  }

  /**
   * A TCP endpoint. {@code host} is a host name, an IPv4 literal or an IPv6 literal without
   * brackets; the empty string means the loopback address (for both connecting and listening: we
   * never listen on every interface unless told to with {@code 0.0.0.0} or {@code ::}). Port 0 is
   * valid for listening (an ephemeral port) but not for connecting.
   */
  record Tcp(String host, int port) implements QmpAddress {
    public Tcp {
      Objects.requireNonNull(host, "host");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException(
            "TCP port out of range (0 to 65535): " + port + " in " + format(host, port));
      }
      if (host.startsWith("[") || host.endsWith("]")) {
        throw new IllegalArgumentException(
            "give an IPv6 host without brackets (brackets belong to the text form): " + host);
      }
    }

    @Override
    public String toString() {
      return format(host, port);
    }

    private static String format(String host, int port) {
      return host.indexOf(':') >= 0 ? "tcp:[" + host + "]:" + port : "tcp:" + host + ":" + port;
    }
  }

  /**
   * The process's standard input (bytes from the peer) and standard output (bytes to the peer).
   * Blocking only; see {@link Transports#stdio()}.
   */
  record Stdio() implements QmpAddress {
    @Override
    public String toString() {
      return "stdio";
    }
  }

  /** A unix socket address. */
  static Unix unix(Path path) {
    return new Unix(path);
  }

  /** A unix socket address. */
  static Unix unix(String path) {
    return new Unix(Path.of(path));
  }

  /** A TCP address. */
  static Tcp tcp(String host, int port) {
    return new Tcp(host, port);
  }

  /**
   * Reads an address in one of these forms:
   *
   * <ul>
   *   <li>{@code unix:PATH} → {@link Unix};
   *   <li>{@code tcp:HOST:PORT}, {@code tcp:[IPV6]:PORT}, {@code tcp::PORT} (loopback) → {@link
   *       Tcp};
   *   <li>{@code -} or {@code stdio} → {@link Stdio};
   *   <li>{@code [IPV6]:PORT} → {@link Tcp};
   *   <li>a bare {@code PATH} that contains {@code /} or names an existing socket file → {@link
   *       Unix};
   *   <li>{@code HOST:PORT} → {@link Tcp}.
   * </ul>
   *
   * QEMU's chardev options ({@code unix:/x.sock,server=on,wait=off}) are not part of an address and
   * are refused with a message that says so.
   *
   * @throws IllegalArgumentException with a message that names the text and the accepted forms
   */
  static QmpAddress parse(String text) {
    return AddressParser.parse(text);
  }
}
