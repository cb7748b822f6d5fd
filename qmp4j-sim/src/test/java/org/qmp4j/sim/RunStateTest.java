package org.qmp4j.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.sim.internal.RunStateTable;

/** The run-state machine: QEMU 7.2's transitions, commands, and event order around replies. */
class RunStateTest {
  private static final Duration QUIET = Duration.ofMillis(150);

  private static String status(SimClient c) throws Exception {
    return c.execute("query-status").result().get("status").asText();
  }

  @Test
  void transitionTableIsQemus() {
    assertEquals(16, RunState.values().length);
    assertEquals(71, RunStateTable.size()); // distinct pairs in runstate_transitions_def
    assertTrue(RunStateTable.allowed(RunState.PRELAUNCH, RunState.RUNNING));
    assertTrue(RunStateTable.allowed(RunState.SHUTDOWN, RunState.PRELAUNCH));
    assertTrue(RunStateTable.allowed(RunState.GUEST_PANICKED, RunState.RUNNING));
    assertFalse(RunStateTable.allowed(RunState.SHUTDOWN, RunState.RUNNING));
    assertFalse(RunStateTable.allowed(RunState.SUSPENDED, RunState.PAUSED)); // master only
    assertFalse(RunStateTable.allowed(RunState.PRELAUNCH, RunState.SUSPENDED)); // master only
    assertEquals("guest-panicked", RunState.GUEST_PANICKED.qapiName());
    assertEquals(RunState.FINISH_MIGRATE, RunState.fromQapi("finish-migrate"));
  }

  @Test
  void stopContResetInQemusOrder() throws Exception {
    try (SimFixture f = new SimFixture(SimulatedMachine.newBuilder().startPaused(true))) {
      SimClient c = f.client();
      JsonNode st = c.execute("query-status").result();
      assertEquals("prelaunch", st.get("status").asText());
      assertFalse(st.get("running").asBoolean());
      assertFalse(st.get("singlestep").asBoolean());

      // stop in prelaunch: nothing happens
      assertEquals(List.of(), c.execute("stop").eventNames());
      assertEquals("prelaunch", status(c));

      // cont: RESUME before the reply
      assertEquals(List.of("RESUME"), c.execute("cont").eventNames());
      JsonNode running = c.execute("query-status").result();
      assertEquals("running", running.get("status").asText());
      assertTrue(running.get("running").asBoolean());
      assertEquals(List.of(), c.execute("cont").eventNames()); // already running

      // stop: STOP before the reply
      assertEquals(List.of("STOP"), c.execute("stop").eventNames());
      assertEquals("paused", status(c));

      // reset while paused: RESET, then prelaunch
      SimClient.Exchange reset = c.execute("system_reset");
      assertEquals(List.of("RESET"), reset.eventNames());
      assertEquals(false, reset.events().get(0).at("/data/guest").asBoolean());
      assertEquals("host-qmp-system-reset", reset.events().get(0).at("/data/reason").asText());
      assertEquals("prelaunch", status(c));

      // reset while running stays running
      c.execute("cont");
      assertEquals(List.of("RESET"), c.execute("system_reset").eventNames());
      assertEquals("running", status(c));

      SimClient.Exchange wake = c.execute("system_wakeup");
      assertEquals("Unable to wake up: guest is not in suspended state", wake.errorDesc());
      assertEquals(List.of(), c.drain(QUIET));
    }
  }

  @Test
  void quitSendsShutdownThenReplyThenEof() throws Exception {
    try (SimFixture f = new SimFixture(SimulatedMachine.newBuilder())) {
      SimClient c = f.client();
      SimClient.Exchange quit = c.execute("quit");
      assertEquals(List.of("SHUTDOWN"), quit.eventNames());
      assertEquals("host-qmp-quit", quit.events().get(0).at("/data/reason").asText());
      assertFalse(quit.events().get(0).at("/data/guest").asBoolean());
      assertTrue(quit.reply().has("return"));
      assertEquals(SimClient.EOF, c.next(Duration.ofSeconds(5)));
      assertEquals(0, f.vm.terminated().get());
    }
  }

  @Test
  void quitEndsEveryMonitorRightAfterItsLastMessage() throws Exception {
    try (SimFixture f = new SimFixture(SimulatedMachine.newBuilder())) {
      java.nio.file.Path second = f.dir.resolve("qmp2.sock");
      f.vm.listen(second, false);
      SimClient a = f.client();
      try (SimClient b = SimClient.open(second)) {
        // HMP's quit is QMP's (QEMU 7.2: SHUTDOWN, {"return": ""}, then the end)
        SimClient.Exchange quit = a.execute("human-monitor-command", "{\"command-line\":\"quit\"}");
        assertEquals(List.of("SHUTDOWN"), quit.eventNames());
        assertEquals("", quit.result().asText());
        assertEquals(SimClient.EOF, a.next(Duration.ofSeconds(5)));
        assertEquals("SHUTDOWN", b.next(Duration.ofSeconds(5)).path("event").asText());
        assertEquals(SimClient.EOF, b.next(Duration.ofSeconds(5)));
        assertEquals(0, f.vm.terminated().get(5, java.util.concurrent.TimeUnit.SECONDS));
        assertFalse(java.nio.file.Files.exists(second), "the monitor's socket goes with QEMU");
      }
    }
  }

