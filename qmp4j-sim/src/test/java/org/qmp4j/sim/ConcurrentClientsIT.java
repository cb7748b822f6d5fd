package org.qmp4j.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * 1,000 clients connected to one simulated machine at once, each negotiating and querying the
 * machine's state, all served without error: every reply is the one a lone client gets. One client
 * thread drives all sessions through a selector. (QEMU has no counterpart: a QMP monitor serves one
 * client at a time.)
 */
class ConcurrentClientsIT {
  static final int CLIENTS = 1000;

  /** State queries each client sends, pipelined after {@code qmp_capabilities}. */
  static final List<String> QUERIES =
      List.of(
          "query-status",
          "query-block",
          "query-name",
          "query-kvm",
          "query-uuid",
          "query-version",
          "query-balloon",
          "query-cpus-fast",
          "query-block-jobs",
          "query-migrate");

  /** One client's session: its socket, the bytes it received, the messages parsed so far. */
  static final class Session {
    final SocketChannel channel;
    final ByteArrayOutputStream line = new ByteArrayOutputStream();
    final List<JsonNode> messages = new ArrayList<>();
    boolean closed;

    Session(SocketChannel channel) {
      this.channel = channel;
    }

    boolean done() {
      return closed || messages.size() >= QUERIES.size() + 2; // greeting, capabilities, queries
    }
  }

  @Test
  void thousandConcurrentClientsQueryStateWithoutError() throws Exception {
    try (SimFixture f = new SimFixture(SimulatedMachine.demo())) {
      List<JsonNode> expected = new ArrayList<>();
      try (SimClient lone = SimClient.open(f.socket)) {
        for (String q : QUERIES) {
          expected.add(lone.execute(q).result());
        }
      }
      StringBuilder request =
          new StringBuilder("{\"execute\":\"qmp_capabilities\",\"id\":\"cap\"}");
      for (int i = 0; i < QUERIES.size(); i++) {
        request.append("{\"execute\":\"").append(QUERIES.get(i)).append("\",\"id\":").append(i);
        request.append("}\n");
      }
      byte[] bytes = request.toString().getBytes(StandardCharsets.US_ASCII);

      long start = System.nanoTime();
      List<Session> sessions = new ArrayList<>();
      try (Selector selector = Selector.open()) {
        for (int i = 0; i < CLIENTS; i++) {
          SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
          sessions.add(new Session(ch));
          ch.connect(UnixDomainSocketAddress.of(f.socket));
          ByteBuffer b = ByteBuffer.wrap(bytes);
          while (b.hasRemaining()) {
            ch.write(b);
          }
          ch.configureBlocking(false);
          ch.register(selector, SelectionKey.OP_READ, sessions.get(i));
        }
        long connected = System.nanoTime();
        int open = CLIENTS;
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 16);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (open > 0 && System.nanoTime() < deadline) {
          selector.select(1000);
          for (SelectionKey k : selector.selectedKeys()) {
            Session s = (Session) k.attachment();
            buf.clear();
            int n = s.channel.read(buf);
            if (n < 0) {
              s.closed = true;
            } else {
              buf.flip();
              while (buf.hasRemaining()) {
                byte c = buf.get();
                if (c == '\n') {
                  s.messages.add(SimClient.JSON.readTree(s.line.toByteArray()));
                  s.line.reset();
                } else {
                  s.line.write(c);
                }
              }
            }
            if (s.done()) {
              k.cancel();
              open--;
            }
          }
          selector.selectedKeys().clear();
        }
        long finished = System.nanoTime();
        int ok = 0;
        List<String> problems = new ArrayList<>();
        for (Session s : sessions) {
          String problem = check(s, expected);
          if (problem == null) {
            ok++;
          } else if (problems.size() < 5) {
            problems.add(problem);
          }
        }
        System.out.printf(
            "%d clients x %d queries: all connected and sent in %d ms, all answered after %d ms"
                + " (%d replies, %.0f replies/s)%n",
            CLIENTS,
            QUERIES.size(),
            TimeUnit.NANOSECONDS.toMillis(connected - start),
            TimeUnit.NANOSECONDS.toMillis(finished - start),
            CLIENTS * (QUERIES.size() + 1),
            CLIENTS * (QUERIES.size() + 1) / ((finished - start) / 1e9));
        assertEquals(CLIENTS, ok, "sessions served correctly; first problems: " + problems);
      } finally {
        for (Session s : sessions) {
          s.channel.close();
        }
      }
      // the machine still serves a new client afterwards
      try (SimClient after = SimClient.open(f.socket)) {
        assertEquals(expected.get(0), after.execute("query-status").result());
      }
    }
  }

  /** Null if the session got the greeting, negotiated, and every query's lone-client reply. */
  private static String check(Session s, List<JsonNode> expected) throws IOException {
    List<JsonNode> m = s.messages;
    if (m.size() != QUERIES.size() + 2) {
      return m.size() + " messages" + (s.closed ? ", closed" : "");
    }
    if (!m.get(0).has("QMP")) {
      return "no greeting: " + m.get(0);
    }
    if (!m.get(1).path("id").asText().equals("cap") || !m.get(1).has("return")) {
      return "negotiation: " + m.get(1);
    }
    for (int i = 0; i < QUERIES.size(); i++) {
      JsonNode r = m.get(i + 2);
      if (r.path("id").asInt(-1) != i || !expected.get(i).equals(r.get("return"))) {
        return QUERIES.get(i) + ": " + r;
      }
    }
    assertTrue(m.stream().noneMatch(x -> x.has("error")));
    return null;
  }
}
