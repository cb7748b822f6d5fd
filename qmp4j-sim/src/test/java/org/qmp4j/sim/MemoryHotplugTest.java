package org.qmp4j.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Memory hot-plug: backends, DIMMs, the guest's acknowledgement of an unplug, {@code -m}. */
class MemoryHotplugTest {
  private static final Duration WAIT = Duration.ofSeconds(5);

  private static SimulatedMachine.Builder machine() {
    return SimulatedMachine.newBuilder()
        .option("-m", "512M,slots=2,maxmem=2G")
        .option("-object", "memory-backend-ram,id=m0,size=128M")
        .option("-device", "pc-dimm,id=d0,memdev=m0")
        .guestUnplugDelay(null);
  }

  private static JsonNode ok(SimClient c, String command, String args) throws Exception {
    JsonNode r = c.execute(command, args).reply();
    assertTrue(r.has("return"), command + ": " + r);
    return r.get("return");
  }

  @Test
  void commandLineDimmIsListedAsColdPlugged() throws Exception {
    try (SimFixture f = new SimFixture(machine())) {
      SimClient c = f.client();
      JsonNode devs = ok(c, "query-memory-devices", null);
      assertEquals(1, devs.size());
      JsonNode d = devs.get(0).get("data");
      assertEquals("dimm", devs.get(0).get("type").asText());
      assertEquals(4294967296L, d.get("addr").asLong());
      assertEquals(false, d.get("hotplugged").asBoolean());
      assertEquals("/objects/m0", d.get("memdev").asText());
      assertEquals(
          134217728L, ok(c, "query-memory-size-summary", null).get("plugged-memory").asLong());
      assertEquals(2, ok(c, "query-acpi-ospm-status", null).size());
    }
  }

  @Test
  void hotUnplugCompletesWhenTheGuestAcknowledges() throws Exception {
    try (SimFixture f = new SimFixture(machine())) {
      SimClient c = f.client();
      ok(
          c,
          "object-add",
          "{\"qom-type\": \"memory-backend-ram\", \"id\": \"m1\", \"size\": 1073741824}");
      ok(c, "device_add", "{\"driver\": \"pc-dimm\", \"id\": \"d1\", \"memdev\": \"m1\"}");
      JsonNode d1 = ok(c, "query-memory-devices", null).get(1).get("data");
      assertEquals(1, d1.get("slot").asInt());
      assertEquals(4294967296L + (128L << 20), d1.get("addr").asLong());
      // a third DIMM: no slot left
      JsonNode r =
          c.execute("device_add", "{\"driver\": \"pc-dimm\", \"id\": \"d2\", \"memdev\": \"m1\"}")
              .reply();
      assertEquals("no free slots available", r.at("/error/desc").asText());

      ok(c, "device_del", "{\"id\": \"d1\"}");
      // the guest refuses once: MEM_UNPLUG_ERROR, the DIMM stays
      f.vm.memUnplugError("d1", "guest refused");
      assertNotNull(c.awaitEvent("MEM_UNPLUG_ERROR", WAIT));
      assertEquals(2, ok(c, "query-memory-devices", null).size());

      ok(c, "device_del", "{\"id\": \"d1\"}");
      f.vm.acknowledgeUnplug("d1");
      JsonNode ost = c.awaitEvent("ACPI_DEVICE_OST", WAIT);
      assertNotNull(ost);
      assertEquals("d1", ost.at("/data/info/device").asText());
      assertEquals(0x103, ost.at("/data/info/source").asInt());
      JsonNode deleted = c.awaitEvent("DEVICE_DELETED", WAIT);
      assertEquals("d1", deleted.at("/data/device").asText());
      assertEquals(1, ok(c, "query-memory-devices", null).size());
      JsonNode slot1 = ok(c, "query-acpi-ospm-status", null).get(1);
      assertNull(slot1.get("device"));
      assertEquals(0x80, slot1.get("status").asInt());
      // the backend is free again
      ok(c, "object-del", "{\"id\": \"m1\"}");
      JsonNode objects = ok(c, "qom-list", "{\"path\": \"/objects\"}");
      assertEquals(3, objects.size()); // type, m0, pc.ram
    }
  }

  @Test
  void otherObjectTypesAreNotSimulated() throws Exception {
    try (SimFixture f = new SimFixture(machine())) {
      JsonNode r =
          f.client().execute("object-add", "{\"qom-type\": \"iothread\", \"id\": \"io0\"}").reply();
      assertEquals(
          "object type 'iothread' is not simulated by qmp4j", r.at("/error/desc").asText());
    }
  }

  @Test
  void memoryOptionsAreCheckedAsQemuChecksThem() {
    assertEquals(
        "slots specified but no max-size",
        assertThrows(
                IllegalArgumentException.class,
                () -> SimulatedMachine.newBuilder().option("-m", "128M,slots=4"))
            .getMessage());
    assertEquals(
        "unsupported amount of memory slots: 300",
        assertThrows(
                IllegalArgumentException.class,
                () -> SimulatedMachine.newBuilder().option("-m", "128M,slots=300,maxmem=1G"))
            .getMessage());
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> SimulatedMachine.newBuilder().option("-m", "128M,slots=4,maxmem=64M"))
            .getMessage()
            .startsWith("invalid value of maxmem: maximum memory size (0x4000000) must be"));
  }
}
