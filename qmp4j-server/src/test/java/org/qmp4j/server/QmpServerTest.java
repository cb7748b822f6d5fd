package org.qmp4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpErrorException;

class QmpServerTest {
  @TempDir Path dir;

  private QmpServer server;
  private UnixDomainSocketAddress address;
  private final CountDownLatch release = new CountDownLatch(1);
  private final CountDownLatch blocked = new CountDownLatch(1);

  @BeforeEach
  void start() throws Exception {
    server =
        TestServers.basicCommands(
                QmpServer.newBuilder()
                    .schema(
                        QmpServer.controlSchema(
                            s ->
                                TestServers.basicSchema(s)
                                    .command("fail", c -> {})
                                    .event("STOP", (String) null)
                                    .object("RtcChange", o -> o.member("offset", "int"))
                                    .event("RTC_CHANGE", "RtcChange")
                                    .object("VserportChange", o -> o.member("id", "str"))
                                    .event("VSERPORT_CHANGE", "VserportChange"))),
                blocked,
                release,
                null)
            .commandInline(
                "fail",
                (ctx, args) -> {
                  throw new QmpErrorException.DeviceNotFoundException(
                      "Device 'x' not found", null, null);
                })
            .throttle("RTC_CHANGE", Duration.ofMillis(300))
            .throttle("VSERPORT_CHANGE", Duration.ofMillis(300), "id")
            .build();
    address = TestServers.listen(server, dir.resolve("qmp.sock"), MonitorOptions.DEFAULT, 0);
  }

  @AfterEach
  void stop() {
    release.countDown();
    server.close();
  }

  private RawClient client() throws Exception {
    return new RawClient(address);
  }

  @Test
  void greetingIsQemus() throws Exception {
    try (RawClient c = client()) {
      assertEquals(
          "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7},"
              + " \"package\": \"qmp4j\"}, \"capabilities\": [\"oob\"]}}\r\n",
          c.line());
    }
  }

  @Test
  void negotiationMode() throws Exception {
    try (RawClient c = client()) {
      c.line();
      c.send("{\"execute\":\"query-version\",\"id\":1}");
      assertEquals(
          "{\"id\": 1, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Expecting"
              + " capabilities negotiation with 'qmp_capabilities'\"}}\r\n",
          c.line());
      c.send("{\"execute\":\"nonexistent\"}");
      assertTrue(c.line().contains("Expecting capabilities negotiation"));
      c.send("{\"id\":3}");
      assertEquals(
          "{\"id\": 3, \"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input lacks member"
              + " 'execute'\"}}\r\n",
          c.line());
      c.send("{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"foo\"]}}");
      assertEquals(
          "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'null' does not accept"
              + " value 'foo'\"}}\r\n",
          c.line());
      c.send("{\"execute\":\"qmp_capabilities\"}");
      assertEquals("{\"return\": {}}\r\n", c.line());
      c.send("{\"execute\":\"qmp_capabilities\",\"id\":\"x\"}");
      assertEquals(
          "{\"id\": \"x\", \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Capabilities"
              + " negotiation is already complete, command ignored\"}}\r\n",
          c.line());
      c.send("{\"execute\":\"query-version\"}");
      assertEquals(
          "{\"return\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\":"
              + " \"qmp4j\"}}\r\n",
          c.line());
    }
  }

  @Test
  void requestChecksAndIds() throws Exception {
    try (RawClient c = client().negotiate(false)) {
      c.send("[1]");
      assertEquals(
          "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input must be a JSON"
              + " object\"}}\r\n",
          c.line());
      c.send("{\"execute\":1,\"foo\":2,\"id\":{\"x\":[1,2]}}");
      assertEquals(
          "{\"id\": {\"x\": [1, 2]}, \"error\": {\"class\": \"GenericError\", \"desc\": \"QMP"
              + " input member 'execute' must be a string\"}}\r\n",
          c.line());
      c.send("{\"a\":1,\"arguments\":1}");
      assertTrue(c.line().contains("QMP input member 'a' is unexpected"));
      c.send("{\"execute\":\"echo\",\"exec-oob\":\"echo\"}");
      assertTrue(c.line().contains("QMP input member 'exec-oob' is unexpected"));
      c.send("{\"execute\":\"echo\",\"arguments\":{\"value\":5},\"id\":null}");
      assertEquals("{\"return\": {\"value\": 5}, \"id\": null}\r\n", c.line());
      c.send("{\"execute\":\"echo\",\"arguments\":{\"value\":1.0},\"id\":1.5}");
      assertEquals(
          "{\"id\": 1.5, \"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid parameter"
              + " type for 'value', expected: integer\"}}\r\n",
          c.line());
      c.send("{\"execute\":\"nope\",\"id\":2}");
      assertEquals(
          "{\"id\": 2, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope"
              + " has not been found\"}}\r\n",
          c.line());
      c.send("{\"execute\":\"fail\",\"id\":3}");
      assertEquals(
          "{\"id\": 3, \"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Device 'x' not"
              + " found\"}}\r\n",
          c.line());
      c.send("{\"execute\":}");
      assertEquals(
          "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, expecting"
              + " value\"}}\r\n",
          c.line());
    }
  }

