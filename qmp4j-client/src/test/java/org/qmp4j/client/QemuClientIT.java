package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.testing.QemuProcess;
import org.qmp4j.transport.QmpAddress;
import org.qmp4j.transport.QmpListener;
import org.qmp4j.transport.TransportOptions;
import org.qmp4j.transport.Transports;

/**
 * The client against a real QEMU 7.2 ({@code -machine pc}, a CD-ROM, a USB controller, two
 * monitors, one of them pretty). Skipped without QEMU; fails under {@code CI=true}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QemuClientIT {

  record StatusInfo(boolean running, String status) {}

  record FdsetInfo(@JsonProperty("fdset-id") int fdsetId, List<FdInfo> fds) {}

  record FdInfo(int fd, String opaque) {}

  private QemuProcess qemu;
  private QmpClient qmp;
  private QmpClient second;

  @BeforeAll
  void start() {
    qemu =
        QemuProcess.builder()
            .monitor("mon0")
            .prettyMonitor("mon1")
            .monitor("mon2")
            .args(
                "-machine", "pc",
                "-drive", "if=none,id=cd0,media=cdrom",
                "-device", "ide-cd,drive=cd0,id=cd0dev",
                "-device", "qemu-xhci,id=xhci")
            .start();
    second = connectWhenListening(qemu.socket("mon1"));
    qmp =
        QmpClient.newBuilder()
            .address(QmpAddress.unix(qemu.socket("mon0")))
            .descriptorPassing(true)
            .connect();
  }

  @AfterAll
  void stop() {
    if (qmp != null) {
      qmp.close();
    }
    if (second != null) {
      second.close();
    }
    if (qemu != null) {
      qemu.close();
    }
  }

  @Test
  void greetsNegotiatesOobAndBindsResultsToRecords() {
    assertEquals(7, qmp.greeting().orElseThrow().version().major());
    assertEquals(2, qmp.greeting().orElseThrow().version().minor());
    assertTrue(qmp.oobEnabled());
    StatusInfo s = qmp.execute("query-status", null, StatusInfo.class);
    assertFalse(s.running());
    // The pretty monitor's multi-line output reads the same.
    assertEquals(s, second.execute("query-status", null, StatusInfo.class));
  }

  @Test
  void errorsAreTypedWithQemusClassAndText() {
    QmpErrorException.CommandNotFoundException e =
        assertThrows(
            QmpErrorException.CommandNotFoundException.class, () -> qmp.execute("no-such-thing"));
    assertEquals("The command no-such-thing has not been found", e.desc());
    QmpErrorException.DeviceNotFoundException d =
        assertThrows(
            QmpErrorException.DeviceNotFoundException.class,
            () -> qmp.execute("device_del", Map.of("id", "nope")));
    assertEquals("device_del", d.command());
  }

  @Test
  void manyCommandsInFlightAreRoutedByIdOnBothMonitors() {
    List<CompletableFuture<JsonNode>> fs = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      fs.add((i % 2 == 0 ? qmp : second).executeAsync(i % 3 == 0 ? "query-name" : "query-status"));
    }
    for (int i = 0; i < fs.size(); i++) {
      JsonNode r = fs.get(i).join();
      assertEquals(i % 3 != 0, r.has("status"), r.toString());
    }
  }

  @Test
  void outOfBandCommandsRunOnARealQemu() {
    assertTrue(qmp.executeOob("query-yank", null).isArray());
    // In-band only commands are refused out-of-band, with QEMU's text.
    QmpErrorException e =
        assertThrows(QmpErrorException.class, () -> qmp.executeOob("query-status", null));
    assertEquals("The command query-status does not support OOB", e.desc());
  }

  @Test
  void executeAndAwaitEventForHotUnplugTrayAndRunState() {
    qmp.execute("device_add", Map.of("driver", "usb-tablet", "id", "tab1", "bus", "xhci.0"));
    QmpEvent deleted =
        qmp.executeAndAwaitEvent(
            QmpCommand.of("device_del", Map.of("id", "tab1")),
            EventFilter.deviceDeleted("tab1"),
            Duration.ofSeconds(10));
    assertEquals("/machine/peripheral/tab1", deleted.data().get("path").asText());
    QmpEvent tray =
        qmp.executeAndAwaitEvent(
            QmpCommand.of("eject", Map.of("id", "cd0dev")),
            EventFilter.names("DEVICE_TRAY_MOVED").withData("id", "cd0dev"),
            Duration.ofSeconds(10));
    assertTrue(tray.data().get("tray-open").asBoolean());
    // QEMU sends RESUME and STOP before the reply: the waiter is registered before sending.
    qmp.executeAndAwaitEvent(
        QmpCommand.of("cont"), EventFilter.names("RESUME"), Duration.ofSeconds(10));
    qmp.executeAndAwaitEvent(
        QmpCommand.of("stop"), EventFilter.names("STOP"), Duration.ofSeconds(10));
  }

  @Test
  void eventsReachEveryMonitorsSubscribers() {
    try (EventStream onSecond = second.events().names("RESUME", "STOP").stream()) {
      qmp.execute("cont");
      qmp.execute("stop");
      assertEquals("RESUME", onSecond.poll(Duration.ofSeconds(10)).orElseThrow().name());
      assertEquals("STOP", onSecond.poll(Duration.ofSeconds(10)).orElseThrow().name());
    }
  }

  @Test
  void schemaAwarenessAndValidationWithQemusOwnTexts() {
    assertTrue(qmp.supports("query-status"));
    assertTrue(qmp.supports("blockdev-add/arg-type/+file/filename"));
    assertTrue(qmp.supports("DEVICE_DELETED"));
    assertTrue(qmp.supports("DEVICE_DELETED/arg-type/device"));
    assertFalse(qmp.supports("no-such-command"));
    assertFalse(qmp.supports("eject/arg-type/devicex"));
    QmpErrorException byQemu =
        assertThrows(
            QmpErrorException.class, () -> second.execute("eject", Map.of("devicex", "cd0dev")));
    QmpErrorException locally;
    List<JsonNode> sent = new ArrayList<>();
    try (QmpClient validating =
        QmpClient.newBuilder()
            .address(QmpAddress.unix(qemu.socket("mon2")))
            .validateArguments(true)
            .unmatchedReplyHandler(sent::add)
            .connect()) {
      locally =
          assertThrows(
              QmpErrorException.class,
              () -> validating.execute("eject", Map.of("devicex", "cd0dev")));
      // Valid arguments still go through.
      assertTrue(validating.execute("query-status").has("status"));
    }
    assertEquals("eject", locally.command());
    assertEquals(null, locally.id()); // never sent
    assertEquals(byQemu.errorClass(), locally.errorClass());
    assertEquals(byQemu.desc(), locally.desc());
  }

  @Test
  void descriptorsRideWithGetfdAndAddFd(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("passed.img");
    Files.write(file, new byte[4096]);
    try (FileOutputStream out = new FileOutputStream(file.toFile(), true)) {
      qmp.getfd("myfd", out.getFD());
      qmp.execute("closefd", Map.of("fdname", "myfd")); // QEMU had it
      QmpErrorException gone =
          assertThrows(
              QmpErrorException.class, () -> qmp.execute("closefd", Map.of("fdname", "myfd")));
      assertEquals("File descriptor named 'myfd' not found", gone.desc());

      QmpClient.AddFdInfo added = qmp.addFd(out.getFD(), null, "qmp4j-test");
      FdsetInfo[] sets = qmp.execute(QmpCommand.of("query-fdsets"), FdsetInfo[].class);
      boolean found = false;
      for (FdsetInfo s : sets) {
        for (FdInfo f : s.fds()) {
          found |=
              s.fdsetId() == added.fdsetId()
                  && f.fd() == added.fd()
                  && "qmp4j-test".equals(f.opaque());
        }
      }
      assertTrue(found, "fdset " + added + " not in query-fdsets");
      qmp.execute("remove-fd", Map.of("fdset-id", added.fdsetId()));
    }
    // Without a descriptor, getfd fails on QEMU's side with its own text.
    QmpErrorException none =
        assertThrows(QmpErrorException.class, () -> qmp.execute("getfd", Map.of("fdname", "nofd")));
    assertEquals("No file descriptor supplied via SCM_RIGHTS", none.desc());
  }

  /**
   * Descriptor commands in flight together: with OOB on, QEMU reads ahead of running commands and
   * drops a message's unclaimed descriptors when the next message with descriptors arrives, so the
   * client sends one such command at a time. Each add-fd must hold its own file (checked through
   * QEMU's /proc entry for the descriptor it reports).
   */
  @Test
  void pipelinedDescriptorCommandsEachGetTheirOwnFile(@TempDir Path dir) throws Exception {
    assertTrue(qmp.oobEnabled());
    int n = 4;
    List<FileOutputStream> outs = new ArrayList<>();
    try {
      List<CompletableFuture<QmpClient.AddFdInfo>> added = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        FileOutputStream out = new FileOutputStream(dir.resolve("file" + i).toFile());
        outs.add(out);
        added.add(
            qmp.executeAsync(
                QmpCommand.of("add-fd", Map.of("opaque", "pipelined-" + i)).withFds(out.getFD()),
                QmpClient.AddFdInfo.class));
      }
      for (int i = 0; i < n; i++) {
        QmpClient.AddFdInfo info = added.get(i).get(30, TimeUnit.SECONDS);
        Path held =
            Files.readSymbolicLink(Path.of("/proc/" + qemu.process().pid() + "/fd/" + info.fd()));
        assertEquals(dir.resolve("file" + i).toRealPath(), held, "add-fd #" + i);
        qmp.execute("remove-fd", Map.of("fdset-id", info.fdsetId()));
      }
    } finally {
      for (FileOutputStream out : outs) {
        out.close();
      }
    }
  }

  @Test
  void descriptorsNeedADescriptorPassingConnection() throws Exception {
    try (FileOutputStream out = new FileOutputStream("/dev/null")) {
      UnsupportedOperationException e =
          assertThrows(
              UnsupportedOperationException.class,
              () ->
                  second.execute(
                      QmpCommand.of("getfd", Map.of("fdname", "x")).withFds(out.getFD())));
      assertTrue(e.getMessage().contains("descriptorPassing"), e.getMessage());
    }
  }

  @Test
  void rawJsonInAndOut() {
    ObjectNode r = qmp.executeRaw("{\"execute\": \"query-name\", \"id\": \"mine\"}");
    assertEquals("mine", r.get("id").asText());
    assertTrue(r.has("return"));
    ObjectNode err = qmp.executeRaw("{\"execute\": \"query-name\", \"arguments\": {\"x\": 1}}");
    assertEquals("Parameter 'x' is unexpected", err.get("error").get("desc").asText());
  }

  @Test
  void acceptModeWaitsForQemuToConnect(@TempDir Path dir) {
    Path sock = dir.resolve("back.sock");
    try (QmpListener listener =
            Transports.listen(QmpAddress.unix(sock), TransportOptions.DEFAULTS);
        QemuProcess q =
            QemuProcess.builder()
                .args(
                    "-chardev",
                    "socket,id=back,path=" + sock + ",server=off",
                    "-mon",
                    "chardev=back,mode=control")
                .start();
        QmpClient c = QmpClient.newBuilder().accept(listener).connect()) {
      assertEquals("prelaunch", c.execute("query-status").get("status").asText());
    }
  }

  /** QEMU creates its socket file a moment before it listens on it. */
  static QmpClient connectWhenListening(Path socket) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      try {
        return QmpClient.newBuilder().address(QmpAddress.unix(socket)).connect();
      } catch (org.qmp4j.protocol.QmpConnectionException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException ie) {
          throw new AssertionError(ie);
        }
      }
    }
  }

  @Test
  void quitEndsTheConnectionAndLaterCommandsFailFast() {
    try (QemuProcess q = QemuProcess.start();
        QmpClient c = connectWhenListening(q.socket())) {
      c.execute("quit");
      assertThrows(
          QmpConnectionLostException.class,
          () -> {
            for (int i = 0; i < 100; i++) {
              c.execute("query-status");
              Thread.sleep(20);
            }
          });
      assertEquals(ConnectionState.CLOSED, c.state());
    }
  }
}
