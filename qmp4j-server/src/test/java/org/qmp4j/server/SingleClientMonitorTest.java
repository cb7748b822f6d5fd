package org.qmp4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link MonitorOptions#singleClient()}: a listener is one monitor serving one client at a time, as
 * QEMU 7.2's socket chardev (observed: {@code blocking/reconnect-while-blocked*} and {@code
 * sessions/second-client-waits-in-backlog} in qmp4j-conformance replay the same against QEMU).
 */
class SingleClientMonitorTest {
  private static final String GREETING_START = "{\"QMP\": ";
  private static final String OOB_UNEXPECTED =
      "\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'exec-oob' is"
          + " unexpected\"}}\r\n";

  @TempDir Path dir;

  private final CountDownLatch blocked = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private final CountDownLatch finished = new CountDownLatch(1);
  private QmpServer server;

  @AfterEach
  void stop() {
    release.countDown();
    if (server != null) {
      server.close();
    }
  }

  private QmpServer server(boolean serialInBand) {
    server =
        TestServers.basicCommands(
                QmpServer.newBuilder()
                    .schema(QmpServer.controlSchema(TestServers::basicSchema))
                    .serialInBand(serialInBand),
                blocked,
                release,
                finished)
            .build();
    return server;
  }

  private UnixDomainSocketAddress listen(String name, MonitorOptions options) throws Exception {
    return TestServers.listen(server, dir.resolve(name), options, 1);
  }

  private UnixDomainSocketAddress singleClient() throws Exception {
    server(false);
    return listen("qemu.sock", MonitorOptions.QEMU);
  }

  private static String echo(Object id, int value) {
    return "{\"execute\":\"echo\",\"id\":" + id + ",\"arguments\":{\"value\":" + value + "}}";
  }

  @Test
  void secondClientWaitsInTheBacklogUntilTheFirstLeaves() throws Exception {
    UnixDomainSocketAddress address = singleClient();
    try (RawClient a = new RawClient(address);
        RawClient b = new RawClient(address)) {
      assertTrue(a.line().startsWith(GREETING_START));
      b.send("{\"execute\":\"qmp_capabilities\",\"id\":\"b1\"}");
      assertEquals("none", b.lineOrNone(300), "a second client is not served meanwhile");
      assertEquals(1, server.sessions().size());
      a.close();
      assertTrue(b.line().startsWith(GREETING_START));
      assertEquals("{\"return\": {}, \"id\": \"b1\"}\r\n", b.line(), "what it sent is read now");
    }
  }

  @Test
  void replyOfARunningCommandGoesToTheNextClient() throws Exception {
    UnixDomainSocketAddress address = singleClient();
    try (RawClient a = new RawClient(address).negotiate(true)) {
      a.send("{\"execute\":\"block\",\"id\":\"blk\"}");
      assertTrue(blocked.await(5, TimeUnit.SECONDS));
      a.send(echo("\"dropped\"", 1));
      a.send("{\"exec-oob\":\"ping-oob\",\"id\":\"a-oob\"}");
      assertEquals("{\"return\": {}, \"id\": \"a-oob\"}\r\n", a.line());
    }
    try (RawClient b = new RawClient(address)) {
      assertTrue(b.line().startsWith(GREETING_START), "greeted while the command runs");
      b.send("{\"exec-oob\":\"ping-oob\",\"id\":\"b1\"}");
      assertEquals(
          "{\"id\": \"b1\", " + OOB_UNEXPECTED,
          b.line(),
          "negotiation state is the new client's: OOB is not enabled");
      b.send("{\"execute\":\"qmp_capabilities\",\"id\":\"b2\"}");
      assertEquals("none", b.lineOrNone(300), "in-band requests wait for the running command");
      release.countDown();
      assertEquals("{\"return\": {}, \"id\": \"blk\"}\r\n", b.line());
      assertEquals("{\"return\": {}, \"id\": \"b2\"}\r\n", b.line());
      b.send(echo("\"b3\"", 3));
      assertEquals(
          "{\"return\": {\"value\": 3}, \"id\": \"b3\"}\r\n",
          b.line(),
          "the departed client's queued request was dropped");
    }
  }

  @Test
  void withoutOobTheNextClientsInputIsNotReadUntilTheCommandEnds() throws Exception {
    UnixDomainSocketAddress address = singleClient();
    try (RawClient a = new RawClient(address).negotiate(false)) {
      a.send("{\"execute\":\"block\",\"id\":\"blk\"}");
      assertTrue(blocked.await(5, TimeUnit.SECONDS));
    }
    try (RawClient b = new RawClient(address)) {
      assertTrue(b.line().startsWith(GREETING_START), "greeted while the command runs");
      b.send("{\"exec-oob\":\"ping-oob\",\"id\":\"b1\"}");
      b.send("{\"execute\":\"qmp_capabilities\",\"id\":\"b2\"}");
      assertEquals("none", b.lineOrNone(300), "the monitor stays suspended, even for exec-oob");
      release.countDown();
      assertEquals("{\"return\": {}, \"id\": \"blk\"}\r\n", b.line());
      assertEquals("{\"id\": \"b1\", " + OOB_UNEXPECTED, b.line());
      assertEquals("{\"return\": {}, \"id\": \"b2\"}\r\n", b.line());
    }
  }

