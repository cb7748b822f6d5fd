package org.qmp4j.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A line-level QMP test client for a unix socket, the same for QEMU and the simulator: sends a
 * command, collects the events and the reply that follow, and events that arrive later.
 */
final class SimClient implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final JsonNode EOF = JSON.getNodeFactory().textNode("EOF");

  private final SocketChannel channel;
  private final LinkedBlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
  private final JsonNode greeting;

  private SimClient(Path socket) throws IOException {
    channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(socket));
    Thread t = new Thread(this::readLoop, "sim-client-reader");
    t.setDaemon(true);
    t.start();
    greeting = next(Duration.ofSeconds(10));
  }

  /** Connects and negotiates. */
  static SimClient open(Path socket) throws IOException {
    SimClient c = new SimClient(socket);
    JsonNode r = c.execute("qmp_capabilities").reply();
    if (!r.has("return")) {
      throw new IOException("negotiation failed: " + r);
    }
    return c;
  }

  /** Connects without negotiating. */
  static SimClient raw(Path socket) throws IOException {
    return new SimClient(socket);
  }

  JsonNode greeting() {
    return greeting;
  }

  private void readLoop() {
    ByteBuffer buf = ByteBuffer.allocate(1 << 16);
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    try {
      while (channel.read(buf) >= 0) {
        buf.flip();
        while (buf.hasRemaining()) {
          byte b = buf.get();
          if (b == '\n') {
            String text = line.toString(StandardCharsets.UTF_8).strip();
            line.reset();
            if (!text.isEmpty()) {
              messages.add(JSON.readTree(text));
            }
          } else {
            line.write(b);
          }
        }
        buf.clear();
      }
    } catch (IOException e) {
      // closed
    }
    messages.add(EOF);
  }

  /** The next message, or {@code null} after {@code timeout}. */
  JsonNode next(Duration timeout) {
    try {
      return messages.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  void send(String text) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }

  /** What one command brought: the messages up to and including its reply. */
  record Exchange(List<JsonNode> messages) {
    JsonNode reply() {
      return messages.get(messages.size() - 1);
    }

    List<JsonNode> events() {
      return messages.subList(0, messages.size() - 1);
    }

    List<String> eventNames() {
      List<String> out = new ArrayList<>();
      for (JsonNode e : events()) {
        out.add(e.path("event").asText());
      }
      return out;
    }

    JsonNode result() {
      if (!reply().has("return")) {
        throw new AssertionError("error reply: " + reply());
      }
      return reply().get("return");
    }

    String errorDesc() {
      return reply().path("error").path("desc").asText(null);
    }

    String errorClass() {
      return reply().path("error").path("class").asText(null);
    }
  }

  Exchange execute(String command, JsonNode arguments) throws IOException {
    ObjectNode req = JSON.createObjectNode().put("execute", command);
    if (arguments != null) {
      req.set("arguments", arguments);
    }
    send(req + "\n");
    List<JsonNode> got = new ArrayList<>();
    while (true) {
      JsonNode m = next(Duration.ofSeconds(10));
      if (m == null) {
        throw new IOException("no reply to " + command + " after " + got);
      }
      got.add(m);
      if (m == EOF || m.has("return") || m.has("error")) {
        return new Exchange(got);
      }
    }
  }

  Exchange execute(String command, String argumentsJson) throws IOException {
    return execute(command, argumentsJson == null ? null : JSON.readTree(argumentsJson));
  }

  Exchange execute(String command) throws IOException {
    return execute(command, (JsonNode) null);
  }

  /** Messages that arrive within {@code quiet} of each other. */
  List<JsonNode> drain(Duration quiet) {
    List<JsonNode> out = new ArrayList<>();
    JsonNode m;
    while ((m = next(quiet)) != null) {
      out.add(m);
      if (m == EOF) {
        break;
      }
    }
    return out;
  }

  /** Waits up to {@code timeout} for event {@code name}; returns it, or null. */
  JsonNode awaitEvent(String name, Duration timeout) {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      JsonNode m = next(Duration.ofNanos(Math.max(1, end - System.nanoTime())));
      if (m == null || m == EOF) {
        return null;
      }
      if (name.equals(m.path("event").asText())) {
        return m;
      }
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
