package org.qmp4j.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real QEMU 7.2 started for a test: {@code qemu-system-x86_64 -S -machine none -nodefaults
 * -display none} with a QMP monitor on a unix socket, negotiated and ready for commands.
 * Self-contained (JDK sockets and Jackson) so that this module's tests need nothing else.
 */
final class QemuMonitor implements AutoCloseable {
  static final String BINARY = "qemu-system-x86_64";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final Path dir;
  private final SocketChannel channel;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private final ByteBuffer buf = ByteBuffer.allocate(1 << 16);
  private final JsonNode greeting;

  /** Whether {@code qemu-system-x86_64} is on the PATH. */
  static boolean available() {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String d : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, BINARY))) {
        return true;
      }
    }
    return false;
  }

  private QemuMonitor(Process process, Path dir, SocketChannel channel) throws IOException {
    this.process = process;
    this.dir = dir;
    this.channel = channel;
    this.greeting = readMessage();
  }

  /** Starts QEMU, connects and negotiates capabilities. */
  static QemuMonitor start() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("qmp4j-schema-qemu");
    Path sock = dir.resolve("qmp.sock");
    Process p =
        new ProcessBuilder(
                List.of(
                    BINARY,
                    "-S",
                    "-machine",
                    "none",
                    "-nodefaults",
                    "-display",
                    "none",
                    "-chardev",
                    "socket,id=mon,path=" + sock + ",server=on,wait=off",
                    "-mon",
                    "chardev=mon,mode=control"))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("qemu.log").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      if (!p.isAlive()) {
        throw new IOException(
            "QEMU exited: " + Files.readString(dir.resolve("qemu.log"), StandardCharsets.UTF_8));
      }
      if (Files.exists(sock)) {
        try {
          SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
          ch.connect(UnixDomainSocketAddress.of(sock));
          QemuMonitor m = new QemuMonitor(p, dir, ch);
          JsonNode r = m.execute("qmp_capabilities", null);
          if (!r.has("return")) {
            throw new IOException("negotiation failed: " + r);
          }
          return m;
        } catch (IOException e) {
          if (System.nanoTime() > deadline) {
            p.destroyForcibly();
            throw e;
          }
        }
      }
      if (System.nanoTime() > deadline) {
        p.destroyForcibly();
        throw new IOException("QEMU did not open its monitor socket");
      }
      Thread.sleep(20);
    }
  }

  /** The greeting QEMU sent. */
  JsonNode greeting() {
    return greeting;
  }

  /** Sends a command and returns QEMU's reply (events are skipped). */
  JsonNode execute(String command, JsonNode arguments) throws IOException {
    ObjectNode req = JSON.createObjectNode().put("execute", command);
    if (arguments != null) {
      req.set("arguments", arguments);
    }
    channel.write(
        ByteBuffer.wrap((JSON.writeValueAsString(req) + "\n").getBytes(StandardCharsets.UTF_8)));
    while (true) {
      JsonNode m = readMessage();
      if (!m.has("event")) {
        return m;
      }
    }
  }

  private JsonNode readMessage() throws IOException {
    while (true) {
      byte[] data = pending.toByteArray();
      for (int i = 0; i < data.length; i++) {
        if (data[i] == '\n') {
          pending.reset();
          pending.write(data, i + 1, data.length - i - 1);
          return JSON.readTree(new String(data, 0, i, StandardCharsets.UTF_8));
        }
      }
      buf.clear();
      if (channel.read(buf) < 0) {
        throw new IOException("QEMU closed the monitor");
      }
      pending.write(buf.array(), 0, buf.position());
    }
  }

  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } finally {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(dir);
    }
  }
}
