package org.qmp4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.testing.GuestAgentProcess;
import org.qmp4j.testing.QemuProcess;

/** exec, events, vm-info and ga against the real QEMU 7.2 and qemu-ga. */
class QemuCliIT {

  private record Run(int status, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Main.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(status, out.toString(), err.toString());
  }

  @Test
  void execAgainstQemu() {
    try (QemuProcess qemu = QemuProcess.start()) {
      String sock = qemu.socket().toString();
      Run r = run("exec", sock, "query-status");
      assertEquals(0, r.status(), r.err());
      assertEquals("{\"status\":\"prelaunch\",\"singlestep\":false,\"running\":false}\n", r.out());
      Run err = run("exec", sock, "device_del", "id=nosuch");
      assertEquals(1, err.status());
      assertEquals("DeviceNotFound: Device 'nosuch' not found\n", err.err());
      Run hmp = run("exec", sock, "human-monitor-command", "command-line=info status");
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
      CompletableFuture<Run> events =
          CompletableFuture.supplyAsync(
              () ->
                  run("events", eventSock, "--name", "RESUME", "--count", "1", "--timeout", "30"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!events.isDone() && System.nanoTime() < deadline) {
        run("exec", sock, "stop");
        run("exec", sock, "cont");
        Thread.sleep(200);
      }
      Run r = events.get(5, TimeUnit.SECONDS);
      assertEquals(0, r.status(), r.err());
      JsonNode e = QmpJson.parse(r.out());
      assertEquals("RESUME", e.path("event").asText());
    }
  }

  @Test
  void vmInfoAgainstQemu() {
    try (QemuProcess qemu = QemuProcess.builder().args("-name", "it-vm").start()) {
      Run r = run("vm-info", qemu.socket().toString());
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
      Run ping = run("ga", sock, "guest-ping");
      assertEquals(0, ping.status(), ping.err());
      assertEquals("{}\n", ping.out());
      Run echo = run("ga", sock, "exec", "--", "/bin/echo", "hello", "guest");
      assertEquals(0, echo.status(), echo.err());
      assertEquals("hello guest\n", echo.out());
      Run fails = run("ga", sock, "exec", "--", "/bin/false");
      assertEquals(1, fails.status());
      Run unknown = run("ga", sock, "guest-no-such");
      assertEquals(1, unknown.status());
      assertTrue(unknown.err().startsWith("CommandNotFound: "), unknown.err());
    }
  }
}
