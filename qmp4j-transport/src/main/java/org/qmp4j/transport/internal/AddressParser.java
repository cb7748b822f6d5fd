package org.qmp4j.transport.internal;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.qmp4j.transport.QmpAddress;

/** The parser behind {@link QmpAddress#parse(String)}. */
public final class AddressParser {
  private static final Pattern DIGITS = Pattern.compile("[0-9]+");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]*");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?");
  private static final Pattern QEMU_OPTION =
      Pattern.compile(
          ",(server|wait|nowait|nodelay|reconnect|telnet|tn3270|tls-creds|tls-authz|abstract"
              + "|tight|to|ipv4|ipv6|websocket|id|mux|logfile|logappend)(=|,|$)");
  private static final Pattern SCHEME = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*):(.*)");

  /** Unix file type bits of a socket, as in {@code stat.st_mode & S_IFMT}. */
  private static final int S_IFMT = 0170000;

  private static final int S_IFSOCK = 0140000;

  private AddressParser() {}

  /** See {@link QmpAddress#parse(String)}. */
  public static QmpAddress parse(String text) {
    Objects.requireNonNull(text, "address");
    String s = text.strip();
    if (s.isEmpty()) {
      throw error(text, "the address is empty");
    }
    if (s.equals("-") || s.equalsIgnoreCase("stdio")) {
      return QmpAddress.STDIO;
    }
    Matcher option = QEMU_OPTION.matcher(s);
    if (option.find()) {
      throw error(
          text,
          "QEMU's chardev options ('"
              + s.substring(option.start())
              + "') are not part of an address; use '"
              + s.substring(0, option.start())
              + "'");
    }
    String lower = s.toLowerCase(Locale.ROOT);
    if (lower.startsWith("unix:")) {
      String path = s.substring("unix:".length());
      if (path.isEmpty()) {
        throw error(text, "unix: needs a path, as in unix:/run/qemu/vm1.sock");
      }
      return new QmpAddress.Unix(path(text, path));
    }
    if (lower.startsWith("tcp:")) {
      return hostPort(text, s.substring("tcp:".length()));
    }
    if (s.startsWith("[")) {
      return hostPort(text, s);
    }
    if (s.indexOf('/') >= 0 || isSocketFile(s)) {
      return new QmpAddress.Unix(path(text, s));
    }
    int colon = s.indexOf(':');
    if (colon >= 0
        && colon == s.lastIndexOf(':')
        && HOST.matcher(s.substring(0, colon)).matches()
        && DIGITS.matcher(s.substring(colon + 1)).matches()) {
      return hostPort(text, s);
    }
    Matcher scheme = SCHEME.matcher(s);
    if (scheme.matches() && scheme.group(1).equalsIgnoreCase("tls")) {
      throw error(
          text,
          "TLS is not part of the address: use tcp:"
              + scheme.group(2)
              + " and switch TLS on in the options (TransportOptions.Builder.tls(SSLContext),"
              + " QmpClient.Builder.tls(SSLContext))");
    }
    if (scheme.matches()) {
      throw error(text, "unsupported address type '" + scheme.group(1) + ":'");
    }
    throw error(text, "no such socket file, and not of the form HOST:PORT");
  }

  private static QmpAddress.Tcp hostPort(String text, String s) {
    String host;
    String port;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
        throw error(text, "an IPv6 address needs the form [IPV6]:PORT, as in [::1]:4444");
      }
      host = s.substring(1, close);
      port = s.substring(close + 2);
      if (!IPV6.matcher(host).matches() || host.indexOf(':') < 0) {
        throw error(text, "'" + host + "' is not an IPv6 address");
      }
    } else {
      int colon = s.lastIndexOf(':');
      if (colon < 0) {
        throw error(text, "tcp: needs HOST:PORT, as in tcp:127.0.0.1:4444");
      }
      host = s.substring(0, colon);
      port = s.substring(colon + 1);
      if (host.indexOf(':') >= 0) {
        throw error(text, "put an IPv6 host in brackets, as in tcp:[::1]:4444");
      }
      if (!HOST.matcher(host).matches()) {
        throw error(text, "'" + host + "' is not a host name or IP address");
      }
    }
    if (!DIGITS.matcher(port).matches()) {
      throw error(text, "'" + port + "' is not a port number");
    }
    if (port.length() > 5 || Integer.parseInt(port) > 65535) {
      throw error(text, "port " + port + " is out of range (0 to 65535)");
    }
    return new QmpAddress.Tcp(host, Integer.parseInt(port));
  }

  private static Path path(String text, String path) {
    try {
      return Path.of(path);
    } catch (InvalidPathException e) {
      throw error(text, "not a valid path: " + e.getReason());
    }
  }

  /** Whether {@code s} names an existing socket file (following symbolic links). */
  static boolean isSocketFile(String s) {
    try {
      return isSocket(Path.of(s));
    } catch (InvalidPathException e) {
      return false;
    }
  }

  /** Whether {@code path} is an existing socket file (following symbolic links). */
  public static boolean isSocket(Path path) {
    try {
      Object mode = Files.getAttribute(path, "unix:mode");
      return mode instanceof Integer && (((Integer) mode) & S_IFMT) == S_IFSOCK;
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      // No "unix" attribute view: the best we can say is "not a file, directory or link".
      try {
        return Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class)
            .isOther();
      } catch (java.io.IOException e2) {
        return false;
      }
    } catch (java.io.IOException | SecurityException e) {
      return false;
    }
  }

  private static IllegalArgumentException error(String text, String why) {
    return new IllegalArgumentException(
        "not a QMP address: '"
            + text
            + "': "
            + why
            + ". Accepted forms: "
            + QmpAddress.ACCEPTED_FORMS);
  }
}
