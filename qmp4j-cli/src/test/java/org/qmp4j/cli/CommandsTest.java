package org.qmp4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.qmp4j.cli.CliRun.run;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.sim.SimulatedMachine;

/** The commands, run in-process as picocli runs them, against a simulated machine. */
class CommandsTest {

  @TempDir Path dir;
  private SimulatedMachine vm;
  private String sock;

  @BeforeEach
  void start() throws Exception {
    vm = SimulatedMachine.demo().build();
    Path p = dir.resolve("qmp.sock");
    vm.listen(p, false);
    sock = p.toString();
  }

  @AfterEach
  void stop() {
    vm.close();
  }

  @Test
  void execPrintsTheReturnValueAsCompactJsonWhenPiped() {
    CliRun r = run("exec", sock, "query-status");
    assertEquals(0, r.status(), r.err());
    assertEquals("", r.err());
    assertEquals("{\"status\":\"running\",\"singlestep\":false,\"running\":true}\n", r.out());
  }

  @Test
  void execPrettyIndents() {
    CliRun r = run("exec", "unix:" + sock, "query-name", "--pretty");
    assertEquals(0, r.status(), r.err());
    assertEquals("{\n  \"name\": \"qmp4j-demo\"\n}\n", r.out());
  }

  @Test
  void execTypesKeyValueArgumentsAndChangesTheMachine() {
    CliRun r = run("exec", sock, "eject", "id=cd0dev", "force=true");
    assertEquals(0, r.status(), r.err());
    assertEquals("{}\n", r.out());
    JsonNode block = QmpJson.parse(run("exec", sock, "query-block").out());
    JsonNode cd = null;
    for (JsonNode d : block) {
      if (d.path("device").asText().equals("cd0")) {
        cd = d;
      }
    }
    assertTrue(cd != null && cd.path("tray_open").asBoolean(), block.toString());
  }

  @Test
  void execTakesOneJsonObject() {
    CliRun r = run("exec", sock, "balloon", "{\"value\": 536870912}");
    assertEquals(0, r.status(), r.err());
    assertEquals("{}\n", r.out());
  }

  @Test
  void execTakesAWholeJsonRequest() {
    CliRun r = run("exec", sock, "{\"execute\": \"query-name\"}");
    assertEquals(0, r.status(), r.err());
    assertEquals("{\"name\":\"qmp4j-demo\"}\n", r.out());
    CliRun err = run("exec", sock, "{\"execute\": \"eject\", \"arguments\": {\"id\": \"x\"}}");
    assertEquals(1, err.status());
    assertEquals("DeviceNotFound: Device 'x' not found\n", err.err());
  }

  @Test
  void execErrorReplyIsClassAndDescOnStderrWithStatus1() {
    CliRun r = run("exec", sock, "eject", "id=nosuch");
    assertEquals(1, r.status());
    assertEquals("", r.out());
    assertEquals("DeviceNotFound: Device 'nosuch' not found\n", r.err());
    CliRun unknown = run("exec", sock, "no-such-command");
    assertEquals(1, unknown.status());
    assertEquals(
        "CommandNotFound: The command no-such-command has not been found\n", unknown.err());
    CliRun badArg = run("exec", sock, "eject", "id=cd0dev", "force=maybe");
    assertEquals(1, badArg.status());
    assertEquals(
        "GenericError: Invalid parameter type for 'force', expected: boolean\n", badArg.err());
  }

  @Test
  void execConnectionErrorSaysWhatWasTriedWithStatus2() {
    String missing = dir.resolve("nothing.sock").toString();
    CliRun r = run("exec", "unix:" + missing, "query-status");
    assertEquals(2, r.status());
    assertEquals("", r.out());
    assertTrue(
        r.err().startsWith("qmp4j exec: cannot talk QMP to unix:" + missing + ": "), r.err());
    assertTrue(r.err().contains("qmp4j serve --qmp unix:" + missing), r.err());
    CliRun refused = run("exec", "tcp:127.0.0.1:1", "query-status");
    assertEquals(2, refused.status());
    assertTrue(
        refused.err().startsWith("qmp4j exec: cannot talk QMP to tcp:127.0.0.1:1: "),
        refused.err());
  }

  @Test
  void execUsageErrorsExitWith2() {
    CliRun bad = run("exec", sock, "eject", "force");
    assertEquals(2, bad.status());
    assertTrue(bad.err().contains("expected key=value, got 'force'"), bad.err());
    CliRun badAddress = run("exec", "ftp:x", "query-status");
    assertEquals(2, badAddress.status());
    assertTrue(badAddress.err().startsWith("qmp4j exec: "), badAddress.err());
    CliRun missing = run("exec", sock);
    assertEquals(2, missing.status());
    assertTrue(missing.err().contains("COMMAND"), missing.err());
  }

