package org.qmp4j.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpConnectionException;

/** The contract, plus what a unix listener owes its socket file. */
abstract class UnixTransportContract extends TransportContract {
  @TempDir Path dir;
  private final AtomicInteger counter = new AtomicInteger();

  @Override
  protected QmpAddress freshAddress() {
    return QmpAddress.unix(dir.resolve("s" + counter.incrementAndGet() + ".sock"));
  }

  @Override
  protected QmpAddress deadAddress() {
    return QmpAddress.unix(dir.resolve("missing.sock"));
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(
        Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void socketFileIsCreatedWithMode0600AndRemovedOnClose() throws Exception {
    QmpAddress.Unix address = (QmpAddress.Unix) freshAddress();
    QmpListener listener = Transports.listen(address, options());
    assertEquals(address, listener.localAddress());
    assertEquals("rw-------", mode(address.path()));
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(1, left.count(), "no temporary directory is left beside the socket file");
    }
    listener.close();
    assertFalse(Files.exists(address.path(), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void socketFileModeIsConfigurable() throws Exception {
    QmpAddress.Unix address = (QmpAddress.Unix) freshAddress();
    TransportOptions groupToo = options().toBuilder().socketFilePermissions("rw-rw----").build();
    try (QmpListener listener = Transports.listen(address, groupToo)) {
      assertEquals("rw-rw----", mode(address.path()));
      try (Pair p = pair(listener)) {
        writeAll(p.client, "x");
        assertEquals("x", readExactly(p.server, 1));
      }
    }
  }

  @Test
  void aStaleSocketFileIsReplaced() throws Exception {
    QmpAddress.Unix address = (QmpAddress.Unix) freshAddress();
    // A listener that died without removing its file: the JDK leaves the file on close.
    try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      dead.bind(UnixDomainSocketAddress.of(address.path()));
    }
    assertTrue(Files.exists(address.path(), LinkOption.NOFOLLOW_LINKS), "the stale file is there");
    QmpConnectionException refused =
        assertThrows(QmpConnectionException.class, () -> connect(address, TIMEOUT));
    assertTrue(refused.getMessage().contains("Connection refused"), refused.getMessage());
    try (QmpListener listener = Transports.listen(address, options());
        Pair p = pair(listener)) {
      assertEquals("rw-------", mode(address.path()));
      writeAll(p.client, "fresh");
      assertEquals("fresh", readExactly(p.server, 5));
    }
  }

  @Test
  void aLiveSocketIsNotTakenOver() throws Exception {
    QmpAddress.Unix address = (QmpAddress.Unix) freshAddress();
    try (QmpListener first = Transports.listen(address, options())) {
      QmpConnectionException e =
          assertThrows(QmpConnectionException.class, () -> Transports.listen(address, options()));
      assertEquals(
          "cannot listen on " + address + ": another process is listening on it", e.getMessage());
      // The probe that found it live cost the first listener one connection, closed at once.
      try (QmpConnection probe = first.accept(TIMEOUT)) {
        assertEquals(-1, probe.read(java.nio.ByteBuffer.allocate(1)));
      }
      // The first listener still works and still owns its file.
      try (Pair p = pair(first)) {
        writeAll(p.client, "still here");
        assertEquals("still here", readExactly(p.server, 10));
      }
    }
    assertFalse(Files.exists(address.path(), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void aLiveSocketWithAFullBacklogIsNotTakenOver() throws Exception {
    QmpAddress.Unix address = (QmpAddress.Unix) freshAddress();
    TransportOptions backlogOne = options().toBuilder().backlog(1).build();
    try (QmpListener first = Transports.listen(address, backlogOne);
        QmpConnection a = connect(address, TIMEOUT);
        QmpConnection b = connect(address, TIMEOUT)) {
      QmpConnectionException e =
          assertThrows(QmpConnectionException.class, () -> Transports.listen(address, options()));
      assertTrue(e.getMessage().endsWith("another process is listening on it"), e.getMessage());
      assertTrue(a.isOpen() && b.isOpen());
    }
  }

  @Test
  void aFileThatIsNotASocketIsNotReplaced() throws Exception {
    QmpAddress.Unix address = (QmpAddress.Unix) freshAddress();
    Files.writeString(address.path(), "precious");
    QmpConnectionException e =
        assertThrows(QmpConnectionException.class, () -> Transports.listen(address, options()));
    assertEquals(
        "cannot listen on "
            + address
            + ": the path exists and is not a socket file; refusing to replace it",
        e.getMessage());
    assertEquals("precious", Files.readString(address.path()));
  }

  @Test
  void closeLeavesASocketFileThatIsNoLongerItsOwn() throws Exception {
    QmpAddress.Unix address = (QmpAddress.Unix) freshAddress();
    QmpListener first = Transports.listen(address, options());
    Files.delete(address.path()); // someone removed it ...
    try (QmpListener second = Transports.listen(address, options())) { // ... and listened anew
      first.close();
      assertTrue(Files.exists(address.path(), LinkOption.NOFOLLOW_LINKS), "second's file stays");
      try (Pair p = pair(second)) {
        writeAll(p.client, "second");
        assertEquals("second", readExactly(p.server, 6));
      }
    }
    assertFalse(Files.exists(address.path(), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void connectingToAStaleSocketSaysSo() throws Exception {
    QmpAddress.Unix address = (QmpAddress.Unix) freshAddress();
    try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      dead.bind(UnixDomainSocketAddress.of(address.path()));
    }
    QmpConnectionException e =
        assertThrows(QmpConnectionException.class, () -> connect(address, TIMEOUT));
    assertEquals(
        "cannot connect to "
            + address
            + ": Connection refused (the socket file exists but nothing listens on it: left behind"
            + " by a QEMU that exited?)",
        e.getMessage());
  }

  @Test
  void connectingToAMissingSocketSaysWhatToCheck() {
    QmpAddress address = deadAddress();
    QmpConnectionException e =
        assertThrows(QmpConnectionException.class, () -> connect(address, TIMEOUT));
    assertEquals(
        "cannot connect to "
            + address
            + ": No such file or directory (is QEMU running with -qmp "
            + address
            + ",server=on?)",
        e.getMessage());
  }

  @Test
  void tooLongAPathIsRefusedWithItsLength() {
    QmpAddress.Unix address = QmpAddress.unix(dir.resolve("x".repeat(120) + ".sock"));
    QmpConnectionException e =
        assertThrows(QmpConnectionException.class, () -> connect(address, Duration.ofSeconds(1)));
    assertTrue(
        e.getMessage().contains("and a unix socket path may have at most 107"), e.getMessage());
    assertThrows(QmpConnectionException.class, () -> Transports.listen(address, options()));
  }

  @Test
  void relativePathsWork() throws Exception {
    Path cwd = Path.of("").toAbsolutePath();
    Path relative = cwd.relativize(dir.resolve("rel.sock"));
    QmpAddress.Unix address = QmpAddress.unix(relative);
    try (QmpListener listener = Transports.listen(address, options());
        Pair p = pair(listener)) {
      assertEquals("unix:" + relative, listener.localAddress().toString());
      assertTrue(Files.exists(dir.resolve("rel.sock"), LinkOption.NOFOLLOW_LINKS));
      writeAll(p.client, "rel");
      assertEquals("rel", readExactly(p.server, 3));
    }
  }
}
