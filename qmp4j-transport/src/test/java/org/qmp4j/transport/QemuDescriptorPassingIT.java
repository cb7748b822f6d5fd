package org.qmp4j.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.testing.QemuProcess;

/**
 * Descriptor passing proven against real QEMU 7.2: {@code getfd}, {@code closefd}, {@code add-fd}
 * and {@code query-fdsets} with a pipe's descriptor attached to the command's own bytes. The QMP
 * exchange is written and read by hand, a line at a time, so nothing but the transport is tested.
 * Without QEMU the test is skipped, or fails under {@code CI=true}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class QemuDescriptorPassingIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TransportOptions PASSING =
      TransportOptions.newBuilder().descriptorPassing(true).build();

  @TempDir Path dir;

  /** A hand-rolled QMP line reader over a connection. */
  static final class Lines {
    private final QmpConnection connection;
    private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    private final List<JsonNode> events = new ArrayList<>();

    Lines(QmpConnection connection) {
      this.connection = connection;
      buffer.flip();
    }

    JsonNode next() throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      while (true) {
        while (buffer.hasRemaining()) {
          byte b = buffer.get();
          if (b == '\n') {
            return JSON.readTree(line.toByteArray());
          }
          line.write(b);
        }
        buffer.clear();
        int n = connection.read(buffer);
        buffer.flip();
        if (n < 0) {
          throw new IOException("QEMU closed the connection; partial line: " + line);
        }
      }
    }

    /** The next reply, skipping (and keeping) events. */
    JsonNode reply() throws IOException {
      while (true) {
        JsonNode m = next();
        if (m.has("event")) {
          events.add(m);
        } else {
          return m;
        }
      }
    }
  }

  private static ByteBuffer bytes(String json) {
    return ByteBuffer.wrap((json + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** A named pipe opened read-write (which does not block), with a known path. */
  private RandomAccessFile pipe(String name) throws Exception {
    Path fifo = dir.resolve(name);
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    assertTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo");
    return new RandomAccessFile(fifo.toFile(), "rw");
  }

  /** The targets of QEMU's open descriptors, number to link target. */
  private static List<String> descriptorsOf(Process qemu) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/" + qemu.pid() + "/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          out.add(fd.getFileName() + " -> " + Files.readSymbolicLink(fd));
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    }
    return out;
  }

  private static boolean holds(Process qemu, String fdNumber, Path target) throws IOException {
    return descriptorsOf(qemu).contains(fdNumber + " -> " + target);
  }

  private static boolean holdsAny(Process qemu, Path target) throws IOException {
    return descriptorsOf(qemu).stream().anyMatch(s -> s.endsWith(" -> " + target));
  }

  @Test
  void getfdClosefdAddFdAndQueryFdsetsWithARealQemu() throws Exception {
    try (QemuProcess qemu = QemuProcess.start();
        QmpConnection c =
            Transports.connect(QmpAddress.unix(qemu.socket()), Duration.ofSeconds(10), PASSING);
        RandomAccessFile pipe0 = pipe("pipe0");
        RandomAccessFile pipe1 = pipe("pipe1")) {
      assertTrue(c.canPassDescriptors());
      Lines in = new Lines(c);
      JsonNode greeting = in.next();
      assertTrue(greeting.has("QMP"), greeting.toString());
      c.write(bytes("{\"execute\":\"qmp_capabilities\"}"));
      assertEquals("{\"return\":{}}", in.reply().toString());

      // Without a descriptor, QEMU says so.
      c.write(bytes("{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"fd0\"}}"));
      JsonNode missing = in.reply();
      assertEquals("GenericError", missing.at("/error/class").asText(), missing.toString());
      assertEquals(
          "No file descriptor supplied via SCM_RIGHTS",
          missing.at("/error/desc").asText(),
          missing.toString());

      // With the pipe's descriptor attached to the command's bytes: accepted, and QEMU holds it.
      Path fifo0 = dir.resolve("pipe0").toRealPath();
      assertFalse(holdsAny(qemu.process(), fifo0));
      FileDescriptor fd0 = pipe0.getFD();
      int sent = c.write(bytes("{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"fd0\"}}"), fd0);
      assertTrue(sent > 0);
      assertEquals("{\"return\":{}}", in.reply().toString());
      assertTrue(holdsAny(qemu.process(), fifo0), "QEMU holds a descriptor of " + fifo0);
      assertTrue(fd0.valid(), "ours stays open");

      // closefd finds it by name, once.
      c.write(bytes("{\"execute\":\"closefd\",\"arguments\":{\"fdname\":\"fd0\"}}"));
      assertEquals("{\"return\":{}}", in.reply().toString());
      assertFalse(holdsAny(qemu.process(), fifo0), "QEMU closed it");
      c.write(bytes("{\"execute\":\"closefd\",\"arguments\":{\"fdname\":\"fd0\"}}"));
      JsonNode gone = in.reply();
      assertEquals("File descriptor named 'fd0' not found", gone.at("/error/desc").asText());

      // add-fd without a descriptor.
      c.write(bytes("{\"execute\":\"add-fd\",\"arguments\":{\"fdset-id\":1}}"));
      assertEquals(
          "No file descriptor supplied via SCM_RIGHTS", in.reply().at("/error/desc").asText());

      // add-fd with one, given as a number this time: the reply names QEMU's descriptor.
      Path fifo1 = dir.resolve("pipe1").toRealPath();
      int ourFd1 = UnixJunixTransportIT.descriptorNumberOf(fifo1);
      c.write(
          bytes("{\"execute\":\"add-fd\",\"arguments\":{\"fdset-id\":1,\"opaque\":\"pipe1\"}}"),
          new int[] {ourFd1});
      JsonNode added = in.reply();
      assertEquals(1, added.at("/return/fdset-id").asInt(), added.toString());
      assertTrue(added.at("/return/fd").isInt(), added.toString());
      int qemuFd = added.at("/return/fd").asInt();
      assertTrue(
          holds(qemu.process(), Integer.toString(qemuFd), fifo1),
          "QEMU's descriptor " + qemuFd + " is our pipe: " + descriptorsOf(qemu.process()));

      // query-fdsets shows it.
      c.write(bytes("{\"execute\":\"query-fdsets\"}"));
      JsonNode sets = in.reply();
      assertEquals(
          "{\"return\":[{\"fds\":[{\"fd\":" + qemuFd + ",\"opaque\":\"pipe1\"}],\"fdset-id\":1}]}",
          sets.toString());

      // remove-fd succeeds, but QEMU 7.2 closes removed descriptors only while the machine runs
      // (monitor_fdset_cleanup checks runstate_is_running()), and this one was started with -S.
      c.write(bytes("{\"execute\":\"remove-fd\",\"arguments\":{\"fdset-id\":1}}"));
      assertEquals("{\"return\":{}}", in.reply().toString());
      c.write(bytes("{\"execute\":\"query-fdsets\"}"));
      assertEquals(sets, in.reply(), "still listed while stopped");
      assertTrue(holds(qemu.process(), Integer.toString(qemuFd), fifo1), "and still open");
    }
  }

  @Test
  void aJdkConnectionToQemuRefusesDescriptorsBeforeSendingAnything() throws Exception {
    try (QemuProcess qemu = QemuProcess.start();
        QmpConnection c =
            Transports.connect(QmpAddress.unix(qemu.socket()), Duration.ofSeconds(10));
        RandomAccessFile pipe = pipe("p")) {
      Lines in = new Lines(c);
      assertTrue(in.next().has("QMP"));
      c.write(bytes("{\"execute\":\"qmp_capabilities\"}"));
      assertEquals("{\"return\":{}}", in.reply().toString());
      ByteBuffer cmd = bytes("{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"fd0\"}}");
      FileDescriptor fd = pipe.getFD();
      assertThrows(UnsupportedOperationException.class, () -> c.write(cmd, fd));
      assertEquals(0, cmd.position(), "nothing was sent");
      c.write(bytes("{\"execute\":\"query-fdsets\"}"));
      assertEquals("{\"return\":[]}", in.reply().toString(), "QEMU saw no getfd");
    }
  }
}
