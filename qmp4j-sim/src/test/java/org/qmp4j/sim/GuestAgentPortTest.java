package org.qmp4j.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest agent's virtio-serial port as libvirt wires it ({@code -device virtio-serial-pci
 * -device virtserialport,name=org.qemu.guest_agent.0}): the guest's qemu-ga opens it once the guest
 * runs (VSERPORT_CHANGE), the port closes when the guest stops its services or the machine resets
 * the device; and {@link SimulatorMain}'s {@code --guest-agent}.
 */
class GuestAgentPortTest {
  private static final Duration WAIT = Duration.ofSeconds(5);

  /** QEMU lets one VSERPORT_CHANGE per port id through a second. */
  private static final long THROTTLE_MILLIS = 1100;

  @TempDir Path dir;

  private static SimulatedMachine.Builder libvirtStyle() {
    return SimulatedMachine.newBuilder()
        .startPaused(true)
        .noShutdown(true)
        .option("-device", "virtio-serial-pci,id=virtio-serial0,bus=pci.0,addr=0x5")
        .option(
            "-device",
            "virtserialport,bus=virtio-serial0.0,nr=1,chardev=charchannel0,id=channel0,"
                + "name=org.qemu.guest_agent.0")
        .option("-device", "virtserialport,bus=virtio-serial0.0,nr=2,id=channel1,name=other.0");
  }

  private static List<String> names(List<JsonNode> messages) {
    List<String> out = new ArrayList<>();
    for (JsonNode m : messages) {
      out.add(
          m.has("event")
              ? m.get("event").asText() + (m.has("data") ? m.get("data") : "")
              : "reply");
    }
    return out;
  }

  @Test
  void theAgentOpensItsPortWhenTheGuestRunsAndClosesItOnResetAndPowerOff() throws Exception {
    try (SimFixture f = new SimFixture(libvirtStyle())) {
      SimClient c = f.client();
      JsonNode props =
          c.execute("qom-list", "{\"path\": \"/machine/peripheral/channel0\"}").result();
      assertTrue(props.toString().contains("{\"name\":\"name\",\"type\":\"str\"}"), props + "");
      assertTrue(props.toString().contains("{\"name\":\"chardev\",\"type\":\"str\"}"), props + "");
      // No guest yet: nothing opens the port.
      assertEquals(List.of(), c.drain(Duration.ofMillis(300)));

      assertEquals(List.of("RESUME"), c.execute("cont").eventNames());
      JsonNode open = c.awaitEvent("VSERPORT_CHANGE", WAIT);
      assertNotNull(open, "the agent did not open its port");
      assertEquals("{\"open\":true,\"id\":\"channel0\"}", open.get("data").toString());
      // Only the agent's port opens (nothing in the guest opens other.0).
      assertEquals(List.of(), c.drain(Duration.ofMillis(300)));

      // system_reset: the device reset closes the port before RESET; the rebooted guest reopens.
      Thread.sleep(THROTTLE_MILLIS);
      assertEquals(
          List.of(
              "VSERPORT_CHANGE{\"open\":false,\"id\":\"channel0\"}",
              "RESET{\"guest\":false,\"reason\":\"host-qmp-system-reset\"}",
              "reply"),
          names(c.execute("system_reset").messages()));
      JsonNode reopened = c.awaitEvent("VSERPORT_CHANGE", WAIT);
      assertNotNull(reopened, "the agent did not open its port after the reset");
      assertTrue(reopened.at("/data/open").asBoolean());

      // The guest powers off: qemu-ga stops with the guest's services, then SHUTDOWN (and STOP
      // with -no-shutdown); it opens the port again once the machine is reset and runs.
      Thread.sleep(THROTTLE_MILLIS);
      assertEquals(
          List.of(
              "VSERPORT_CHANGE{\"open\":false,\"id\":\"channel0\"}",
              "SHUTDOWN{\"guest\":true,\"reason\":\"guest-shutdown\"}",
              "STOP",
              "reply"),
          names(c.execute("__org.qmp4j_guest-shutdown").messages()));
      assertEquals("shutdown", c.execute("query-status").result().get("status").asText());
      c.execute("system_reset");
      c.execute("cont");
      JsonNode again = c.awaitEvent("VSERPORT_CHANGE", WAIT);
      assertNotNull(again, "the agent did not open its port after the guest booted again");
      assertTrue(again.at("/data/open").asBoolean());
    }
  }

  @Test
  void withoutMinusSTheGuestBootsAndTheAgentOpensItsPort() throws Exception {
    try (SimFixture f = new SimFixture(libvirtStyle().startPaused(false))) {
      SimClient c = f.client();
      JsonNode open = c.awaitEvent("VSERPORT_CHANGE", WAIT);
      assertNotNull(open);
      assertEquals("channel0", open.at("/data/id").asText());
    }
  }

  @Test
  void aHotPluggedAgentPortIsOpenedByTheRunningGuest() throws Exception {
    try (SimFixture f =
        new SimFixture(
            SimulatedMachine.newBuilder().option("-device", "virtio-serial-pci,id=vs0"))) {
      SimClient c = f.client();
      assertEquals(
          "Bus 'nope.0' not found",
          c.execute(
                  "device_add",
                  "{\"driver\": \"virtserialport\", \"bus\": \"nope.0\", \"name\": \"x\"}")
              .errorDesc());
      c.execute(
              "device_add",
              "{\"driver\": \"virtserialport\", \"bus\": \"vs0.0\", \"id\": \"ga\","
                  + " \"name\": \"org.qemu.guest_agent.0\"}")
          .result();
      JsonNode open = c.awaitEvent("VSERPORT_CHANGE", WAIT);
      assertNotNull(open);
      assertEquals("{\"open\":true,\"id\":\"ga\"}", open.get("data").toString());
    }
  }

  @Test
  void aPortCannotBePluggedWithoutAVirtioSerialBus() throws Exception {
    try (SimFixture f = new SimFixture(SimulatedMachine.newBuilder())) {
      // QEMU 7.2's text (observed)
      assertEquals(
          "No 'virtio-serial-bus' bus found for device 'virtserialport'",
          f.client()
              .execute(
                  "device_add",
                  "{\"driver\": \"virtserialport\", \"id\": \"p\","
                      + " \"name\": \"org.qemu.guest_agent.0\"}")
              .errorDesc());
    }
  }

  @Test
  void simulatorMainServesTheGuestAgent() throws Exception {
    Path qmp = dir.resolve("qmp.sock");
    Path qga = dir.resolve("qga.sock");
    SimulatorOptions options =
        SimulatorOptions.parse("--qmp", "unix:" + qmp, "--guest-agent", "unix:" + qga);
    java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
    try (SimulatedMachine vm =
            SimulatorMain.start(options, new PrintStream(log, true, StandardCharsets.UTF_8));
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(qga));
      OutputStream out = Channels.newOutputStream(ch);
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
      out.write("{\"execute\": \"guest-ping\"}\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      assertEquals("{\"return\": {}}", in.readLine());
      assertEquals(
          "qmp4j serve: guest agent on unix:" + qga + "\nqmp4j serve: QMP on unix:" + qmp + "\n",
          log.toString(StandardCharsets.UTF_8));
    }
  }
}
