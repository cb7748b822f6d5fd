package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.qmp4j.protocol.QmpProtocolException;
import org.qmp4j.protocol.QmpReader;
import org.qmp4j.transport.QmpAddress;

/**
 * A scripted QMP server for fault tests: it accepts connections on a unix socket (or TCP port) and
 * runs a script against each, on a thread of its own. Scripts can stall, send garbage, huge
 * replies, floods of events, events in the middle of the handshake, or hang up mid-message.
 */
final class FakeQmpPeer implements AutoCloseable {

  static final String GREETING =
      "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7},"
          + " \"package\": \"fake\"}, \"capabilities\": [\"oob\"]}}";

  /** What the peer does with one connection. */
  interface Script {
    void run(Conn conn) throws Exception;
  }

  private final ServerSocketChannel server;
  private final QmpAddress address;
  private final Thread acceptor;
  private final List<Conn> conns = new CopyOnWriteArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();
  final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile boolean closed;

  private FakeQmpPeer(ServerSocketChannel server, QmpAddress address, Script script) {
    this.server = server;
    this.address = address;
    this.acceptor =
        new Thread(
            () -> {
              while (!closed) {
                SocketChannel ch;
                try {
                  ch = server.accept();
                } catch (IOException e) {
                  return;
                }
                int n = accepted.incrementAndGet();
                Conn c = new Conn(ch, n);
                conns.add(c);
                Thread t =
                    new Thread(
                        () -> {
                          try {
                            script.run(c);
                          } catch (Exception e) {
                            if (!closed && !c.closed) {
                              failure.compareAndSet(null, e);
                            }
                          } finally {
                            c.close();
                          }
                        },
                        "fake-peer-conn-" + n);
                t.setDaemon(true);
                t.start();
              }
            },
            "fake-peer-acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * A peer on a fresh unix socket in {@code dir} that greets (offering OOB), accepts {@code
   * qmp_capabilities}, then runs {@code afterHandshake}.
   */
  static FakeQmpPeer negotiated(Path dir, Script afterHandshake) {
    return unix(
        dir,
        c -> {
          c.greet();
          c.negotiate();
          afterHandshake.run(c);
        });
  }

  /** How {@code f} failed: its cause, within 10 s; fails the test if it completes normally. */
  static Throwable failure(CompletableFuture<?> f) {
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
    return e.getCause();
  }

  /** A peer on a fresh unix socket in {@code dir}. */
  static FakeQmpPeer unix(Path dir, Script script) {
    try {
      Path sock = Files.createTempFile(dir, "fake", ".sock");
      Files.delete(sock);
      ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      ch.bind(UnixDomainSocketAddress.of(sock));
      return new FakeQmpPeer(ch, QmpAddress.unix(sock), script);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A peer on an ephemeral loopback TCP port. */
  static FakeQmpPeer tcp(Script script) {
    try {
      ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.INET);
      ch.bind(new InetSocketAddress("127.0.0.1", 0));
      int port = ((InetSocketAddress) ch.getLocalAddress()).getPort();
      return new FakeQmpPeer(ch, QmpAddress.tcp("127.0.0.1", port), script);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  QmpAddress address() {
    return address;
  }

  /** Connections accepted so far. */
  int accepted() {
    return accepted.get();
  }

  List<Conn> connections() {
    return conns;
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // ignore
    }
    for (Conn c : conns) {
      c.close();
    }
    if (address instanceof QmpAddress.Unix) {
      try {
        Files.deleteIfExists(((QmpAddress.Unix) address).path());
      } catch (IOException e) {
        // ignore
      }
    }
  }

  /** Standard handshake, then answers every request with its arguments (or {}). */
  static void echoLoop(Conn c) throws IOException {
    c.greet();
    c.negotiate();
    while (true) {
      JsonNode req = c.read();
      JsonNode args = req.get("arguments");
      c.reply(req, args == null ? "{}" : args.toString());
    }
  }

  /** One accepted connection, seen from the peer. */
  static final class Conn {
    final SocketChannel channel;
    final int number;
    private final QmpReader reader = QmpReader.liberal();
    private final ArrayDeque<JsonNode> values = new ArrayDeque<>();
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
    final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private final ByteArrayOutputStream rawReceived = new ByteArrayOutputStream();
    volatile boolean closed;

    Conn(SocketChannel channel, int number) {
      this.channel = channel;
      this.number = number;
    }

    void write(byte[] bytes) throws IOException {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        channel.write(b);
      }
    }

    void write(String text) throws IOException {
      write(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends one message followed by CRLF. */
    void line(String json) throws IOException {
      write(json + "\r\n");
    }

    void greet() throws IOException {
      line(GREETING);
    }

    void event(String name, String data) throws IOException {
      line(
          "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 1}, \"event\": \""
              + name
              + "\""
              + (data == null ? "" : ", \"data\": " + data)
              + "}");
    }

    /** The next JSON value the client sent. */
    JsonNode read() throws IOException {
      while (values.isEmpty()) {
        in.clear();
        int n = channel.read(in);
        if (n < 0) {
          throw new InterruptedIOException("client closed the connection");
        }
        in.flip();
        synchronized (rawReceived) {
          rawReceived.write(in.array(), in.position(), in.remaining());
        }
        reader.feed(
            in,
            new QmpReader.Handler() {
              @Override
              public void onValue(JsonNode value) {
                values.add(value);
                received.add(value);
              }

              @Override
              public void onError(QmpProtocolException error) {
                throw new IllegalStateException("client sent bad JSON: " + error.getMessage());
              }
            });
      }
      return values.poll();
    }

    /** Every byte the client sent that {@link #read()} has read so far, as sent. */
    byte[] rawReceived() {
      synchronized (rawReceived) {
        return rawReceived.toByteArray();
      }
    }

    /** Reads qmp_capabilities and accepts it. Returns the request. */
    JsonNode negotiate() throws IOException {
      JsonNode req = read();
      if (!"qmp_capabilities".equals(req.path("execute").asText())) {
        throw new IllegalStateException("expected qmp_capabilities, got " + req);
      }
      reply(req, "{}");
      return req;
    }

    void reply(JsonNode request, String returnJson) throws IOException {
      line("{\"return\": " + returnJson + ", \"id\": " + request.get("id") + "}");
    }

    void error(JsonNode request, String cls, String desc) throws IOException {
      line(
          "{\"id\": "
              + request.get("id")
              + ", \"error\": {\"class\": \""
              + cls
              + "\", \"desc\": \""
              + desc
              + "\"}}");
    }

    /** Waits until the client goes away (or the peer is closed). */
    void stall() throws IOException {
      try {
        while (true) {
          read();
        }
      } catch (IOException | RuntimeException e) {
        // done
      }
    }

    void close() {
      closed = true;
      try {
        channel.close();
      } catch (IOException e) {
        // ignore
      }
    }
  }
}
