package org.qmp4j.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every event of qmp-events.txt (and the 7.2 events the simulator adds) is reachable from a QMP
 * command or a {@code __org.qmp4j_} command, and carries its documented data.
 */
class EventsTest {
  private static final Duration WAIT = Duration.ofSeconds(5);

  private static SimulatedMachine.Builder machine() {
    return SimulatedMachine.newBuilder()
        .name("vm1")
        .memory(1L << 30)
        .disk("disk0", "disk0dev", "/tmp/disk0.qcow2", 64L << 20, "stop", "stop")
        .cdrom("cd0", "cd0dev")
        .balloon("balloon0")
        .nic("net0", "52:54:00:12:34:56")
        .device("virtio-serial-pci", "vs0")
        .device("virtserialport", "port0")
        .option("-m", "1G,slots=2,maxmem=2G")
        .option("-object", "memory-backend-ram,id=m0,size=128M")
        .option("-device", "pc-dimm,id=dimm0,memdev=m0")
        .noShutdown(true)
        .guestPowerdownDelay(null);
  }

  /** Sends {@code command} and waits for {@code event}; returns the event's data. */
  private static JsonNode provoke(SimClient c, String event, String command, String args)
      throws Exception {
    SimClient.Exchange x = c.execute(command, args);
    assertTrue(x.reply().has("return"), command + ": " + x.reply());
    for (JsonNode e : x.events()) {
      if (event.equals(e.path("event").asText())) {
        return check(e, event);
      }
    }
    JsonNode e = c.awaitEvent(event, WAIT);
    assertNotNull(e, event + " after " + command);
    return check(e, event);
  }

  private static JsonNode check(JsonNode e, String event) {
    assertTrue(e.at("/timestamp/seconds").isIntegralNumber(), event);
    assertTrue(e.at("/timestamp/microseconds").isIntegralNumber(), event);
    return e.path("data");
  }

