package org.qmp4j.transport.internal;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import org.qmp4j.protocol.QmpConnectionException;
import org.qmp4j.transport.QmpAddress;
import org.qmp4j.transport.TransportOptions;

/**
 * A listening unix socket and the file that names it.
 *
 * <p>{@code bind(2)} creates the socket file with the process's umask, and Java cannot set the
 * umask. So the socket is bound inside a fresh private directory (mode 0700) next to the target,
 * given its permissions there, and renamed into place: at no moment can anyone but the owner reach
 * it with other permissions, and a stale file at the target is replaced in the same atomic step.
 * Where that is not possible (the directory is not writable, the temporary path would be too long
 * for {@code sun_path}, or the socket is junixsocket's, which insists that its bound path keep
 * naming it), the socket is bound in place and its mode set right after: for those microseconds the
 * file has the umask's permissions (with the usual umask 022, no other user can connect, because
 * connecting needs write permission).
 *
 * <p>The file's identity (device and inode) is remembered, so that {@link #removeIfOurs()} never
 * removes a socket file another listener has put at the same path since.
 */
final class SocketFile {
  private static final String TEMP_PREFIX = ".qmp4j-";

  private final ServerSocketChannel channel;
  private final Path path;
  private final Object fileKey;

  private SocketFile(ServerSocketChannel channel, Path path, Object fileKey) {
    this.channel = channel;
    this.path = path;
    this.fileKey = fileKey;
  }

  ServerSocketChannel channel() {
    return channel;
  }

  /** What a probe connect found at a socket file. */
  enum Probe {
    /** Nothing listens: the file is left over from a process that has gone. */
    STALE,
    /** A process listens (it accepted, or its backlog is full). */
    LIVE,
    /** The file is gone. */
    GONE
  }

  static SocketFile bind(QmpAddress.Unix address, TransportOptions options, boolean junix) {
    Path path = address.path();
    Connector.checkPathLength(address, "listen on");
    checkExisting(address);
    ServerSocketChannel channel = null;
    try {
      channel =
          junix
              ? JunixSupport.openServerChannel()
              : ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      // junixsocket checks at every accept that its bound path still names the socket it bound
      // (and closes the listener if not), so it cannot be bound elsewhere and renamed.
      Path temp = junix ? null : privateDirectory(path);
      if (temp != null) {
        Path tempSocket = temp.resolve("s");
        try {
          channel.bind(socketAddress(tempSocket, junix), options.backlog());
          Files.setPosixFilePermissions(tempSocket, options.socketFilePermissions());
          Files.move(tempSocket, path, StandardCopyOption.ATOMIC_MOVE);
        } finally {
          Files.deleteIfExists(tempSocket);
          Files.deleteIfExists(temp);
        }
      } else {
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
          Files.delete(path); // checkExisting found it stale
        }
        channel.bind(socketAddress(path, junix), options.backlog());
        Files.setPosixFilePermissions(path, options.socketFilePermissions());
      }
      channel.configureBlocking(false);
      Object key = fileKey(path);
      return new SocketFile(channel, path, key);
    } catch (IOException | RuntimeException e) {
      Connector.closeQuietly(channel);
      if (e instanceof QmpConnectionException) {
        throw (QmpConnectionException) e;
      }
      throw new QmpConnectionException(
          address.toString(), "cannot listen on " + address + ": " + describe(e), e);
    }
  }

  private static String describe(Exception e) {
    if (e instanceof NoSuchFileException) {
      return "No such file or directory: " + ((NoSuchFileException) e).getFile();
    }
    if (e instanceof FileSystemException) {
      FileSystemException f = (FileSystemException) e;
      return (f.getReason() != null ? f.getReason() : "file system error") + ": " + f.getFile();
    }
    return e.getMessage() != null ? e.getMessage() : e.toString();
  }

  /** Refuses a path that is in use or not a socket; lets a stale socket file be replaced. */
  private static void checkExisting(QmpAddress.Unix address) {
    Path path = address.path();
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw new QmpConnectionException(
          address.toString(),
          "cannot listen on " + address + ": the directory " + parent + " does not exist",
          null);
    }
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.isSymbolicLink(path) || !AddressParser.isSocket(path)) {
      throw new QmpConnectionException(
          address.toString(),
          "cannot listen on "
              + address
              + ": the path exists and is not a socket file; refusing to replace it",
          null);
    }
    if (probe(path) == Probe.LIVE) {
      throw new QmpConnectionException(
          address.toString(),
          "cannot listen on " + address + ": another process is listening on it",
          null);
    }
  }

  /** Finds out whether a process listens on a socket file, with one non-blocking connect. */
  static Probe probe(Path path) {
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.configureBlocking(false);
      probe.connect(UnixDomainSocketAddress.of(path));
      return Probe.LIVE;
    } catch (ConnectException e) {
      return Probe.STALE;
    } catch (BindException e) {
      // EACCES: someone else's socket; treat it as in use rather than remove it.
      return Probe.LIVE;
    } catch (IOException e) {
      // EAGAIN (backlog full: live), or the file went away.
      return Files.exists(path, LinkOption.NOFOLLOW_LINKS) ? Probe.LIVE : Probe.GONE;
    }
  }

  /** A fresh 0700 directory beside {@code path}, or null if none can be used. */
  private static Path privateDirectory(Path path) {
    Path parent = path.toAbsolutePath().getParent();
    if (parent == null) {
      return null;
    }
    Path dir;
    try {
      dir =
          Files.createTempDirectory(
              parent,
              TEMP_PREFIX,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return null;
    }
    // The socket will be bound at dir/s: that must fit in sun_path.
    Path bindPath = relativeIfShorter(dir.resolve("s"));
    if (bindPath.toString().getBytes(StandardCharsets.UTF_8).length
        > Connector.MAX_UNIX_PATH_BYTES) {
      try {
        Files.delete(dir);
      } catch (IOException e) {
        // left behind empty; harmless
      }
      return null;
    }
    return dir;
  }

  private static Path relativeIfShorter(Path absolute) {
    try {
      Path cwd = Path.of("").toAbsolutePath();
      Path relative = cwd.relativize(absolute);
      return relative.toString().length() < absolute.toString().length() ? relative : absolute;
    } catch (IllegalArgumentException e) {
      return absolute;
    }
  }

  private static SocketAddress socketAddress(Path path, boolean junix) throws IOException {
    Path p = relativeIfShorter(path.toAbsolutePath());
    return junix ? JunixSupport.socketAddress(p) : UnixDomainSocketAddress.of(p);
  }

  private static Object fileKey(Path path) throws IOException {
    return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
        .fileKey();
  }

  /** Removes the socket file if it is still the one this listener created. */
  void removeIfOurs() {
    try {
      Object now = fileKey(path);
      if (now != null && Objects.equals(now, fileKey)) {
        Files.delete(path);
      }
    } catch (IOException e) {
      // gone already, or not ours to remove
    }
  }

  @Override
  public String toString() {
    return "SocketFile[" + path + "]";
  }
}
