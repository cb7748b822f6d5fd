package org.qmp4j.transport.internal;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.qmp4j.protocol.QmpConnectionException;
import org.qmp4j.transport.QmpAddress;
import org.qmp4j.transport.TransportOptions;

/**
 * A TLS client connection: a JDK {@link SSLSocket} layered over a connected TCP channel's socket.
 * Blocking only; it has no {@link #socketChannel()}, so readers read through it on a thread of
 * their own (see docs/decisions/0006).
 *
 * <p>Closing closes the TCP channel first, which wakes a blocked reader or writer at once, and the
 * TLS socket after it: no {@code close_notify} is sent (QMP frames its own messages, so a truncated
 * stream cannot be mistaken for a complete one, and a close must never wait for a stuck peer).
 */
public final class TlsConnection extends WithoutDescriptors {
  private static final int READ_CHUNK = 16 * 1024;

  private final SocketChannel channel;
  private final SSLSocket socket;
  private final InputStream in;
  private final OutputStream out;
  private final QmpAddress.Tcp address;
  private volatile boolean closed;
  private volatile boolean received;

  private TlsConnection(SocketChannel channel, SSLSocket socket, QmpAddress.Tcp address)
      throws IOException {
    this.channel = channel;
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.address = address;
  }

  /**
   * Runs the TLS handshake over {@code channel} (connected, blocking) before {@code deadline}.
   * Closes the channel if it fails.
   */
  static TlsConnection handshake(
      SocketChannel channel,
      QmpAddress.Tcp address,
      Duration timeout,
      long deadline,
      TransportOptions options) {
    SSLContext context = options.tls().orElseThrow();
    String host =
        address.host().isEmpty()
            ? InetAddress.getLoopbackAddress().getHostAddress()
            : address.host();
    SSLSocket socket = null;
    boolean done = false;
    try {
      socket =
          (SSLSocket)
              context.getSocketFactory().createSocket(channel.socket(), host, address.port(), true);
      socket.setUseClientMode(true);
      SSLParameters parameters = socket.getSSLParameters();
      if (options.tlsHostnameVerification()) {
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
      }
      socket.setSSLParameters(parameters);
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new SocketTimeoutException("no time left for the TLS handshake");
      }
      socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, toMillis(left))));
      socket.startHandshake();
      socket.setSoTimeout(0);
      TlsConnection connection = new TlsConnection(channel, socket, address);
      done = true;
      return connection;
    } catch (IOException e) {
      throw handshakeFailure(address, host, timeout, e);
    } finally {
      if (!done) {
        Connector.closeQuietly(channel);
        Connector.closeQuietly(socket);
      }
    }
  }

  private static long toMillis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos + TimeUnit.MILLISECONDS.toNanos(1) - 1);
  }

  /** A handshake failure, with what is known about its cause. */
  static QmpConnectionException handshakeFailure(
      QmpAddress.Tcp address, String host, Duration timeout, IOException e) {
    String prefix = "cannot connect to " + address + " with TLS: ";
    if (e instanceof SocketTimeoutException) {
      return new QmpConnectionException(
          address.toString(),
          prefix
              + "the TLS handshake timed out after "
              + Connector.format(timeout)
              + " (the TCP connection was made, but the peer did not answer the TLS hello: is it"
              + " busy with another client, or not a TLS server?)",
          e,
          true);
    }
    return new QmpConnectionException(address.toString(), prefix + describe(e, host), e);
  }

  /** What went wrong in a TLS handshake, in words, with a hint. */
  static String describe(IOException e, String host) {
    String message = String.valueOf(e.getMessage());
    String lower = message.toLowerCase(Locale.ROOT);
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof CertificateExpiredException
          || t instanceof CertificateNotYetValidException) {
        return "the server's certificate is not valid now ("
            + t.getMessage()
            + "): check its validity dates and the clocks";
      }
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof CertPathBuilderException || t instanceof CertPathValidatorException) {
        return "the server's certificate is not trusted ("
            + firstLine(t.getMessage())
            + "): the SSLContext's trust managers must trust the CA that issued it (QEMU's"
            + " ca-cert.pem in the tls-creds-x509 dir)";
      }
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage());
      if (t instanceof java.security.cert.CertificateException
          && (m.startsWith("No subject alternative") || m.startsWith("No name matching"))) {
        return "the server's certificate does not name the host "
            + host
            + " ("
            + m
            + "): connect with a host name its certificate names, add a subjectAltName for "
            + host
            + " to it, or switch hostname verification off"
            + " (TransportOptions.Builder.tlsHostnameVerification(false))";
      }
    }
    if (lower.contains("unsupported or unrecognized ssl message")
        || lower.contains("plaintext connection")) {
      return "the peer does not speak TLS ("
          + message
          + "): a QMP server without tls-creds answers in plain text; connect without TLS, or"
          + " give QEMU's chardev tls-creds=ID";
    }
    if (lower.contains("received fatal alert")) {
      String alert = message.substring(lower.indexOf("received fatal alert") + 21).trim();
      return "the server refused the TLS handshake (alert " + alert + ")" + alertHint(alert);
    }
    if (e instanceof EOFException
        || lower.contains("remote host terminated")
        || lower.contains("connection reset")
        || lower.contains("broken pipe")) {
      return "the peer closed the connection during the TLS handshake ("
          + message
          + "): is it a TLS server? a QEMU with verify-peer=on closes when the client has no"
          + " certificate it trusts";
    }
    return "the TLS handshake failed (" + e + ")";
  }

  private static String alertHint(String alert) {
    switch (alert) {
      case "certificate_required":
      case "bad_certificate":
      case "unknown_ca":
      case "access_denied":
        return ": a QEMU with verify-peer=on wants a client certificate issued by a CA in its"
            + " ca-cert.pem; give the SSLContext key managers that hold one";
      case "handshake_failure":
      case "protocol_version":
      case "insufficient_security":
        return ": no TLS version or cipher suite in common with the server";
      default:
        return "";
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "no reason given";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  @Override
  public Optional<QmpAddress> address() {
    return Optional.of(address);
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (!dst.hasRemaining()) {
      return 0;
    }
    try {
      int n;
      if (dst.hasArray()) {
        n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
        if (n > 0) {
          dst.position(dst.position() + n);
        }
      } else {
        byte[] b = new byte[Math.min(READ_CHUNK, dst.remaining())];
        n = in.read(b, 0, b.length);
        if (n > 0) {
          dst.put(b, 0, n);
        }
      }
      if (n > 0) {
        received = true;
      } else if (n < 0 && !received && !closed) {
        throw new EOFException(closedBeforeData());
      }
      return n;
    } catch (EOFException e) {
      throw e;
    } catch (IOException e) {
      throw readFailure(e);
    }
  }

  /**
   * Why a server may close a TLS connection right after the handshake, before sending a byte: with
   * TLS 1.3 the client finishes its handshake first, and a QEMU with {@code verify-peer=on} checks
   * the client's certificate only then, and closes without an alert if it has none or distrusts it.
   */
  private String closedBeforeData() {
    java.security.cert.Certificate[] mine = socket.getSession().getLocalCertificates();
    String presented =
        mine == null || mine.length == 0
            ? "no client certificate was presented"
            : "the client certificate presented ("
                + (mine[0] instanceof java.security.cert.X509Certificate
                    ? ((java.security.cert.X509Certificate) mine[0])
                        .getSubjectX500Principal()
                        .getName()
                    : mine[0].getType())
                + ") may not be issued by a CA it trusts";
    return "the server closed the TLS connection to "
        + address
        + " right after the handshake, before sending anything: "
        + presented
        + "; a QEMU with verify-peer=on wants a client certificate issued by the CA in its"
        + " ca-cert.pem (give the SSLContext key managers that hold one)";
  }

  /**
   * A failed read. With TLS 1.3 a server that rejects the client's certificate (QEMU with {@code
   * verify-peer=on}) does so after the client has finished its handshake, so it shows on the first
   * read: said in so many words.
   */
  private IOException readFailure(IOException e) {
    if (closed) {
      AsynchronousCloseException ace = new AsynchronousCloseException();
      ace.initCause(e);
      return ace;
    }
    if (!received && e instanceof SSLException) {
      return new SSLException(
          "TLS connection to "
              + address
              + " failed before any data arrived: "
              + describe(e, address.host()),
          e);
    }
    return e;
  }

  /**
   * Writes all of {@code src}, its last byte in a TLS record of its own.
   *
   * <p>QEMU 7.2 reads a monitor one byte per wake-up and wakes only when the socket is readable;
   * its TLS library decrypts a whole record at a time, so all but the first byte of the last record
   * to arrive would wait, undecoded, until the next record came (measured: a command was answered
   * only when the next one arrived). A final one-byte record is consumed whole by one read, and the
   * records before it are drained while it waits in the socket: nothing is left behind. The bytes
   * on the wire are the same, in one more record.
   */
  @Override
  public int write(ByteBuffer src) throws IOException {
    if (closed) {
      throw new ClosedChannelException();
    }
    int n = src.remaining();
    try {
      if (src.hasArray()) {
        writeRecords(src.array(), src.arrayOffset() + src.position(), n);
        src.position(src.limit());
      } else {
        byte[] b = new byte[n];
        src.get(b);
        writeRecords(b, 0, n);
      }
      return n;
    } catch (IOException e) {
      if (closed) {
        AsynchronousCloseException ace = new AsynchronousCloseException();
        ace.initCause(e);
        throw ace;
      }
      throw e;
    }
  }

  private void writeRecords(byte[] b, int off, int len) throws IOException {
    if (len > 1) {
      out.write(b, off, len - 1);
    }
    if (len > 0) {
      out.write(b, off + len - 1, 1);
    }
  }

  @Override
  String cannotPassReason() {
    return "cannot pass file descriptors over "
        + address
        + " (TLS): descriptor passing needs a unix socket";
  }

  @Override
  public void shutdownOutput() throws IOException {
    socket.shutdownOutput();
  }

  /** Always empty: the channel carries ciphertext. */
  @Override
  public Optional<SocketChannel> socketChannel() {
    return Optional.empty();
  }

  /** The negotiated TLS protocol, e.g. {@code TLSv1.3}, for diagnostics. */
  public String protocol() {
    return socket.getSession().getProtocol();
  }

  @Override
  public boolean isOpen() {
    return !closed && channel.isOpen();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    try {
      channel.close();
    } finally {
      Connector.closeQuietly(socket);
    }
  }

  @Override
  public String toString() {
    return "TlsConnection[" + address + (isOpen() ? "" : ", closed") + "]";
  }
}
