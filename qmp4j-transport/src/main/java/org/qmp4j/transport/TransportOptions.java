package org.qmp4j.transport;

import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLContext;

/**
 * How connections and listeners are made. Immutable; start from {@link #DEFAULTS} or {@link
 * #newBuilder()}.
 */
public final class TransportOptions {

  /** Socket files are created readable and writable by their owner only (mode 0600). */
  public static final Set<PosixFilePermission> DEFAULT_SOCKET_FILE_PERMISSIONS =
      Set.copyOf(PosixFilePermissions.fromString("rw-------"));

  /** Pending connections a listener queues before peers wait in {@code connect}. */
  public static final int DEFAULT_BACKLOG = 16;

  /** JDK channels, no descriptor passing, no TLS, mode 0600, backlog 16. */
  public static final TransportOptions DEFAULTS = newBuilder().build();

  private final boolean descriptorPassing;
  private final Set<PosixFilePermission> socketFilePermissions;
  private final int backlog;
  private final SSLContext tls;
  private final boolean tlsHostnameVerification;

  private TransportOptions(Builder b) {
    this.descriptorPassing = b.descriptorPassing;
    this.socketFilePermissions = Set.copyOf(b.socketFilePermissions);
    this.backlog = b.backlog;
    this.tls = b.tls;
    this.tlsHostnameVerification = b.tlsHostnameVerification;
  }

  /** A builder with the defaults. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** A builder that starts from these options. */
  public Builder toBuilder() {
    return new Builder()
        .descriptorPassing(descriptorPassing)
        .socketFilePermissions(socketFilePermissions)
        .backlog(backlog)
        .tls(tls)
        .tlsHostnameVerification(tlsHostnameVerification);
  }

  /** Whether unix connections and listeners can pass descriptors (through junixsocket). */
  public boolean descriptorPassing() {
    return descriptorPassing;
  }

  /** The permissions a unix listener gives its socket file. */
  public Set<PosixFilePermission> socketFilePermissions() {
    return socketFilePermissions;
  }

  /** The listen backlog. */
  public int backlog() {
    return backlog;
  }

  /** The TLS context TCP connections are made with, if TLS is on. */
  public Optional<SSLContext> tls() {
    return Optional.ofNullable(tls);
  }

  /** Whether a TLS connection checks that the server's certificate names the host connected to. */
  public boolean tlsHostnameVerification() {
    return tlsHostnameVerification;
  }

  @Override
  public String toString() {
    return "TransportOptions[descriptorPassing="
        + descriptorPassing
        + ", socketFilePermissions="
        + PosixFilePermissions.toString(EnumSet.copyOf(socketFilePermissionsOrNone()))
        + ", backlog="
        + backlog
        + (tls != null
            ? ", tls=" + tls.getProtocol() + ", tlsHostnameVerification=" + tlsHostnameVerification
            : "")
        + "]";
  }

  private Set<PosixFilePermission> socketFilePermissionsOrNone() {
    return socketFilePermissions.isEmpty()
        ? EnumSet.noneOf(PosixFilePermission.class)
        : socketFilePermissions;
  }

  /** Builds {@link TransportOptions}. */
  public static final class Builder {
    private boolean descriptorPassing;
    private Set<PosixFilePermission> socketFilePermissions = DEFAULT_SOCKET_FILE_PERMISSIONS;
    private int backlog = DEFAULT_BACKLOG;
    private SSLContext tls;
    private boolean tlsHostnameVerification = true;

    private Builder() {}

    /**
     * Use junixsocket for unix sockets so that {@link QmpConnection#write(java.nio.ByteBuffer,
     * java.io.FileDescriptor...)} can pass descriptors and {@link
     * QmpConnection#receivedDescriptors()} can receive them. Off by default: the JDK's own channels
     * are used. Has no effect on TCP and stdio.
     */
    public Builder descriptorPassing(boolean enabled) {
      this.descriptorPassing = enabled;
      return this;
    }

    /**
     * The permissions a unix listener gives its socket file (default {@link
     * #DEFAULT_SOCKET_FILE_PERMISSIONS}). Connecting needs write permission on the file.
     */
    public Builder socketFilePermissions(Set<PosixFilePermission> permissions) {
      this.socketFilePermissions = Set.copyOf(Objects.requireNonNull(permissions, "permissions"));
      return this;
    }

    /** As {@link #socketFilePermissions(Set)}, in {@code ls} form such as {@code "rw-rw----"}. */
    public Builder socketFilePermissions(String permissions) {
      return socketFilePermissions(PosixFilePermissions.fromString(permissions));
    }

    /** The listen backlog, at least 1 (default {@link #DEFAULT_BACKLOG}). */
    public Builder backlog(int backlog) {
      if (backlog < 1) {
        throw new IllegalArgumentException("backlog must be at least 1: " + backlog);
      }
      this.backlog = backlog;
      return this;
    }

    /**
     * Speak TLS on TCP connections, as to a QEMU whose monitor chardev has {@code tls-creds=ID}
     * ({@code -object tls-creds-x509,id=ID,dir=DIR,endpoint=server}); {@code null} (the default)
     * for plain TCP.
     *
     * <ul>
     *   <li>The context's trust managers decide which server certificates are accepted: build it
     *       from a trust store holding QEMU's CA ({@code DIR/ca-cert.pem}). {@link
     *       SSLContext#getDefault()} trusts the JDK's public CAs only.
     *   <li>For QEMU's {@code verify-peer=on} (its default), the context's key managers must hold a
     *       client certificate and key issued by a CA that QEMU trusts; QEMU closes the connection
     *       otherwise.
     *   <li>The server's certificate must name the host connected to (a DNS or IP address subject
     *       alternative name), unless {@link #tlsHostnameVerification(boolean)} is switched off.
     *   <li>The TCP connect and the TLS handshake together take at most the connect timeout.
     *       Failures are {@link org.qmp4j.protocol.QmpConnectionException}s that say what failed:
     *       an untrusted certificate, a host name mismatch, a peer that does not speak TLS, a peer
     *       that closed during the handshake.
     *   <li>A TLS connection is blocking only: its {@link QmpConnection#socketChannel()} is empty,
     *       and it cannot pass descriptors.
     * </ul>
     *
     * TLS applies to connecting to {@code tcp:} addresses only: connecting to a unix socket with
     * TLS on, and listening with TLS on, fail rather than fall back to plain text.
     */
    public Builder tls(SSLContext context) {
      this.tls = context;
      return this;
    }

    /**
     * Whether a TLS connection checks the server certificate's subject alternative names against
     * the host connected to (default true, as HTTPS does: a DNS name for a host name, an IP address
     * for an IP literal, so {@code tcp:127.0.0.1:4444} needs {@code IP:127.0.0.1} in the
     * certificate). Switch it off only for certificates that cannot name the host, such as test
     * certificates; the chain must still be trusted.
     */
    public Builder tlsHostnameVerification(boolean enabled) {
      this.tlsHostnameVerification = enabled;
      return this;
    }

    public TransportOptions build() {
      return new TransportOptions(this);
    }
  }
}