  @Test
  void powerdownLetsTheGuestShutDown() throws Exception {
    try (SimFixture f =
        new SimFixture(SimulatedMachine.newBuilder().guestPowerdownDelay(Duration.ofMillis(10)))) {
      SimClient c = f.client();
      c.execute("set-action", "{\"shutdown\":\"pause\"}");
      assertEquals(List.of("POWERDOWN"), c.execute("system_powerdown").eventNames());
      JsonNode shutdown = c.awaitEvent("SHUTDOWN", Duration.ofSeconds(5));
      assertNotNull(shutdown);
      assertTrue(shutdown.at("/data/guest").asBoolean());
      assertEquals("guest-shutdown", shutdown.at("/data/reason").asText());
      assertNotNull(c.awaitEvent("STOP", Duration.ofSeconds(5)));
      assertEquals("shutdown", status(c));
      assertEquals("Resetting the Virtual Machine is required", c.execute("cont").errorDesc());
      c.execute("system_reset");
      assertEquals("prelaunch", status(c));
      assertEquals(List.of("RESUME"), c.execute("cont").eventNames());
    }
  }

  @Test
  void guestShutdownEndsTheMachineByDefault() throws Exception {
    try (SimFixture f = new SimFixture(SimulatedMachine.newBuilder())) {
      SimClient c = f.client();
      SimClient.Exchange x = c.execute("__org.qmp4j_guest-shutdown");
      assertEquals(List.of("SHUTDOWN"), x.eventNames());
      assertEquals(SimClient.EOF, c.next(Duration.ofSeconds(5)));
      assertEquals(0, f.vm.terminated().get());
    }
  }

  @Test
  void panicActions() throws Exception {
    try (SimFixture f = new SimFixture(SimulatedMachine.newBuilder())) {
      SimClient c = f.client();
      c.execute("set-action", "{\"panic\":\"pause\"}");
      SimClient.Exchange p = c.execute("__org.qmp4j_guest-panic");
      assertEquals(List.of("GUEST_PANICKED", "STOP"), p.eventNames());
      assertEquals("pause", p.events().get(0).at("/data/action").asText());
      assertEquals("guest-panicked", status(c));
      // a paused guest cannot panic
      assertNotNull(c.execute("__org.qmp4j_guest-panic").errorDesc());
      c.execute("cont");
      c.execute("set-action", "{\"panic\":\"none\"}");
      p = c.execute("__org.qmp4j_guest-panic");
      assertEquals(List.of("GUEST_PANICKED"), p.eventNames());
      assertEquals("run", p.events().get(0).at("/data/action").asText());
      assertEquals("running", status(c));
      c.execute("set-action", "{\"panic\":\"shutdown\", \"shutdown\":\"pause\"}");
      p = c.execute("__org.qmp4j_guest-panic");
      assertEquals(List.of("GUEST_PANICKED", "STOP"), p.eventNames());
      assertEquals("pause", p.events().get(0).at("/data/action").asText());
    }
  }

  @Test
  void panicWithShutdownActionPowersOff() throws Exception {
    try (SimFixture f = new SimFixture(SimulatedMachine.newBuilder())) {
      SimClient c = f.client();
      c.execute("set-action", "{\"panic\":\"exit-failure\"}");
      SimClient.Exchange p = c.execute("__org.qmp4j_guest-panic");
      assertEquals(List.of("GUEST_PANICKED", "STOP", "SHUTDOWN"), p.eventNames());
      assertEquals("poweroff", p.events().get(0).at("/data/action").asText());
      assertEquals("guest-panic", p.events().get(2).at("/data/reason").asText());
      assertEquals(1, f.vm.terminated().get());
    }
  }

  @Test
  void suspendAndWakeup() throws Exception {
    try (SimFixture f = new SimFixture(SimulatedMachine.newBuilder())) {
      SimClient c = f.client();
      assertEquals(List.of("SUSPEND"), c.execute("__org.qmp4j_guest-suspend").eventNames());
      assertEquals("suspended", status(c));
      assertEquals(List.of(), c.execute("cont").eventNames()); // silent in suspended
      assertEquals(List.of("WAKEUP"), c.execute("system_wakeup").eventNames());
      assertEquals("running", status(c));
      SimClient.Exchange disk = c.execute("__org.qmp4j_guest-suspend-disk");
      assertEquals(List.of("SUSPEND_DISK", "SHUTDOWN"), disk.eventNames());
    }
  }

  @Test
  void watchdogActions() throws Exception {
    try (SimFixture f = new SimFixture(SimulatedMachine.newBuilder().noShutdown(true))) {
      SimClient c = f.client();
      SimClient.Exchange w = c.execute("__org.qmp4j_watchdog-expire");
      assertEquals(List.of("WATCHDOG", "RESET"), w.eventNames());
      assertEquals("reset", w.events().get(0).at("/data/action").asText());
      assertEquals(true, w.events().get(1).at("/data/guest").asBoolean());
      assertEquals("guest-reset", w.events().get(1).at("/data/reason").asText());
      Thread.sleep(1100); // WATCHDOG is throttled to one a second
      c.execute("watchdog-set-action", "{\"action\":\"pause\"}");
      w = c.execute("__org.qmp4j_watchdog-expire");
      assertEquals(List.of("WATCHDOG", "STOP"), w.eventNames());
      assertEquals("watchdog", status(c));
      c.execute("cont");
      c.execute("set-action", "{\"reboot\":\"shutdown\"}");
      assertEquals(List.of("SHUTDOWN", "STOP"), c.execute("__org.qmp4j_guest-reset").eventNames());
      assertEquals("shutdown", status(c));
    }
  }

  @Test
  void javaApiRequiresARunningGuest() throws Exception {
    try (SimulatedMachine vm = SimulatedMachine.newBuilder().startPaused(true).build()) {
      assertEquals(RunState.PRELAUNCH, vm.runState());
      QmpErrorException e = assertThrows(QmpErrorException.class, vm::guestPanic);
      assertTrue(e.desc().contains("prelaunch"), e.desc());
      assertNull(vm.terminated().getNow(null));
    }
  }
}