  @Test
  void everyEventIsReachableWithItsData() throws Exception {
    Set<String> seen = new TreeSet<>();
    try (SimFixture f = new SimFixture(machine())) {
      SimClient c = f.client();
      JsonNode d;

      d = provoke(c, "STOP", "stop", null);
      seen.add("STOP");
      d = provoke(c, "RESUME", "cont", null);
      seen.add("RESUME");
      d = provoke(c, "RESET", "system_reset", null);
      assertEquals("host-qmp-system-reset", d.get("reason").asText());
      seen.add("RESET");
      provoke(c, "POWERDOWN", "system_powerdown", null);
      seen.add("POWERDOWN");

      provoke(c, "SUSPEND", "__org.qmp4j_guest-suspend", null);
      provoke(c, "WAKEUP", "system_wakeup", null);
      seen.addAll(List.of("SUSPEND", "WAKEUP"));

      d = provoke(c, "WATCHDOG", "__org.qmp4j_watchdog-expire", null);
      assertEquals("reset", d.get("action").asText());
      seen.add("WATCHDOG");

      d = provoke(c, "RTC_CHANGE", "__org.qmp4j_rtc-change", "{\"offset\": 78}");
      assertEquals(78, d.get("offset").asLong());
      assertTrue(d.get("qom-path").isTextual());
      seen.add("RTC_CHANGE");

      d = provoke(c, "DEVICE_TRAY_MOVED", "eject", "{\"device\": \"cd0\"}");
      assertEquals("cd0", d.get("device").asText());
      assertEquals("cd0dev", d.get("id").asText());
      assertTrue(d.get("tray-open").asBoolean());
      seen.add("DEVICE_TRAY_MOVED");

      d =
          provoke(
              c,
              "BLOCK_IMAGE_CORRUPTED",
              "__org.qmp4j_image-corrupted",
              "{\"device\": \"disk0\", \"msg\": \"Prevented active L1 table overwrite\","
                  + " \"offset\": 196608, \"size\": 65536}");
      assertEquals("disk0", d.get("device").asText());
      assertEquals(196608, d.get("offset").asLong());
      assertEquals(false, d.get("fatal").asBoolean());
      assertTrue(d.get("node-name").isTextual());
      seen.add("BLOCK_IMAGE_CORRUPTED");

      SimClient.Exchange io =
          c.execute("__org.qmp4j_io-error", "{\"device\": \"disk0\", \"operation\": \"write\"}");
      assertEquals(List.of("BLOCK_IO_ERROR", "STOP"), io.eventNames());
      d = io.events().get(0).get("data");
      assertEquals("write", d.get("operation").asText());
      assertEquals("stop", d.get("action").asText());
      assertEquals("Input/output error", d.get("reason").asText());
      assertEquals("io-error", c.execute("query-status").result().get("status").asText());
      seen.add("BLOCK_IO_ERROR");
      c.execute("cont");

      // jobs: a backup that progresses, is cancelled; one that fails; a mirror that is ready
      c.execute(
          "drive-backup",
          "{\"device\": \"disk0\", \"target\": \"/tmp/b.qcow2\", \"sync\": \"full\","
              + " \"speed\": 1048576, \"job-id\": \"b1\"}");
      Thread.sleep(60);
      JsonNode job = c.execute("query-block-jobs").result().get(0);
      assertEquals("b1", job.get("device").asText());
      assertEquals(64L << 20, job.get("len").asLong());
      assertTrue(job.get("offset").asLong() > 0, job.toString());
      d = provoke(c, "BLOCK_JOB_CANCELLED", "block-job-cancel", "{\"device\": \"b1\"}");
      assertEquals("backup", d.get("type").asText());
      seen.addAll(List.of("BLOCK_JOB_CANCELLED", "JOB_STATUS_CHANGE"));

      c.execute(
          "drive-backup",
          "{\"device\": \"disk0\", \"target\": \"/tmp/b.qcow2\", \"sync\": \"full\","
              + " \"speed\": 1, \"job-id\": \"b2\"}");
      SimClient.Exchange err =
          c.execute("__org.qmp4j_block-job-error", "{\"device\": \"b2\", \"operation\": \"read\"}");
      assertEquals(
          List.of(
              "BLOCK_JOB_ERROR",
              "JOB_STATUS_CHANGE",
              "BLOCK_JOB_COMPLETED",
              "JOB_STATUS_CHANGE",
              "JOB_STATUS_CHANGE"),
          err.eventNames());
      assertEquals("report", err.events().get(0).at("/data/action").asText());
      assertEquals("Input/output error", err.events().get(2).at("/data/error").asText());
      seen.addAll(List.of("BLOCK_JOB_ERROR", "BLOCK_JOB_COMPLETED"));

      d =
          provoke(
              c,
              "BLOCK_JOB_READY",
              "drive-mirror",
              "{\"device\": \"disk0\", \"target\": \"/tmp/m.qcow2\", \"sync\": \"full\","
                  + " \"job-id\": \"m1\"}");
      assertEquals("mirror", d.get("type").asText());
      seen.add("BLOCK_JOB_READY");
      c.execute("block-job-complete", "{\"device\": \"m1\"}");
      assertNotNull(c.awaitEvent("BLOCK_JOB_COMPLETED", WAIT));

      d =
          provoke(
              c,
              "BLOCK_JOB_PENDING",
              "block-stream",
              "{\"device\": \"disk0\", \"auto-finalize\": false}");
      assertEquals("stream", d.get("type").asText());
      seen.add("BLOCK_JOB_PENDING");
      c.execute("job-finalize", "{\"id\": \"disk0\"}");

      d =
          provoke(
              c,
              "QUORUM_FAILURE",
              "__org.qmp4j_quorum-failure",
              "{\"reference\": \"usr1\", \"sector-num\": 345435, \"sectors-count\": 5}");
      assertEquals(345435, d.get("sector-num").asLong());
      seen.add("QUORUM_FAILURE");
      d =
          provoke(
              c,
              "QUORUM_REPORT_BAD",
              "__org.qmp4j_quorum-report-bad",
              "{\"type\": \"read\", \"node-name\": \"node0\", \"sector-num\": 345435,"
                  + " \"sectors-count\": 5}");
      assertEquals("node0", d.get("node-name").asText());
      seen.add("QUORUM_REPORT_BAD");

      // devices
      c.execute("device_add", "{\"driver\": \"virtio-net-pci\", \"id\": \"net1\"}");
      d = provoke(c, "DEVICE_DELETED", "device_del", "{\"id\": \"net1\"}");
      assertTrue(d.get("path").asText().startsWith("/machine/peripheral/net1"));
      JsonNode last = c.awaitEvent("DEVICE_DELETED", WAIT);
      assertEquals("net1", last.at("/data/device").asText());
      assertEquals("/machine/peripheral/net1", last.at("/data/path").asText());
      seen.add("DEVICE_DELETED");

      d =
          provoke(
              c, "NIC_RX_FILTER_CHANGED", "__org.qmp4j_nic-rx-filter-change", "{\"id\":\"net0\"}");
      assertEquals("net0", d.get("name").asText());
      assertEquals("/machine/peripheral/net0/virtio-backend", d.get("path").asText());
      seen.add("NIC_RX_FILTER_CHANGED");

      d =
          provoke(
              c,
              "VSERPORT_CHANGE",
              "__org.qmp4j_vserport-change",
              "{\"id\": \"port0\", \"open\": true}");
      assertEquals(true, d.get("open").asBoolean());
      seen.add("VSERPORT_CHANGE");

      d =
          provoke(
              c,
              "ACPI_DEVICE_OST",
              "__org.qmp4j_acpi-ost",
              "{\"device\": \"dimm0\", \"slot\": \"0\", \"slot-type\": \"DIMM\", \"source\": 1,"
                  + " \"status\": 0}");
      assertEquals("DIMM", d.at("/info/slot-type").asText());
      seen.add("ACPI_DEVICE_OST");
      d =
          provoke(
              c,
              "MEM_UNPLUG_ERROR",
              "__org.qmp4j_mem-unplug-error",
              "{\"device\": \"dimm0\", \"msg\": \"acpi: device unplug for unsupported device\"}");
      assertEquals("dimm0", d.get("device").asText());
      seen.add("MEM_UNPLUG_ERROR");

      d = provoke(c, "BALLOON_CHANGE", "balloon", "{\"value\": 536870912}");
      assertTrue(d.get("actual").asLong() < (1L << 30));
      seen.add("BALLOON_CHANGE");

      // display
      d = provoke(c, "VNC_CONNECTED", "__org.qmp4j_vnc-connect", "{\"host\": \"127.0.0.1\"}");
      assertEquals("ipv4", d.at("/client/family").asText());
      assertEquals(false, d.at("/server/websocket").asBoolean());
      seen.add("VNC_CONNECTED");
      provoke(c, "VNC_DISCONNECTED", "__org.qmp4j_vnc-disconnect", null);
      seen.add("VNC_DISCONNECTED");
      SimClient.Exchange vnc = c.execute("__org.qmp4j_vnc-connect");
      assertEquals(List.of("VNC_CONNECTED", "VNC_INITIALIZED"), vnc.eventNames());
      seen.add("VNC_INITIALIZED");
      SimClient.Exchange spice = c.execute("__org.qmp4j_spice-connect");
      assertEquals(List.of("SPICE_CONNECTED", "SPICE_INITIALIZED"), spice.eventNames());
      assertTrue(spice.events().get(1).at("/data/client/connection-id").isIntegralNumber());
      seen.addAll(List.of("SPICE_CONNECTED", "SPICE_INITIALIZED"));
      provoke(c, "SPICE_DISCONNECTED", "__org.qmp4j_spice-disconnect", null);
      provoke(c, "SPICE_MIGRATE_COMPLETED", "__org.qmp4j_spice-migrate-completed", null);
      seen.addAll(List.of("SPICE_DISCONNECTED", "SPICE_MIGRATE_COMPLETED"));

      // migration (events only with the events capability, as in QEMU)
      c.execute(
          "migrate-set-capabilities",
          "{\"capabilities\": [{\"capability\": \"events\", \"state\": true}]}");
      d = provoke(c, "MIGRATION", "migrate", "{\"uri\": \"tcp:127.0.0.1:4446\"}");
      assertEquals("setup", d.get("status").asText());
      JsonNode done = null;
      for (int i = 0; i < 20 && done == null; i++) {
        JsonNode m = c.awaitEvent("MIGRATION", WAIT);
        if (m != null && m.at("/data/status").asText().equals("completed")) {
          done = m;
        }
      }
      assertNotNull(done);
      assertEquals("postmigrate", c.execute("query-status").result().get("status").asText());
      seen.add("MIGRATION");

      // guest panic and shutdown last: they change the run state for good
      c.execute("system_reset");
      c.execute("cont");
      d = provoke(c, "GUEST_PANICKED", "__org.qmp4j_guest-panic", null);
      assertEquals("pause", d.get("action").asText()); // -no-shutdown makes it pause
      seen.add("GUEST_PANICKED");
      c.execute("system_reset");
      c.execute("cont");
      SimClient.Exchange s4 = c.execute("__org.qmp4j_guest-suspend-disk");
      assertEquals(List.of("SUSPEND_DISK", "SHUTDOWN", "STOP"), s4.eventNames());
      seen.add("SUSPEND_DISK");
      JsonNode shutdown = s4.events().get(1);
      assertTrue(shutdown.at("/data/guest").asBoolean());
      assertEquals("guest-shutdown", shutdown.at("/data/reason").asText());
      seen.add("SHUTDOWN");
    }
    Set<String> expected = new TreeSet<>(specEvents());
    expected.addAll(List.of("JOB_STATUS_CHANGE", "BLOCK_JOB_PENDING")); // QEMU 7.2's, not listed
    assertEquals(expected, seen);
  }

  /** The event names listed in qmp-events.txt (the copy in docs, or the shared spec). */
  static Set<String> specEvents() throws Exception {
    Set<String> names = new TreeSet<>();
    Path spec = Path.of("../docs/simulator.md");
    String text = Files.readString(spec);
    Matcher m = Pattern.compile("(?m)^\\| `([A-Z_]+)` \\| qmp-events").matcher(text);
    while (m.find()) {
      names.add(m.group(1));
    }
    assertEquals(34, names.size(), "events of qmp-events.txt listed in docs/simulator.md");
    return names;
  }

  @Test
  void noEventsForAnUnnegotiatedClient() throws Exception {
    try (SimFixture f = new SimFixture(SimulatedMachine.newBuilder())) {
      SimClient raw = SimClient.raw(f.socket);
      SimClient c = f.client();
      c.execute("stop");
      List<JsonNode> got = new ArrayList<>();
      JsonNode m;
      while ((m = raw.next(Duration.ofMillis(200))) != null) {
        got.add(m);
      }
      assertEquals(List.of(), got);
      raw.close();
    }
  }
}
