package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.testing.Qemu;
import org.qmp4j.transport.QmpAddress;

/**
 * Against real QEMU 7.2: a client that connects before QEMU has created its socket, and a QEMU that
 * dies and is started again in another run state, which the gap marker's resync reports. Skipped
 * without QEMU; fails under {@code CI=true}.
 */
class QemuResyncIT {

  @TempDir Path dir;

  /** Starts QEMU with one QMP monitor on {@code sock}; {@code paused}: with {@code -S}. */
  private Process qemu(Path sock, boolean paused, String log) throws IOException {
    Path emulator = Qemu.assumeSystemEmulator();
    List<String> cmd = new ArrayList<>();
    cmd.add(emulator.toString());
    if (paused) {
      cmd.add("-S");
    }
    cmd.addAll(
        List.of(
            "-machine",
            "none",
            "-nodefaults",
            "-display",
            "none",
            "-chardev",
            "socket,id=mon0,path=" + sock + ",server=on,wait=off",
            "-mon",
            "chardev=mon0,mode=control"));
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve(log).toFile())
        .start();
  }

  private static void kill(Process p) throws InterruptedException {
    if (p != null) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void connectsBeforeQemuIsUpAndResyncsAQemuRestartedPaused() throws Exception {
    Qemu.assumeSystemEmulator();
    Path sock = dir.resolve("qmp.sock");
    List<ConnectionState> states = new CopyOnWriteArrayList<>();
    QmpClient client =
        QmpClient.newBuilder()
            .address(QmpAddress.unix(sock))
            .connectTimeout(Duration.ofSeconds(20))
            .waitForSocket(true)
            .reconnect(
                ReconnectPolicy.backoff(Duration.ofMillis(50), Duration.ofMillis(500))
                    .resync("query-status", "query-jobs", "query-no-such")
                    .retryQueries(true))
            .onStateChange(states::add)
            .build();
    EventStream events = client.events().stream();
    Process first = null;
    Process second = null;
    try {
      // connect() is called before QEMU starts: it waits for the socket to appear
      CompletableFuture<QmpClient> connecting = CompletableFuture.supplyAsync(client::connect);
      Thread.sleep(200);
      assertFalse(connecting.isDone());
      first = qemu(sock, false, "first.log");
      connecting.get(30, TimeUnit.SECONDS);
      JsonNode status = client.execute("query-status");
      assertEquals("running", status.get("status").asText(), status.toString());
      assertTrue(client.humanMonitorCommand("info version").startsWith("7.2."));
      // -machine none has no CPU: QEMU refuses the cpu-index, which proves it was passed
      QmpErrorException refused =
          assertThrows(QmpErrorException.class, () -> client.humanMonitorCommand("info cpus", 0));
      assertEquals("Parameter 'cpu-index' expects a CPU number", refused.desc());

      kill(first);
      second = qemu(sock, true, "second.log");
      QmpEvent gap = null;
      while (gap == null) {
        QmpEvent e =
            events
                .poll(Duration.ofSeconds(30))
                .orElseThrow(() -> new AssertionError("no gap marker"));
        if (e.name().equals(EventSubscription.GAP_EVENT)) {
          gap = e;
        }
      }
      JsonNode resync = gap.data().get("resync");
      assertEquals("prelaunch", resync.at("/query-status/return/status").asText(), gap.toString());
      assertFalse(resync.at("/query-status/return/running").asBoolean(true));
      assertTrue(resync.at("/query-jobs/return").isArray(), gap.toString());
      assertEquals("CommandNotFound", resync.at("/query-no-such/error/class").asText());
      assertEquals(
          "The command query-no-such has not been found",
          resync.at("/query-no-such/error/desc").asText());
      assertFalse(gap.data().get("peer-changed").asBoolean(), gap.toString()); // same QEMU build
      assertEquals("prelaunch", client.execute("query-status").get("status").asText());
    } finally {
      client.close();
      kill(first);
      kill(second);
    }
    ReconnectResyncTest.waitFor(() -> states.contains(ConnectionState.CLOSED));
    assertEquals(
        List.of(
            ConnectionState.CONNECTING,
            ConnectionState.CONNECTED,
            ConnectionState.RECONNECTING,
            ConnectionState.CONNECTED,
            ConnectionState.CLOSED),
        states);
  }
}
