package org.qmp4j.transport;

import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

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

  /** JDK channels, no descriptor passing, mode 0600, backlog 16. */
  public static final TransportOptions DEFAULTS = newBuilder().build();

  private final boolean descriptorPassing;
  private final Set<PosixFilePermission> socketFilePermissions;
  private final int backlog;

  private TransportOptions(Builder b) {
    this.descriptorPassing = b.descriptorPassing;
    this.socketFilePermissions = Set.copyOf(b.socketFilePermissions);
    this.backlog = b.backlog;
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
        .backlog(backlog);
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

  @Override
  public String toString() {
    return "TransportOptions[descriptorPassing="
        + descriptorPassing
        + ", socketFilePermissions="
        + PosixFilePermissions.toString(EnumSet.copyOf(socketFilePermissionsOrNone()))
        + ", backlog="
        + backlog
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

    public TransportOptions build() {
      return new TransportOptions(this);
    }
  }
}
