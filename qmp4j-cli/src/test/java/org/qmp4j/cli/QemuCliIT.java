package org.qmp4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.qmp4j.cli.CliRun.run;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.testing.GuestAgentProcess;
import org.qmp4j.testing.QemuProcess;

/** exec, events, vm-info, job, migrate, bench and ga against the real QEMU 7.2 and qemu-ga. */
class QemuCliIT {

  @Test
  void execAgainstQemu() {
    try (QemuProcess qemu = QemuProcess.start()) {
      String sock = qemu.socket().toString();
      CliRun r = run("exec", sock, "query-status");
      assertEquals(0, r.status(), r.err());
      assertEquals("{\"status\":\"prelaunch\",\"singlestep\":false,\"running\":false}\n", r.out());
      CliRun err = run("exec", sock, "device_del", "id=nosuch");
      assertEquals(1, err.status());
      assertEquals("DeviceNotFound: Device 'nosuch' not found\n", err.err());
      CliRun hmp = run("exec", sock, "human-monitor-command", "command-line=info status");
      assertEquals(0, hmp.status(), hmp.err());
      assertEquals("\"VM status: paused (prelaunch)\\r\\n\"\n", hmp.out());
    }
  }

  @Test
  void eventsAgainstQemu() throws Exception {
    // A QEMU monitor serves one client at a time: events listens on a second one.
    try (QemuProcess qemu = QemuProcess.builder().monitor("mon0").monitor("events").start()) {
      String sock = qemu.socket("mon0").toString();
      String eventSock = qemu.socket("events").toString();
      CompletableFuture<CliRun> events =
          CompletableFuture.supplyAsync(
              () ->
                  run("events", eventSock, "--name", "RESUME", "--count", "1", "--timeout", "30"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!events.isDone() && System.nanoTime() < deadline) {
        run("exec", sock, "stop");
        run("exec", sock, "cont");
        Thread.sleep(200);
      }
      CliRun r = events.get(5, TimeUnit.SECONDS);
      assertEquals(0, r.status(), r.err());
      JsonNode e = QmpJson.parse(r.out());
      assertEquals("RESUME", e.path("event").asText());
    }
  }

  @Test
  void vmInfoAgainstQemu() {
    try (QemuProcess qemu = QemuProcess.builder().args("-name", "it-vm").start()) {
      CliRun r = run("vm-info", qemu.socket().toString());
      assertEquals(0, r.status(), r.err());
      assertTrue(r.out().contains("Name:      it-vm"), r.out());
      assertTrue(r.out().contains("QEMU:      7.2."), r.out());
      assertTrue(r.out().contains("State:     prelaunch"), r.out());
      assertTrue(r.out().contains("KVM:       "), r.out());
    }
  }

  @Test
  void gaAgainstQemuGa() {
    try (GuestAgentProcess ga = GuestAgentProcess.start()) {
      String sock = ga.socket().toString();
      CliRun ping = run("ga", sock, "guest-ping");
      assertEquals(0, ping.status(), ping.err());
      assertEquals("{}\n", ping.out());
      CliRun echo = run("ga", sock, "exec", "--", "/bin/echo", "hello", "guest");
      assertEquals(0, echo.status(), echo.err());
      assertEquals("hello guest\n", echo.out());
      CliRun fails = run("ga", sock, "exec", "--", "/bin/false");
      assertEquals(1, fails.status());
      CliRun unknown = run("ga", sock, "guest-no-such");
      assertEquals(1, unknown.status());
      assertTrue(unknown.err().startsWith("CommandNotFound: "), unknown.err());
    }
  }

  /** A backup job between two null-co nodes of 1 GiB at {@code speed} bytes a second. */
  private static void backup(String sock, String id, long speed) {
    for (String node : new String[] {"src-" + id, "dst-" + id}) {
      CliRun add =
          run(
              "exec",
              sock,
              "blockdev-add",
              "driver=null-co",
              "node-name=" + node,
              "size=1073741824");
      assertEquals(0, add.status(), add.err());
    }
    CliRun r =
        run(
            "exec",
            sock,
            "blockdev-backup",
            "job-id=" + id,
            "device=src-" + id,
            "target=dst-" + id,
            "sync=full",
            "speed=" + speed);
    assertEquals(0, r.status(), r.err());
  }

  @Test
  void jobWatchAgainstQemu() {
    try (QemuProcess qemu = QemuProcess.builder().monitor("mon0").monitor("mon1").start()) {
      String sock = qemu.socket("mon0").toString();
      backup(sock, "bk0", 512L << 20); // about two seconds
      CliRun list = run("job", sock);
      assertEquals(0, list.status(), list.err());
      assertTrue(
          list.out().startsWith("ID   TYPE    STATUS   PROGRESS\nbk0  backup  "), list.out());
      CliRun r = run("job", "watch", sock, "bk0", "--no-bar", "--interval", "0.2");
      assertEquals(0, r.status(), r.out() + r.err());
      assertTrue(r.out().matches("(?s)\\d\\d:\\d\\d:\\d\\d bk0 running .*"), r.out());
      assertTrue(
          r.out().matches("(?s).* bk0: completed \\(1\\.0 GiB, watched for .*\\)\n"), r.out());
    }
  }

  @Test
  void jobWatchSeesACancelOnAnotherMonitor() throws Exception {
    try (QemuProcess qemu = QemuProcess.builder().monitor("mon0").monitor("mon1").start()) {
      String sock = qemu.socket("mon0").toString();
      String other = qemu.socket("mon1").toString();
      backup(sock, "bk1", 16L << 20); // a minute
      CompletableFuture<CliRun> watch =
          CompletableFuture.supplyAsync(() -> run("job", "watch", sock, "--json"));
      Thread.sleep(1000);
      CliRun cancel = run("job", "cancel", other, "bk1");
      assertEquals(0, cancel.status(), cancel.err());
      CliRun r = watch.get(30, TimeUnit.SECONDS);
      assertEquals(1, r.status(), r.out() + r.err());
      String[] lines = r.out().split("\n");
      assertEquals("running", QmpJson.parse(lines[0]).path("status").asText(), r.out());
      JsonNode last = QmpJson.parse(lines[lines.length - 1]);
      assertEquals("cancelled", last.path("result").asText(), r.out());
      assertEquals(1L << 30, last.path("total").asLong());
    }
  }

  @Test
  void jobWatchOfANonBlockJobAgainstQemu() throws Exception {
    try (QemuProcess qemu = QemuProcess.start()) {
      String sock = qemu.socket().toString();
      java.nio.file.Path img = qemu.directory().resolve("new.img");
      CliRun create =
          run(
              "exec",
              sock,
              "blockdev-create",
              "job-id=c1",
              "options={\"driver\": \"file\", \"filename\": \"" + img + "\", \"size\": 1048576}");
      assertEquals(0, create.status(), create.err());
      CliRun ok = run("job", "watch", sock, "c1", "--no-bar");
      assertEquals(0, ok.status(), ok.out() + ok.err());
      assertTrue(ok.out().matches("(?s).* c1: completed \\(watched for .* s\\)\n"), ok.out());
      assertEquals(new CliRun(0, "c1: job-dismiss done\n", ""), run("job", "dismiss", sock, "c1"));
      CliRun bad =
          run(
              "exec",
              sock,
              "blockdev-create",
              "job-id=c2",
              "options={\"driver\": \"file\", \"filename\": \"/nonexistent/new.img\","
                  + " \"size\": 1048576}");
      assertEquals(0, bad.status(), bad.err());
      CliRun failed = run("job", "watch", sock, "c2", "--no-bar");
      assertEquals(1, failed.status(), failed.out() + failed.err());
      assertTrue(
          failed
              .out()
              .endsWith(
                  " c2: failed: Could not create '/nonexistent/new.img': No such file or directory\n"),
          failed.out());
    }
  }

  @Test
  void migrateStartWatchesUntilCompletedAgainstQemu() {
    try (QemuProcess qemu = QemuProcess.builder().args("-machine", "pc", "-m", "64").start()) {
      String sock = qemu.socket().toString();
      assertEquals("migration: none\n", run("migrate", sock).out());
      CliRun r =
          run(
              "migrate",
              "start",
              sock,
              "exec:cat > /dev/null",
              "--max-bandwidth",
              "256K",
              "--no-bar",
              "--interval",
              "0.1");
      assertEquals(0, r.status(), r.out() + r.err());
      assertTrue(r.out().contains(" migration active "), r.out());
      assertTrue(
          r.out().matches("(?s).* migration: completed, 100% of \\d+\\.\\d MiB RAM, .*\n"),
          r.out());
      CliRun status = run("exec", sock, "query-status");
      assertTrue(status.out().contains("\"status\":\"postmigrate\""), status.out());
    }
  }

  @Test
  void migrateToNowhereFailsWithStatus1() {
    try (QemuProcess qemu = QemuProcess.builder().args("-machine", "pc", "-m", "64").start()) {
      String sock = qemu.socket().toString();
      CliRun r = run("migrate", "start", sock, "exec:exit 1", "--no-bar");
      assertEquals(1, r.status(), r.out() + r.err());
      assertTrue(r.out().matches("(?s).* migration: failed.*\n"), r.out());
    }
  }

  @Test
  void benchAgainstQemu() {
    try (QemuProcess qemu = QemuProcess.start()) {
      CliRun r = run("bench", qemu.socket().toString(), "--count", "300", "--concurrency", "4");
      assertEquals(0, r.status(), r.err());
      assertTrue(r.out().matches("(?s).*\\n\\d+ ops/s\\n.*"), r.out());
      assertTrue(r.out().contains("p50 ") && r.out().contains("p99 "), r.out());
    }
  }

  @Test
  void execUsageAndUnreachableAgainstQemu() {
    try (QemuProcess qemu = QemuProcess.start()) {
      String sock = qemu.socket().toString();
      CliRun json = run("exec", sock, "{\"execute\": \"query-name\"}");
      assertEquals(0, json.status(), json.err());
      assertEquals("{}\n", json.out());
      CliRun bad = run("exec", sock, "query-status", "verbose");
      assertEquals(2, bad.status());
      CliRun badType = run("exec", sock, "eject", "id=x", "force=maybe");
      assertEquals(1, badType.status());
      assertEquals(
          "GenericError: Invalid parameter type for 'force', expected: boolean\n", badType.err());
    }
    CliRun gone = run("exec", "/nonexistent/qmp.sock", "query-status");
    assertEquals(2, gone.status());
    assertTrue(gone.err().startsWith("qmp4j exec: cannot talk QMP to unix:/nonexistent/qmp.sock"));
  }
}
