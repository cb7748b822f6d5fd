package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.protocol.QmpVersion;
import org.qmp4j.server.MonitorOptions;
import org.qmp4j.server.QmpServer;
import org.qmp4j.transport.QmpAddress;

/**
 * After a reconnect the client knows nothing from the old peer: the peer may have been restarted as
 * another version with another schema and other capabilities.
 */
class ReconnectRequeryTest {

  @TempDir Path dir;

  /** A qmp4j server listening on {@code sock}; closing it closes its sessions too. */
  private static AutoCloseable serve(QmpServer server, Path sock, MonitorOptions options)
      throws IOException {
    Files.deleteIfExists(sock);
    ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    ch.bind(UnixDomainSocketAddress.of(sock));
    AutoCloseable listener = server.listen(ch, options, sock);
    return () -> {
      listener.close();
      server.close();
    };
  }

  private static QmpServer newer() {
    return QmpServer.newBuilder()
        .version(new QmpVersion(8, 0, 0, "restarted"))
        .schema(QmpServer.controlSchema(s -> s.command("newcmd", c -> {})))
        .commandInline("newcmd", (ctx, args) -> null)
        .build();
  }

  private static QmpEvent nextGap(EventStream events) {
    while (true) {
      QmpEvent e = events.poll(Duration.ofSeconds(10)).orElseThrow();
      if (e.name().equals(EventSubscription.GAP_EVENT)) {
        return e;
      }
    }
  }

  @Test
  void aPeerRestartedAsAnotherVersionIsQueriedAfreshAfterTheReconnect() throws Exception {
    Path sock = dir.resolve("vm.sock");
    AutoCloseable first = serve(TestServer.builder().build(), sock, MonitorOptions.DEFAULT);
    try (QmpClient c =
        QmpClient.newBuilder()
            .address(QmpAddress.unix(sock))
            .reconnect(ReconnectPolicy.backoff(Duration.ofMillis(20), Duration.ofMillis(200)))
            .validateArguments(true)
            .build()) {
      EventStream events = c.events().stream();
      c.connect();
      assertTrue(c.supports("echo"));
      assertFalse(c.supports("newcmd"));
      assertTrue(c.oobEnabled());
      assertEquals(new QmpVersion(7, 2, 0, "qmp4j"), c.greeting().orElseThrow().version());
      assertEquals(3, c.execute("echo", Map.of("value", 3)).get("value").asInt());

      first.close(); // the old peer goes away; another version comes up at the same address
      AutoCloseable second = serve(newer(), sock, new MonitorOptions(false, false));
      try {
        QmpEvent gap = nextGap(events);
        assertTrue(gap.data().get("peer-changed").asBoolean(), gap.toString());
        assertEquals(8, gap.data().get("version").get("qemu").get("major").asInt());
        assertEquals("restarted", gap.data().get("version").get("package").asText());
        assertEquals(0, gap.data().get("capabilities").size(), gap.toString());
        assertEquals(ConnectionState.CONNECTED, c.state());

        assertEquals(new QmpVersion(8, 0, 0, "restarted"), c.greeting().orElseThrow().version());
        assertFalse(c.oobEnabled()); // the new peer does not offer it
        assertTrue(c.supports("newcmd")); // the new schema, not the cached one
        assertFalse(c.supports("echo"));
        QmpErrorException e =
            assertThrows(QmpErrorException.class, () -> c.execute("echo", Map.of("value", 1)));
        assertEquals("CommandNotFound", e.errorClass()); // validated against the new schema
        assertEquals("The command echo has not been found", e.desc());
        c.execute("newcmd");
        assertThrows(
            IllegalStateException.class,
            () -> c.executeOob("newcmd", null)); // OOB is off on this connection
      } finally {
        second.close();
      }

      // the same version comes back: a gap, but not a different peer
      try (AutoCloseable third = serve(newer(), sock, new MonitorOptions(false, false))) {
        QmpEvent gap = nextGap(events);
        assertFalse(gap.data().get("peer-changed").asBoolean(), gap.toString());
        assertTrue(c.supports("newcmd"));
      }
    }
  }
}
