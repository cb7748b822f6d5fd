package org.qmp4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.qmp4j.cli.CliRun.run;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.sim.SimulatedMachine;

/**
 * {@code job} and {@code migrate}, in-process, against a simulated machine whose work takes time.
 */
class WatchCommandsTest {

  @TempDir Path dir;
  private SimulatedMachine vm;

  private String start(Duration tick) throws Exception {
    vm =
        SimulatedMachine.demo()
            .disk("disk1", "disk1dev", "/var/lib/qmp4j/disk1.qcow2", 1L << 30)
            .tick(tick)
            .build();
    Path p = dir.resolve("qmp.sock");
    vm.listen(p, false);
    return p.toString();
  }

  @AfterEach
  void stop() {
    if (vm != null) {
      vm.close();
    }
  }

  /** A backup of the 1 GiB disk0 at {@code speed} bytes a second. */
  private void backup(String sock, String id, long speed) {
    CliRun r =
        run(
            "exec",
            sock,
            "drive-backup",
            "job-id=" + id,
            "device=disk0",
            "target=" + dir.resolve(id + ".qcow2"),
            "sync=full",
            "speed=" + speed);
    assertEquals(0, r.status(), r.err());
  }

  @Test
  void jobListsTheJobs() throws Exception {
    String sock = start(Duration.ofMillis(50));
    assertEquals(new CliRun(0, "no jobs\n", ""), run("job", sock));
    backup(sock, "bk0", 100L << 20);
    CliRun r = run("job", sock);
    assertEquals(0, r.status(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals("ID   TYPE    STATUS   PROGRESS", lines.get(0));
    assertTrue(
        lines
            .get(1)
            .matches(
                "bk0  backup  running  \\d+% \\(.* of 1\\.0 GiB\\), speed limit"
                    + " 100\\.0 MiB/s"),
        r.out());
    JsonNode json = QmpJson.parse(run("job", sock, "--json").out());
    assertEquals("bk0", json.get(0).path("id").asText());
  }

  @Test
  void watchFollowsTheJobUntilItCompletes() throws Exception {
    String sock = start(Duration.ofMillis(50));
    backup(sock, "bk0", 1L << 30); // about a second
    CliRun r = run("job", "watch", sock, "--no-bar", "--interval", "0.05");
    assertEquals(0, r.status(), r.out() + r.err());
    List<String> lines = r.out().lines().toList();
    assertTrue(lines.size() >= 2, r.out());
    assertTrue(lines.get(0).matches("\\d\\d:\\d\\d:\\d\\d bk0 (created|running) .*"), lines.get(0));
    assertTrue(
        lines
            .get(lines.size() - 1)
            .matches("\\d\\d:\\d\\d:\\d\\d bk0: completed \\(1\\.0 GiB, watched for .* s\\)"),
        r.out());
    assertEquals("no jobs\n", run("job", sock).out());
  }

  @Test
  void watchSaysCancelledWithStatus1AndJsonLines() throws Exception {
    String sock = start(Duration.ofMillis(50));
    backup(sock, "bk1", 50L << 20); // 20 s
    CompletableFuture<CliRun> watch =
        CompletableFuture.supplyAsync(() -> run("job", "watch", sock, "bk1", "--json"));
    Thread.sleep(500);
    CliRun cancel = run("job", "cancel", sock, "bk1");
    assertEquals(new CliRun(0, "bk1: job-cancel done\n", ""), cancel);
    CliRun r = watch.get(20, TimeUnit.SECONDS);
    assertEquals(1, r.status(), r.out() + r.err());
    List<String> lines = r.out().lines().toList();
    JsonNode first = QmpJson.parse(lines.get(0));
    assertEquals("bk1", first.path("id").asText());
    assertEquals("backup", first.path("type").asText());
    assertEquals(1L << 30, first.path("total").asLong());
    assertTrue(first.path("timestamp").has("seconds"), lines.get(0));
    JsonNode last = QmpJson.parse(lines.get(lines.size() - 1));
    assertEquals("cancelled", last.path("result").asText(), r.out());
  }

  @Test
  void watchSaysFailedWithTheError() throws Exception {
    String sock = start(Duration.ofMillis(50));
    backup(sock, "bk2", 50L << 20);
    CompletableFuture<CliRun> watch =
        CompletableFuture.supplyAsync(() -> run("job", "watch", sock, "--no-bar"));
    Thread.sleep(500);
    CliRun err =
        run(
            "exec",
            sock,
            "__org.qmp4j_block-job-error",
            "device=bk2",
            "operation=write",
            "action=report");
    assertEquals(0, err.status(), err.err());
    CliRun r = watch.get(20, TimeUnit.SECONDS);
    assertEquals(1, r.status(), r.out() + r.err());
    assertTrue(r.out().contains(" bk2: I/O error on write (action: report)\n"), r.out());
    assertTrue(r.out().matches("(?s).* bk2: failed: .+\n"), r.out());
  }

  @Test
  void watchUntilReadyThenComplete() throws Exception {
    String sock = start(Duration.ofMillis(50));
    Path target = Files.write(dir.resolve("mirror.img"), new byte[1 << 20]);
    CliRun mirror =
        run(
            "exec",
            sock,
            "drive-mirror",
            "job-id=m0",
            "device=disk0",
            "target=" + target,
            "sync=full",
            "mode=existing");
    assertEquals(0, mirror.status(), mirror.err());
    CliRun ready = run("job", "watch", sock, "m0", "--until-ready", "--no-bar");
    assertEquals(0, ready.status(), ready.out() + ready.err());
    assertTrue(ready.out().matches("(?s).* m0: ready.*\n"), ready.out());
    assertEquals(0, run("job", "complete", sock, "m0").status());
    CliRun done = run("job", "watch", sock, "m0", "--no-bar");
    assertTrue(done.status() == 0 || done.err().contains("no job 'm0'"), done.out() + done.err());
  }

  @Test
  void watchBarIsRedrawnInPlace() throws Exception {
    String sock = start(Duration.ofMillis(50));
    backup(sock, "bk3", 1L << 30);
    CliRun r = run("job", "watch", sock, "--bar", "--interval", "0.1");
    assertEquals(0, r.status(), r.out() + r.err());
    assertTrue(r.out().startsWith("\rbk3 ["), r.out());
    assertTrue(r.out().contains("] "), r.out());
    // The bar is wiped before the final line, which ends the output.
    assertTrue(r.out().matches("(?s).*\r *\rbk3: completed \\(1\\.0 GiB.*\\)\n"), r.out());
  }

  @Test
  void watchWithoutJobsOrWithSeveralSaysSo() throws Exception {
    String sock = start(Duration.ofMillis(50));
    CliRun none = run("job", "watch", sock);
    assertEquals(1, none.status());
    assertEquals("qmp4j job watch: no jobs on unix:" + sock + "\n", none.err());
    backup(sock, "a", 10L << 20);
    CliRun missing = run("job", "watch", sock, "b");
    assertEquals(1, missing.status());
    assertEquals("qmp4j job watch: no job 'b' on unix:" + sock + " (jobs: a)\n", missing.err());
    CliRun r =
        run(
            "exec",
            sock,
            "drive-backup",
            "job-id=b",
            "device=disk1",
            "target=" + dir.resolve("b.qcow2"),
            "sync=full",
            "speed=10485760");
    assertEquals(0, r.status(), r.err());
    CliRun several = run("job", "watch", sock);
    assertEquals(2, several.status());
    assertEquals(
        "qmp4j job watch: 2 jobs on unix:" + sock + " (a, b): name the one to watch\n",
        several.err());
    CliRun interval = run("job", "watch", sock, "a", "--interval", "0");
    assertEquals(
        new CliRun(2, "", "qmp4j job watch: --interval must be more than 0 seconds\n"), interval);
    CliRun act = run("job", "pause", sock, "nosuch");
    assertEquals(1, act.status());
    assertEquals("GenericError: Job not found\n", act.err());
  }

  @Test
  void migrateStartWatchesUntilCompleted() throws Exception {
    String sock = start(Duration.ofMillis(150));
    assertEquals(new CliRun(0, "migration: none\n", ""), run("migrate", sock));
    CliRun none = run("migrate", "watch", sock);
    assertEquals(1, none.status());
    assertTrue(none.err().startsWith("qmp4j migrate watch: no migration on unix:"), none.err());
    CliRun r =
        run("migrate", "start", sock, "exec:cat > /dev/null", "--no-bar", "--interval", "0.05");
    assertEquals(0, r.status(), r.out() + r.err());
    assertTrue(r.out().contains(" migration active "), r.out());
    assertTrue(
        r.out().matches("(?s).* migration: completed, 100% of 1\\.0 GiB RAM, .*\n"), r.out());
    assertTrue(run("exec", sock, "query-status").out().contains("postmigrate"));
    // Watching a finished migration says how it ended, at once.
    CliRun again = run("migrate", "watch", sock, "--json");
    assertEquals(0, again.status(), again.err());
    assertEquals("completed", QmpJson.parse(again.out()).path("result").asText());
  }

  @Test
  void migrateCancelEndsAWatchWithStatus1() throws Exception {
    String sock = start(Duration.ofMillis(500));
    CompletableFuture<CliRun> watch =
        CompletableFuture.supplyAsync(
            () -> run("migrate", "start", sock, "tcp:127.0.0.1:4444", "--no-bar"));
    Thread.sleep(700);
    CliRun cancel = run("migrate", "cancel", sock);
    assertEquals(0, cancel.status(), cancel.err());
    CliRun r = watch.get(20, TimeUnit.SECONDS);
    assertEquals(1, r.status(), r.out() + r.err());
    assertTrue(r.out().matches("(?s).* migration: cancel.*\n"), r.out());
  }

  @Test
  void migrateRejectsABadBandwidth() throws Exception {
    String sock = start(Duration.ofMillis(50));
    CliRun r = run("migrate", "start", sock, "exec:true", "--max-bandwidth", "lots");
    assertEquals(2, r.status());
    assertEquals(
        "qmp4j migrate: not an amount of bytes: 'lots' (e.g. 4096, 512K, 100M, 1G)\n", r.err());
    assertEquals(100L << 20, MigrateCommand.bytes("100M"));
    assertEquals(1536, MigrateCommand.bytes("1.5K"));
    assertEquals(1L << 30, MigrateCommand.bytes("1GiB"));
  }
}
