package org.qmp4j.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The contract over junixsocket, plus descriptor passing both ways. */
class UnixJunixTransportIT extends UnixTransportContract {
  private static final TransportOptions PASSING =
      TransportOptions.newBuilder().descriptorPassing(true).build();

  @BeforeAll
  static void junixsocketWorksHere() {
    assertTrue(Transports.descriptorPassingAvailable(), "junixsocket's native library loads");
  }

  @Override
  protected TransportOptions options() {
    return PASSING;
  }

  @Override
  protected String name() {
    return "unix/junixsocket";
  }

  /** A file with known content, opened for reading. */
  private FileInputStream file(String name, String content) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, content);
    return new FileInputStream(p.toFile());
  }

  private static String contentOf(FileDescriptor fd) throws IOException {
    try (FileInputStream in = new FileInputStream(fd)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void aDescriptorTravelsWithTheBytesAndArrivesOnce() throws Exception {
    try (QmpListener listener = listen();
        Pair p = pair(listener);
        FileInputStream f = file("a.txt", "content of a")) {
      assertTrue(p.client.canPassDescriptors());
      assertTrue(p.server.canPassDescriptors());
      String cmd = "{\"execute\": \"getfd\", \"arguments\": {\"fdname\": \"fd0\"}}";
      assertEquals(cmd.length(), p.client.write(ByteBuffer.wrap(cmd.getBytes()), f.getFD()));
      writeAll(p.client, "and more bytes");
      assertEquals(cmd + "and more bytes", readExactly(p.server, cmd.length() + 14));
      List<FileDescriptor> got = p.server.receivedDescriptors();
      assertEquals(1, got.size());
      assertTrue(p.server.receivedDescriptors().isEmpty(), "taken once");
      assertEquals("content of a", contentOf(got.get(0)));
      assertTrue(f.getFD().valid(), "the sender's descriptor stays open");
    }
  }

  @Test
  void severalDescriptorsArriveInOrder() throws Exception {
    try (QmpListener listener = listen();
        Pair p = pair(listener);
        FileInputStream a = file("a", "A");
        FileInputStream b = file("b", "B");
        FileInputStream c = file("c", "C")) {
      p.client.write(ByteBuffer.wrap("x".getBytes()), a.getFD(), b.getFD(), c.getFD());
      assertEquals("x", readExactly(p.server, 1));
      List<FileDescriptor> got = p.server.receivedDescriptors();
      assertEquals(3, got.size());
      assertEquals("A", contentOf(got.get(0)));
      assertEquals("B", contentOf(got.get(1)));
      assertEquals("C", contentOf(got.get(2)));
    }
  }

  @Test
  void descriptorsGivenAsNumbersWork() throws Exception {
    try (QmpListener listener = listen();
        Pair p = pair(listener);
        FileInputStream f = file("numbered.txt", "by number")) {
      int fd = descriptorNumberOf(dir.resolve("numbered.txt"));
      p.client.write(ByteBuffer.wrap("n".getBytes()), new int[] {fd});
      assertEquals("n", readExactly(p.server, 1));
      List<FileDescriptor> got = p.server.receivedDescriptors();
      assertEquals(1, got.size());
      assertEquals("by number", contentOf(got.get(0)));
    }
  }

  /** The number of this process's descriptor open on {@code file}, read from /proc/self/fd. */
  static int descriptorNumberOf(Path file) throws IOException {
    Path target = file.toRealPath();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          if (Files.readSymbolicLink(fd).equals(target)) {
            return Integer.parseInt(fd.getFileName().toString());
          }
        } catch (IOException e) {
          // the directory's own descriptor, gone by now
        }
      }
    }
    throw new IllegalStateException("no descriptor open on " + file);
  }

  @Test
  void sixtyDescriptorsFitInOneMessage() throws Exception {
    List<FileInputStream> files = new ArrayList<>();
    try (QmpListener listener = listen();
        Pair p = pair(listener)) {
      FileDescriptor[] fds = new FileDescriptor[60];
      for (int i = 0; i < fds.length; i++) {
        FileInputStream f = file("f" + i, "#" + i);
        files.add(f);
        fds[i] = f.getFD();
      }
      p.client.write(ByteBuffer.wrap("many".getBytes()), fds);
      assertEquals("many", readExactly(p.server, 4));
      List<FileDescriptor> got = p.server.receivedDescriptors();
      assertEquals(60, got.size());
      assertEquals("#59", contentOf(got.get(59)));
      for (FileDescriptor fd : got.subList(0, 59)) {
        new FileInputStream(fd).close();
      }
    } finally {
      for (FileInputStream f : files) {
        f.close();
      }
    }
  }

  @Test
  void descriptorsNobodyTookAreClosedWithTheConnection() throws Exception {
    try (QmpListener listener = listen();
        FileInputStream f = file("left.txt", "left")) {
      Pair p = pair(listener);
      long before = openDescriptors();
      p.client.write(ByteBuffer.wrap("z".getBytes()), f.getFD(), f.getFD(), f.getFD());
      assertEquals("z", readExactly(p.server, 1));
      assertEquals(before + 3, openDescriptors(), "three duplicates arrived in this process");
      p.server.close();
      assertEquals(
          before - 1, openDescriptors(), "closed with the connection (and its own socket)");
      p.client.close();
    }
  }

  @Test
  void aNonBlockingWriteThatSendsNothingSendsNoDescriptors() throws Exception {
    try (QmpListener listener = listen();
        Pair p = pair(listener);
        FileInputStream f = file("nb.txt", "non-blocking")) {
      SocketChannel ch = p.client.socketChannel().orElseThrow();
      ch.configureBlocking(false);
      ByteBuffer filler = ByteBuffer.allocateDirect(64 * 1024);
      long queued = 0;
      int n;
      do {
        filler.clear();
        n = p.client.write(filler);
        queued += n;
      } while (n > 0);
      assertEquals(0, p.client.write(ByteBuffer.wrap("fd".getBytes()), f.getFD()));
      // Drain what was queued; nothing may have come with a descriptor.
      ByteBuffer sink = ByteBuffer.allocate(256 * 1024);
      long drained = 0;
      while (drained < queued) {
        sink.clear();
        drained += p.server.read(sink);
      }
      assertTrue(p.server.receivedDescriptors().isEmpty(), "no descriptor went with nothing");
      // Now the retry goes through, descriptor and all.
      ByteBuffer retry = ByteBuffer.wrap("fd".getBytes());
      assertEquals(2, p.client.write(retry, f.getFD()));
      assertEquals("fd", readExactly(p.server, 2));
      List<FileDescriptor> got = p.server.receivedDescriptors();
      assertEquals(1, got.size());
      assertEquals("non-blocking", contentOf(got.get(0)));
    }
  }

  @Test
  void descriptorsNeedBytesAndValidDescriptors() throws Exception {
    try (QmpListener listener = listen();
        Pair p = pair(listener);
        FileInputStream f = file("v.txt", "v")) {
      IllegalArgumentException empty =
          assertThrows(
              IllegalArgumentException.class,
              () -> p.client.write(ByteBuffer.allocate(0), f.getFD()));
      assertEquals(
          "descriptors cannot be sent without data: give at least one byte", empty.getMessage());
      assertThrows(
          IllegalArgumentException.class,
          () -> p.client.write(ByteBuffer.wrap("x".getBytes()), new FileDescriptor()));
      assertThrows(
          IllegalArgumentException.class,
          () -> p.client.write(ByteBuffer.wrap("x".getBytes()), new int[] {-1}));
      // Nothing was sent by the refused calls.
      writeAll(p.client, "ok");
      assertEquals("ok", readExactly(p.server, 2));
      assertTrue(p.server.receivedDescriptors().isEmpty());
    }
  }

  @Test
  void theServerCanPassDescriptorsToTheClient() throws Exception {
    try (QmpListener listener = listen();
        Pair p = pair(listener);
        FileInputStream f = file("back.txt", "from the server")) {
      p.server.write(ByteBuffer.wrap("s".getBytes()), f.getFD());
      assertEquals("s", readExactly(p.client, 1));
      List<FileDescriptor> got = p.client.receivedDescriptors();
      assertEquals(1, got.size());
      assertEquals("from the server", contentOf(got.get(0)));
    }
  }
}
