package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.testing.QemuProcess;
import org.qmp4j.transport.QmpAddress;

/**
 * Execute-and-await against a real QEMU 7.2 ({@code -machine pc -nodefaults -display none}, paused,
 * no guest, two monitors), with block jobs between null-co nodes added through {@code
 * blockdev-add}.
 *
 * <p>What QEMU 7.2 does, as observed: a full backup between two 64 MiB null-co nodes completes
 * while {@code blockdev-backup} itself runs, so {@code BLOCK_JOB_COMPLETED} comes <em>before</em>
 * the command's reply, and so does {@code BLOCK_JOB_CANCELLED} before {@code block-job-cancel}'s; a
 * mirror sends {@code BLOCK_JOB_READY} after its reply and waits for {@code block-job-complete}. A
 * PCI device's {@code device_del} needs the guest's cooperation: without a guest, {@code
 * DEVICE_DELETED} never comes. Skipped without QEMU; fails under {@code CI=true}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QemuBlockJobIT {

  private static final long SIZE = 64L * 1024 * 1024;

  private QemuProcess qemu;
  private QmpClient qmp;

  @BeforeAll
  void start() {
    qemu = QemuProcess.builder().monitor("mon0").monitor("mon1").args("-machine", "pc").start();
    qmp = QmpClient.newBuilder().address(QmpAddress.unix(qemu.socket("mon0"))).connect();
    for (String node : new String[] {"src", "tgt"}) {
      qmp.execute("blockdev-add", Map.of("driver", "null-co", "node-name", node, "size", SIZE));
    }
  }

  @AfterAll
  void stop() {
    if (qmp != null) {
      qmp.close();
    }
    if (qemu != null) {
      qemu.close();
    }
  }

  private static Map<String, Object> backup(String job, long speed) {
    return Map.of("job-id", job, "device", "src", "target", "tgt", "sync", "full", "speed", speed);
  }

  @Test
  void aBackupThatEndsBeforeItsReplyIsStillCaught() {
    for (int i = 0; i < 5; i++) {
      String job = "backup" + i;
      QmpEvent done =
          qmp.executeAndAwaitEvent(
              QmpCommand.of("blockdev-backup", backup(job, 0)),
              EventFilter.blockJobEnded(job),
              Duration.ofSeconds(30));
      assertEquals("BLOCK_JOB_COMPLETED", done.name());
      JsonNode data = done.data();
      assertEquals("backup", data.get("type").asText());
      assertEquals(SIZE, data.get("len").asLong());
      assertEquals(SIZE, data.get("offset").asLong());
      assertFalse(data.has("error"), done.toString());
    }
    assertEquals(0, qmp.execute("query-block-jobs").size());
  }

  @Test
  void aMirrorIsAwaitedToReadyThenToCompletion() {
    QmpEvent ready =
        qmp.executeAndAwaitEvent(
            QmpCommand.of(
                "blockdev-mirror",
                Map.of("job-id", "mirror0", "device", "src", "target", "tgt", "sync", "full")),
            EventFilter.names("BLOCK_JOB_READY").withData("device", "mirror0"),
            Duration.ofSeconds(30));
    assertEquals(SIZE, ready.data().get("offset").asLong());
    QmpEvent done =
        qmp.executeAndAwaitEvent(
            QmpCommand.of("block-job-complete", Map.of("device", "mirror0")),
            EventFilter.blockJobEnded("mirror0"),
            Duration.ofSeconds(30));
    assertEquals("BLOCK_JOB_COMPLETED", done.name());
    assertEquals("mirror", done.data().get("type").asText());
  }

  @Test
  void aThrottledJobTimesOutAndIsThenCancelled() {
    // 1 byte/s: the job copies its first chunk and then waits for a very long time
    long t0 = System.nanoTime();
    QmpTimeoutException e =
        assertThrows(
            QmpTimeoutException.class,
            () ->
                qmp.executeAndAwaitEvent(
                    QmpCommand.of("blockdev-backup", backup("slow", 1)),
                    EventFilter.blockJobEnded("slow"),
                    Duration.ofMillis(500)));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(ms >= 450 && ms < 5000, ms + " ms");
    assertTrue(e.getMessage().contains("blockdev-backup"), e.getMessage());
    // the job is still there: a timeout recalls nothing
    JsonNode jobs = qmp.execute("query-block-jobs");
    assertEquals(1, jobs.size(), jobs.toString());
    assertEquals("slow", jobs.get(0).get("device").asText());
    QmpEvent cancelled =
        qmp.executeAndAwaitEvent(
            QmpCommand.of("block-job-cancel", Map.of("device", "slow")),
            EventFilter.blockJobEnded("slow"),
            Duration.ofSeconds(30));
    assertEquals("BLOCK_JOB_CANCELLED", cancelled.name());
    assertTrue(cancelled.data().get("offset").asLong() < SIZE, cancelled.toString());
  }

  @Test
  void deprecatedAndUnstableUsesAreReportedFromQemusOwnSchema() {
    java.util.List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (QmpClient checked =
        QmpClient.newBuilder()
            .address(QmpAddress.unix(qemu.socket("mon1"))) // one client per QEMU monitor
            .validateArguments(true)
            .featureWarningHandler(warnings::add)
            .connect()) {
      checked.execute("x-query-roms");
      // 'device' is deprecated in favour of 'id'; QEMU then answers that there is no such device
      assertThrows(
          org.qmp4j.protocol.QmpErrorException.class,
          () -> checked.execute("eject", Map.of("device", "nope")));
      checked.execute("query-block-jobs");
    }
    String version =
        qmp.greeting().orElseThrow().version().major()
            + "."
            + qmp.greeting().orElseThrow().version().minor();
    assertEquals(2, warnings.size(), warnings.toString());
    assertTrue(
        warnings.get(0).startsWith("x-query-roms is unstable in QEMU " + version),
        warnings.toString());
    assertTrue(
        warnings.get(1).startsWith("eject: argument 'device' is deprecated in QEMU " + version),
        warnings.toString());
  }

  @Test
  void deviceDelWithoutAGuestNeverCompletesAndTimesOut() {
    qmp.execute("device_add", Map.of("driver", "e1000", "id", "nic9"));
    long t0 = System.nanoTime();
    QmpTimeoutException e =
        assertThrows(
            QmpTimeoutException.class,
            () ->
                qmp.executeAndAwaitEvent(
                    QmpCommand.of("device_del", Map.of("id", "nic9")),
                    EventFilter.deviceDeleted("nic9"),
                    Duration.ofMillis(800)));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(ms >= 750 && ms < 5000, ms + " ms");
    assertTrue(e.getMessage().contains("DEVICE_DELETED"), e.getMessage());
    // the unplug request is pending with nobody to acknowledge it: the device is still there
    String pci = qmp.execute("query-pci").toString();
    assertTrue(pci.contains("\"qdev_id\":\"nic9\""), pci);
  }
}