  @Test
  void eventsWithCountPrintsJsonLinesAndStops() throws Exception {
    CompletableFuture<CliRun> events =
        CompletableFuture.supplyAsync(
            () ->
                run(
                    "events",
                    sock,
                    "--name",
                    "STOP",
                    "--name",
                    "RESUME",
                    "--count",
                    "2",
                    "--timeout",
                    "20"));
    // Until the subscriber is there, repeat: stop and cont each send one event.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!events.isDone() && System.nanoTime() < deadline) {
      run("exec", sock, "stop");
      run("exec", sock, "cont");
      Thread.sleep(200);
    }
    CliRun r = events.get(5, TimeUnit.SECONDS);
    assertEquals(0, r.status(), r.err());
    String[] lines = r.out().split("\n");
    assertEquals(2, lines.length, r.out());
    for (String line : lines) {
      JsonNode e = QmpJson.parse(line);
      assertTrue(e.path("event").asText().matches("STOP|RESUME"), line);
      assertTrue(e.path("timestamp").has("seconds"), line);
    }
  }

  @Test
  void eventsTimeoutBeforeCountIsStatus1() {
    CliRun r = run("events", sock, "--name", "SHUTDOWN", "--count", "1", "--timeout", "0.3");
    assertEquals(1, r.status());
    assertEquals("", r.out());
    assertTrue(r.err().contains("0 of 1 events"), r.err());
  }

  @Test
  void vmInfoSummarisesTheMachine() {
    run("exec", sock, "balloon", "value=536870912");
    CliRun r = run("vm-info", sock);
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("Name:      qmp4j-demo"), r.out());
    assertTrue(r.out().contains("QEMU:      7.2."), r.out());
    assertTrue(r.out().contains("State:     running\n"), r.out());
    assertTrue(r.out().contains("KVM:"), r.out());
    assertTrue(
        r.out().matches("(?s).*\nMemory:    1 GiB, balloon (512 MiB|1 GiB|\\d+ MiB)\n.*"), r.out());
    assertTrue(
        r.out().contains("  disk0 (disk0dev): /var/lib/qmp4j/disk0.qcow2 [qcow2, 1 GiB]"), r.out());
    assertTrue(r.out().contains("  cd0 (cd0dev): no medium, removable, tray closed"), r.out());
    assertTrue(r.out().contains("Jobs:      none"), r.out());
    CliRun json = run("vm-info", sock, "--json");
    assertEquals(0, json.status(), json.err());
    JsonNode all = QmpJson.parse(json.out());
    assertEquals("qmp4j-demo", all.path("query-name").path("name").asText());
    assertTrue(all.path("query-block").isArray());
  }

  @Test
  void benchPrintsThroughputAndPercentiles() {
    CliRun r = run("bench", sock, "--count", "200", "--concurrency", "4");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().matches("(?s).*\\n\\d+ ops/s\\n.*"), r.out());
    assertTrue(r.out().contains("p50 ") && r.out().contains("p99 "), r.out());
  }

  @Test
  void serveRejectsAnAddressItCannotListenOn() throws Exception {
    Path notADir = Files.writeString(dir.resolve("file"), "x");
    CliRun r = run("serve", "--qmp", "unix:" + notADir.resolve("qmp.sock"));
    assertEquals(2, r.status());
    assertTrue(r.err().startsWith("qmp4j serve: "), r.err());
  }

  @Test
  void gaAgainstTheSimulatedAgent() throws Exception {
    Path ga = dir.resolve("ga.sock");
    vm.guestAgent().listen(ga);
    String addr = ga.toString();
    CliRun ping = run("ga", addr, "guest-ping");
    assertEquals(0, ping.status(), ping.err());
    assertEquals("{}\n", ping.out());
    CliRun echo = run("ga", addr, "exec", "--", "echo", "hi");
    assertEquals(0, echo.status(), echo.err());
    assertEquals("hi\n", echo.out());
    CliRun fails = run("ga", addr, "exec", "--", "/bin/false");
    assertEquals(1, fails.status());
    Path local = dir.resolve("tool.sh");
    Files.writeString(local, "echo from the host\n");
    CliRun in = run("ga", addr, "cp", local.toString(), "guest:/tmp/tool.sh");
    assertEquals(0, in.status(), in.err());
    assertEquals(
        "echo from the host\n",
        new String(vm.guestAgent().file("/tmp/tool.sh").orElseThrow(), "UTF-8"));
    CliRun ran = run("ga", addr, "exec", "--", "sh", "/tmp/tool.sh");
    assertEquals("from the host\n", ran.out(), ran.err());
    Path back = dir.resolve("hostname");
    CliRun out = run("ga", addr, "cp", "guest:/etc/hostname", back.toString());
    assertEquals(0, out.status(), out.err());
    assertEquals("qmp4j-demo\n", Files.readString(back));
    CliRun unknown = run("ga", addr, "guest-no-such");
    assertEquals(1, unknown.status());
    assertTrue(unknown.err().startsWith("CommandNotFound: "), unknown.err());
  }
}
