package org.qmp4j.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code query-chardev}, {@code qom-list /chardevs} and HMP {@code info chardev} as QEMU 7.2
 * answers them (observed with the same command line; {@code MachineOptionsIT} compares live).
 */
class ChardevTest {
  private static final Duration WAIT = Duration.ofSeconds(5);

  @TempDir Path dir;

  private static SimulatedMachine.Builder libvirtStyle() {
    return SimulatedMachine.newBuilder()
        .startPaused(true)
        .option("-device", "virtio-serial-pci,id=virtio-serial0")
        .option(
            "-device",
            "virtserialport,bus=virtio-serial0.0,nr=1,chardev=charchannel0,id=channel0,"
                + "name=org.qemu.guest_agent.0");
  }

  private static void await(Supplier<String> actual, String expected) throws Exception {
    long end = System.nanoTime() + WAIT.toNanos();
    while (!actual.get().equals(expected) && System.nanoTime() < end) {
      Thread.sleep(10);
    }
    assertEquals(expected, actual.get());
  }

  private static String query(SimClient c) {
    try {
      return c.execute("query-chardev").result().toString();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static String entry(String label, String filename, boolean frontendOpen) {
    return "{\"frontend-open\":"
        + frontendOpen
        + ",\"filename\":\""
        + filename
        + "\",\"label\":\""
        + label
        + "\"}";
  }

  @Test
  void aQmpMonitorIsCompatMonitor0AndConnectedWhileItsClientAsks() throws Exception {
    try (SimFixture f = new SimFixture(SimulatedMachine.newBuilder())) {
      SimClient c = f.client();
      String unix = "unix:" + f.socket + ",server=on";
      assertEquals("[" + entry("compat_monitor0", unix, true) + "]", query(c));
      assertEquals(
          "[{\"name\":\"type\",\"type\":\"string\"},"
              + "{\"name\":\"compat_monitor0\",\"type\":\"child<chardev-socket>\"}]",
          c.execute("qom-list", "{\"path\": \"/chardevs\"}").result().toString());
      assertEquals(
          "compat_monitor0: filename=" + unix + "\r\n",
          c.execute("human-monitor-command", "{\"command-line\": \"info chardev\"}")
              .result()
              .asText());
    }
  }

  @Test
  void libvirtsMonitorsAndTheAgentsChannelInQemusOrderWithTheirClients() throws Exception {
    try (SimulatedMachine vm = libvirtStyle().build()) {
      Path m = dir.resolve("m.sock");
      Path m2 = dir.resolve("m2.sock");
      Path g = dir.resolve("g.sock");
      // QEMU's command line order: charmonitor, mon2, montcp, charchannel0.
      vm.declareChardevs(java.util.List.of("charmonitor", "mon2", "montcp", "charchannel0"));
      vm.guestAgent().listen("charchannel0", g);
      vm.listen("charmonitor", m, false);
      vm.listen("mon2", m2, false);
      vm.listen("montcp", new InetSocketAddress("127.0.0.1", 0), false);
      SimClient c = SimClient.open(m);
      JsonNode list = c.execute("query-chardev").result();
      String tcp = list.get(2).get("filename").asText();
      assertTrue(tcp.matches("disconnected:tcp:127\\.0\\.0\\.1:\\d+,server=on"), tcp);
      int port = Integer.parseInt(tcp.replaceAll(".*:(\\d+),server=on", "$1"));
      String none =
          "["
              + entry("mon2", "disconnected:unix:" + m2 + ",server=on", true)
              + ","
              + entry("charchannel0", "disconnected:unix:" + g + ",server=on", false)
              + ","
              + entry("montcp", tcp, true)
              + ","
              + entry("charmonitor", "unix:" + m + ",server=on", true)
              + "]";
      assertEquals(none, list.toString(), "QEMU 7.2's order (its hash table's)");

      try (SocketChannel a = SocketChannel.open(UnixDomainSocketAddress.of(m2));
          Socket t = new Socket("127.0.0.1", port);
          SocketChannel ga = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        ga.connect(UnixDomainSocketAddress.of(g));
        String all =
            "["
                + entry("mon2", "unix:" + m2 + ",server=on", true)
                + ","
                + entry("charchannel0", "unix:" + g + ",server=on", false)
                + ","
                + entry(
                    "montcp",
                    "tcp:127.0.0.1:" + port + ",server=on <-> 127.0.0.1:" + t.getLocalPort(),
                    true)
                + ","
                + entry("charmonitor", "unix:" + m + ",server=on", true)
                + "]";
        await(() -> query(c), all);
        assertTrue(
            c.execute("human-monitor-command", "{\"command-line\": \"info chardev\"}")
                .result()
                .asText()
                .contains("montcp: filename=tcp:127.0.0.1:" + port + ",server=on <-> 127.0.0.1:"));

        // The guest runs: its agent opens the port (VSERPORT_CHANGE), the channel's frontend too.
        c.execute("cont");
        assertTrue(c.awaitEvent("VSERPORT_CHANGE", WAIT) != null);
        await(() -> query(c), all.replace("\"frontend-open\":false", "\"frontend-open\":true"));
      }
      // Every client left: disconnected again (the agent's port stays open).
      await(() -> query(c), none.replace("\"frontend-open\":false", "\"frontend-open\":true"));
      c.close();
    }
  }

  @Test
  void aMonitorWithManyClientsShowsTheConnectedFormWhileItHasOne() throws Exception {
    try (SimFixture f = new SimFixture(SimulatedMachine.newBuilder())) {
      SimClient a = f.client();
      SimClient b = f.client();
      String connected =
          "[" + entry("compat_monitor0", "unix:" + f.socket + ",server=on", true) + "]";
      assertEquals(connected, query(a));
      b.close();
      assertEquals(connected, query(a));
    }
  }
}