  @Test
  void outOfBandOvertakesABlockedCommand() throws Exception {
    try (RawClient c = client().negotiate(true)) {
      c.send("{\"execute\":\"block\",\"id\":\"slow\"}");
      assertTrue(blocked.await(5, TimeUnit.SECONDS));
      c.send("{\"execute\":\"echo\",\"arguments\":{\"value\":1},\"id\":\"queued\"}");
      c.send("{\"exec-oob\":\"ping-oob\",\"id\":\"fast\"}");
      assertEquals("{\"return\": {}, \"id\": \"fast\"}\r\n", c.line());
      c.send("{\"exec-oob\":\"echo\",\"id\":\"bad\"}");
      assertEquals(
          "{\"id\": \"bad\", \"error\": {\"class\": \"GenericError\", \"desc\": \"The command"
              + " echo does not support OOB\"}}\r\n",
          c.line());
      release.countDown();
      assertEquals("{\"return\": {}, \"id\": \"slow\"}\r\n", c.line());
      assertEquals("{\"return\": {\"value\": 1}, \"id\": \"queued\"}\r\n", c.line());
    }
  }

  @Test
  void fullQueueStopsReadingUntilTheBlockedCommandEnds() throws Exception {
    try (RawClient c = client().negotiate(true)) {
      c.send("{\"execute\":\"block\",\"id\":0}");
      assertTrue(blocked.await(5, TimeUnit.SECONDS));
      StringBuilder eight = new StringBuilder();
      for (int i = 1; i <= 8; i++) {
        eight.append("{\"execute\":\"echo\",\"arguments\":{\"value\":").append(i).append("}}");
      }
      c.send(eight.toString());
      c.send("{\"exec-oob\":\"ping-oob\",\"id\":\"oob\"}");
      // Eight requests are queued: QEMU reads nothing more, so the OOB request waits.
      assertEquals("none", c.lineOrNone(300));
      release.countDown();
      assertEquals("{\"return\": {}, \"id\": 0}\r\n", c.line());
      // The OOB request is read as soon as the queue has room, ahead of the queued ones.
      assertEquals("{\"return\": {}, \"id\": \"oob\"}\r\n", c.line());
      for (int i = 1; i <= 8; i++) {
        assertEquals("{\"return\": {\"value\": " + i + "}}\r\n", c.line());
      }
    }
  }

  @Test
  void withoutOobNothingIsReadWhileACommandRuns() throws Exception {
    try (RawClient c = client().negotiate(false)) {
      c.send("{\"execute\":\"block\",\"id\":0}");
      assertTrue(blocked.await(5, TimeUnit.SECONDS));
      c.send("{\"exec-oob\":\"ping-oob\",\"id\":\"oob\"}");
      assertEquals("none", c.lineOrNone(300));
      release.countDown();
      assertEquals("{\"return\": {}, \"id\": 0}\r\n", c.line());
      assertEquals(
          "{\"id\": \"oob\", \"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member"
              + " 'exec-oob' is unexpected\"}}\r\n",
          c.line());
    }
  }

  @Test
  void eventsReachOnlyNegotiatedSessions() throws Exception {
    try (RawClient early = client();
        RawClient ready = client().negotiate(false)) {
      early.line();
      server.emit("STOP", null);
      String stop = ready.line();
      assertTrue(
          stop.matches(
              "\\{\"timestamp\": \\{\"seconds\": \\d+, \"microseconds\": \\d+\\},"
                  + " \"event\": \"STOP\"\\}\r\n"),
          stop);
      assertEquals("none", early.lineOrNone(200));
      early.send("{\"execute\":\"qmp_capabilities\"}");
      assertEquals("{\"return\": {}}\r\n", early.line());
      // No backlog after negotiation.
      assertEquals("none", early.lineOrNone(200));
    }
  }