  @Test
  void aReplyWithoutAClientIsLost() throws Exception {
    UnixDomainSocketAddress address = singleClient();
    try (RawClient a = new RawClient(address).negotiate(true)) {
      a.send("{\"execute\":\"block\",\"id\":\"blk\"}");
      assertTrue(blocked.await(5, TimeUnit.SECONDS));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!server.sessions().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertTrue(server.sessions().isEmpty(), "the client has gone");
    release.countDown();
    assertTrue(finished.await(5, TimeUnit.SECONDS));
    Thread.sleep(100); // the reply reaches the I/O thread, which has nobody to send it to
    try (RawClient b = new RawClient(address).negotiate(false)) {
      b.send(echo(1, 1));
      assertEquals("{\"return\": {\"value\": 1}, \"id\": 1}\r\n", b.line());
    }
  }

  @Test
  void aHalfClosedClientStillGetsEveryReply() throws Exception {
    UnixDomainSocketAddress address = singleClient();
    try (RawClient a = new RawClient(address).negotiate(false)) {
      a.send("{\"execute\":\"block\",\"id\":1}");
      a.send(echo(2, 2));
      a.shutdownOutput();
      assertTrue(blocked.await(5, TimeUnit.SECONDS));
      Thread.sleep(100); // the server has read the end of the stream by now
      release.countDown();
      assertEquals("{\"return\": {}, \"id\": 1}\r\n", a.line());
      assertEquals("{\"return\": {\"value\": 2}, \"id\": 2}\r\n", a.line());
      assertNull(a.line(), "then the server closes");
    }
  }

  @Test
  void aDepartedClientsCommandStillHoldsTheSerialDispatcher() throws Exception {
    server(true);
    UnixDomainSocketAddress first = listen("m1.sock", MonitorOptions.QEMU);
    UnixDomainSocketAddress second = listen("m2.sock", MonitorOptions.QEMU);
    try (RawClient b = new RawClient(second).negotiate(true)) {
      try (RawClient a = new RawClient(first).negotiate(true)) {
        a.send("{\"execute\":\"block\",\"id\":\"blk\"}");
        assertTrue(blocked.await(5, TimeUnit.SECONDS));
      }
      Thread.sleep(100);
      b.send(echo(1, 1));
      b.send("{\"exec-oob\":\"ping-oob\",\"id\":\"oob\"}");
      assertEquals("{\"return\": {}, \"id\": \"oob\"}\r\n", b.line(), "OOB is not held up");
      assertEquals("none", b.lineOrNone(300), "in-band waits for the departed client's command");
      release.countDown();
      assertEquals("{\"return\": {\"value\": 1}, \"id\": 1}\r\n", b.line());
    }
  }

  @Test
  void anAddressListenerServesOneClientAtATime() throws Exception {
    server(false);
    Path sock = dir.resolve("addr.sock");
    try (org.qmp4j.transport.QmpListener listener =
            server.listen(
                org.qmp4j.transport.QmpAddress.parse("unix:" + sock), MonitorOptions.QEMU);
        RawClient a = new RawClient(UnixDomainSocketAddress.of(sock));
        RawClient b = new RawClient(UnixDomainSocketAddress.of(sock))) {
      assertTrue(a.line().startsWith(GREETING_START));
      assertEquals("none", b.lineOrNone(300));
      a.close();
      assertTrue(b.line().startsWith(GREETING_START));
    }
  }

  @Test
  void byDefaultAListenerServesClientsAtOnce() throws Exception {
    server(false);
    UnixDomainSocketAddress address = listen("many.sock", MonitorOptions.DEFAULT);
    try (RawClient a = new RawClient(address).negotiate(true)) {
      a.send("{\"execute\":\"block\",\"id\":\"blk\"}");
      assertTrue(blocked.await(5, TimeUnit.SECONDS));
      try (RawClient b = new RawClient(address).negotiate(false)) {
        b.send(echo(1, 1));
        assertEquals("{\"return\": {\"value\": 1}, \"id\": 1}\r\n", b.line());
      }
      release.countDown();
      assertEquals("{\"return\": {}, \"id\": \"blk\"}\r\n", a.line());
    }
  }
}