  @Test
  void throttledEventsKeepTheLastWithItsOwnTimestamp() throws Exception {
    try (RawClient c = client().negotiate(false)) {
      for (int i = 1; i <= 5; i++) {
        server.emit("RTC_CHANGE", offset(i));
      }
      ObjectNode vs1 = JsonNodeFactory.instance.objectNode().put("id", "a");
      ObjectNode vs2 = JsonNodeFactory.instance.objectNode().put("id", "b");
      server.emit("VSERPORT_CHANGE", vs1);
      server.emit("VSERPORT_CHANGE", vs2);
      server.emit("VSERPORT_CHANGE", vs1);
      long start = System.nanoTime();
      assertTrue(c.line().contains("\"offset\": 1"));
      assertTrue(c.line().contains("\"id\": \"a\""));
      assertTrue(c.line().contains("\"id\": \"b\""));
      String delayed = c.line();
      String delayedVs = c.line();
      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(delayed.contains("\"offset\": 5") || delayedVs.contains("\"offset\": 5"));
      assertTrue(delayed.contains("\"id\": \"a\"") || delayedVs.contains("\"id\": \"a\""));
      assertTrue(waited >= 200, "delayed by the interval, waited " + waited);
      assertEquals("none", c.lineOrNone(500));
    }
  }

  private static ObjectNode offset(int i) {
    return JsonNodeFactory.instance.objectNode().put("offset", i);
  }

  @Test
  void halfClosedPeerStillGetsItsReplies() throws Exception {
    try (RawClient c = client()) {
      c.line();
      c.send(
          "{\"execute\":\"qmp_capabilities\"}{\"execute\":\"echo\",\"arguments\":{\"value\":9}}");
      c.shutdownOutput();
      assertEquals("{\"return\": {}}\r\n", c.line());
      assertEquals("{\"return\": {\"value\": 9}}\r\n", c.line());
      assertNull(c.line());
    }
  }

  @Test
  void listensOnAddresses() throws Exception {
    Path sock = dir.resolve("by-address.sock");
    org.qmp4j.transport.QmpListener unix =
        server.listen(org.qmp4j.transport.QmpAddress.parse("unix:" + sock), MonitorOptions.PRETTY);
    assertEquals(
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"),
        Files.getPosixFilePermissions(sock));
    try (RawClient c = new RawClient(UnixDomainSocketAddress.of(sock))) {
      assertEquals("{\r\n", c.line());
    }
    org.qmp4j.transport.QmpListener tcp =
        server.listen(
            org.qmp4j.transport.QmpAddress.parse("tcp:127.0.0.1:0"), MonitorOptions.DEFAULT);
    org.qmp4j.transport.QmpAddress.Tcp bound =
        (org.qmp4j.transport.QmpAddress.Tcp) tcp.localAddress();
    try (RawClient c =
        new RawClient(new java.net.InetSocketAddress("127.0.0.1", bound.port())).negotiate(false)) {
      c.send("{\"execute\":\"echo\",\"arguments\":{\"value\":3}}");
      assertEquals("{\"return\": {\"value\": 3}}\r\n", c.line());
    }
    unix.close();
    assertFalse(Files.exists(sock));
    tcp.close();
  }

  @Test
  void servesStreams() throws Exception {
    java.io.PipedOutputStream toServer = new java.io.PipedOutputStream();
    java.io.PipedInputStream serverIn = new java.io.PipedInputStream(toServer, 65536);
    java.io.PipedInputStream fromServer = new java.io.PipedInputStream(65536);
    java.io.PipedOutputStream serverOut = new java.io.PipedOutputStream(fromServer);
    server.serve(serverIn, serverOut, MonitorOptions.DEFAULT);
    java.io.BufferedReader r =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(fromServer, java.nio.charset.StandardCharsets.UTF_8));
    assertTrue(r.readLine().startsWith("{\"QMP\""));
    toServer.write(
        "{\"execute\":\"qmp_capabilities\"}{\"execute\":\"echo\",\"arguments\":{\"value\":4}}"
            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    toServer.flush();
    assertEquals("{\"return\": {}}", r.readLine());
    assertEquals("{\"return\": {\"value\": 4}}", r.readLine());
    toServer.close();
  }

  @Test
  void closeRemovesTheSocketFile() throws Exception {
    Path sock = address.getPath();
    assertTrue(Files.exists(sock));
    server.close();
    assertFalse(Files.exists(sock));
  }
}
