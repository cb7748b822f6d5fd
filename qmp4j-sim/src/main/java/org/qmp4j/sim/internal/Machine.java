package org.qmp4j.sim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.server.CommandContext;
import org.qmp4j.server.QmpServer;
import org.qmp4j.sim.RunState;

/**
 * The simulated machine's state and its guest: run state with QEMU 7.2's transitions, the actions
 * set by {@code set-action}, and what a guest does (shut down, reset, panic, suspend, watchdog,
 * RTC). All state is guarded by this object's monitor; events are emitted while holding it, so
 * their order is the order of the changes.
 */
public final class Machine {
  private final MachineConfig config;
  private final ScheduledExecutorService timers;
  private final CompletableFuture<Integer> terminated = new CompletableFuture<>();
  private volatile QmpServer server;
  // The command whose handler runs now (guarded by this): a machine it ends ends behind its reply.
  private CommandContext command;
  private volatile boolean ending;

  private RunState state = RunState.PRELAUNCH;
  private String rebootAction = "reset";
  private String shutdownAction = "poweroff";
  private String panicAction = "shutdown";
  private String watchdogAction = "reset";
  private boolean autostart;

  final Block block;
  final Devices devices;
  final Migration migration;
  final Display display;
  final Chardevs chardevs = new Chardevs(this);

  public Machine(MachineConfig config) {
    this.config = config;
    if (config.noShutdown()) {
      shutdownAction = "pause";
    }
    if (config.noReboot()) {
      rebootAction = "shutdown";
    }
    this.timers =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "qmp4j-sim-timer");
              t.setDaemon(true);
              return t;
            });
    this.block = new Block(this);
    this.devices = new Devices(this);
    this.migration = new Migration(this);
    this.display = new Display(this);
  }

  public MachineConfig config() {
    return config;
  }

  /**
   * Connects the machine to its server and starts it: {@code prelaunch}, then running unless -S.
   */
  public void attach(QmpServer server) {
    this.server = server;
    synchronized (this) {
      if (!config.startPaused()) {
        // QEMU without -S: vm_start() before any monitor is connected; the RESUME is seen by none.
        state = RunState.RUNNING;
      }
    }
  }

  public Block block() {
    return block;
  }

  public Devices devices() {
    return devices;
  }

  public Migration migration() {
    return migration;
  }

  public Display display() {
    return display;
  }

  /** The character devices (monitor and guest agent sockets) that {@code query-chardev} lists. */
  public Chardevs chardevs() {
    return chardevs;
  }

  // -----------------------------------------------------------------------------------------------
  // Plumbing

  /** Emits an event (data {@code null} for none). */
  void emit(String event, ObjectNode data) {
    QmpServer s = server;
    if (s != null && !terminated.isDone()) {
      s.emit(event, data);
    }
  }

  ScheduledFuture<?> schedule(Duration delay, Runnable task) {
    return timers.schedule(
        () -> {
          try {
            task.run();
          } catch (RuntimeException e) {
            System.getLogger(Machine.class.getName())
                .log(System.Logger.Level.WARNING, "simulator timer task failed", e);
          }
        },
        Math.max(0, delay.toNanos()),
        TimeUnit.NANOSECONDS);
  }

  Duration tick() {
    return config.tick();
  }

  static QmpErrorException error(String desc) {
    return QmpErrorException.generic(desc);
  }

  // -----------------------------------------------------------------------------------------------
  // Life

  /** Completes with the exit status once the machine has ended (quit, guest power-off). */
  public CompletableFuture<Integer> terminated() {
    return terminated;
  }

  /**
   * Runs a command's handler body with the machine locked; the machine knows the command meanwhile
   * (see {@link #terminate}).
   */
  synchronized <T> T inCommand(CommandContext ctx, java.util.function.Supplier<T> body) {
    CommandContext outer = command;
    command = ctx;
    try {
      return body.get();
    } finally {
      command = outer;
    }
  }

  /**
   * Ends the machine as QEMU exits: its server stops listening and closes every connection once its
   * peer has what was sent so far (within a command, its reply included, as after {@code quit});
   * then {@link #terminated()} completes.
   */
  synchronized void terminate(int status) {
    if (ending || terminated.isDone()) {
      return;
    }
    ending = true;
    QmpServer s = server;
    CompletableFuture<Void> closed =
        s == null
            ? CompletableFuture.completedFuture(null)
            : command != null ? command.closeServerAfterReply() : s.closeAfterOutput();
    closed.whenComplete(
        (v, failure) -> {
          terminated.complete(status);
          timers.shutdown();
        });
  }

  /** Stops timers and the server at once. */
  public void close() {
    QmpServer s = server;
    if (s != null) {
      s.close();
    }
    terminated.complete(0);
    timers.shutdownNow();
  }

  public boolean isTerminating() {
    return ending || terminated.isDone() || timers.isShutdown();
  }

  // -----------------------------------------------------------------------------------------------
  // Run state

  public synchronized RunState state() {
    return state;
  }

  /** QEMU's runstate_set(): aborts (here: throws) on a transition its table does not allow. */
  synchronized void setState(RunState to) {
    if (!RunStateTable.allowed(state, to)) {
      throw new IllegalStateException(
          "invalid runstate transition: '" + state.qapiName() + "' -> '" + to.qapiName() + "'");
    }
    state = to;
  }

  synchronized boolean running() {
    return state == RunState.RUNNING;
  }

  /** QEMU's vm_stop(): only a running machine stops, with a STOP event. */
  synchronized void vmStop(RunState to) {
    if (state == RunState.RUNNING) {
      setState(to);
      emit("STOP", null);
    }
  }

  /** QEMU's vm_start(): RESUME and running, unless already running. */
  synchronized void vmStart() {
    if (state == RunState.RUNNING) {
      return;
    }
    emit("RESUME", null);
    setState(RunState.RUNNING);
    devices.guestRuns();
  }

  synchronized ObjectNode queryStatus() {
    // Members in QAPI's order, as QEMU's output visitor inserts them (it matters for QDict order).
    return Json.obj(
        "running", state == RunState.RUNNING, "singlestep", false, "status", state.qapiName());
  }

  synchronized void stop() {
    if (state == RunState.INMIGRATE) {
      autostart = false;
    } else {
      vmStop(RunState.PAUSED);
    }
  }

  synchronized void cont() {
    if (state == RunState.INTERNAL_ERROR || state == RunState.SHUTDOWN) {
      throw error("Resetting the Virtual Machine is required");
    } else if (state == RunState.SUSPENDED) {
      return;
    } else if (state == RunState.FINISH_MIGRATE) {
      throw error("Migration is not finalized yet");
    }
    block.resetIoStatus();
    if (state == RunState.INMIGRATE) {
      autostart = true;
    } else {
      vmStart();
    }
  }

  /** A reset as QEMU's main loop performs it: RESET (unless silent), then prelaunch if stopped. */
  synchronized void reset(boolean guest, String reason) {
    if (reason != null) {
      devices.guestClosesPorts(); // the virtio-serial reset, before QEMU's RESET
      emit("RESET", Json.obj("guest", guest, "reason", reason));
    }
    devices.reset();
    block.reset();
    if (state != RunState.RUNNING
        && state != RunState.INMIGRATE
        && state != RunState.FINISH_MIGRATE) {
      setState(RunState.PRELAUNCH);
    }
  }

  /** qemu_system_reset_request(): a reset, or a shutdown when the reboot action says so. */
  synchronized void resetRequest(boolean guest, String reason) {
    if (rebootAction.equals("shutdown")) {
      shutdown(guest, reason);
    } else {
      reset(guest, reason);
    }
  }

  synchronized void systemReset() {
    resetRequest(false, "host-qmp-system-reset");
  }

  synchronized void systemPowerdown() {
    emit("POWERDOWN", null);
    Duration d = config.guestPowerdownDelay();
    if (d != null && state == RunState.RUNNING) {
      schedule(
          d,
          () -> {
            synchronized (Machine.this) {
              if (state == RunState.RUNNING) {
                devices.guestClosesPorts(); // the guest's services stop, qemu-ga's among them
                shutdown(true, "guest-shutdown");
              }
            }
          });
    }
  }

  /** The main loop's handling of a shutdown request. */
  synchronized void shutdown(boolean guest, String reason) {
    emit("SHUTDOWN", Json.obj("guest", guest, "reason", reason));
    if (shutdownAction.equals("pause")) {
      vmStop(RunState.SHUTDOWN);
    } else {
      terminate(reason.equals("guest-panic") && panicAction.equals("exit-failure") ? 1 : 0);
    }
  }

  /** The process gets a terminating signal: SHUTDOWN (host-signal), then the machine ends. */
  public synchronized void killed() {
    if (!terminated.isDone()) {
      shutdownAction = "poweroff";
      shutdown(false, "host-signal");
    }
  }

  synchronized void quit() {
    shutdownAction = "poweroff";
    shutdown(false, "host-qmp-quit");
  }

  synchronized void systemWakeup() {
    if (state != RunState.SUSPENDED) {
      throw error("Unable to wake up: guest is not in suspended state");
    }
    setState(RunState.RUNNING);
    reset(false, null);
    emit("WAKEUP", null);
  }

  synchronized void setAction(JsonNode args) {
    rebootAction = Json.str(args, "reboot", rebootAction);
    panicAction = Json.str(args, "panic", panicAction);
    watchdogAction = Json.str(args, "watchdog", watchdogAction);
    shutdownAction = Json.str(args, "shutdown", shutdownAction);
  }

  synchronized void watchdogSetAction(String action) {
    watchdogAction = action;
  }

  // -----------------------------------------------------------------------------------------------
  // The guest

  private void requireGuestRunning(String what) {
    if (state != RunState.RUNNING) {
      throw error("The guest cannot " + what + ": the machine is " + state.qapiName());
    }
  }

  /** The guest powers itself off (ACPI S5). */
  public synchronized void guestShutdown() {
    requireGuestRunning("shut down");
    devices.guestClosesPorts(); // the guest's services stop, qemu-ga's among them
    shutdown(true, "guest-shutdown");
  }

  /** The guest resets itself. */
  public synchronized void guestReset() {
    requireGuestRunning("reset");
    devices.guestClosesPorts(); // the guest's services stop, qemu-ga's among them
    resetRequest(true, "guest-reset");
  }

  /** The guest panics (pvpanic); {@code info} is the optional GuestPanicInformation. */
  public synchronized void guestPanic(ObjectNode info) {
    requireGuestRunning("panic");
    if (panicAction.equals("pause")
        || (panicAction.equals("shutdown") && shutdownAction.equals("pause"))) {
      emit("GUEST_PANICKED", Json.obj("action", "pause", "info", info));
      vmStop(RunState.GUEST_PANICKED);
    } else if (panicAction.equals("shutdown") || panicAction.equals("exit-failure")) {
      emit("GUEST_PANICKED", Json.obj("action", "poweroff", "info", info));
      vmStop(RunState.GUEST_PANICKED);
      shutdown(true, "guest-panic");
    } else {
      emit("GUEST_PANICKED", Json.obj("action", "run", "info", info));
    }
  }

  /** The guest reports that its kernel loaded a crash kernel (GUEST_CRASHLOADED). */
  public synchronized void guestCrashloaded() {
    requireGuestRunning("load a crash kernel");
    emit("GUEST_CRASHLOADED", Json.obj("action", "run"));
  }

  /** The guest suspends to RAM (ACPI S3). */
  public synchronized void guestSuspend() {
    requireGuestRunning("suspend");
    setState(RunState.SUSPENDED);
    emit("SUSPEND", null);
  }

  /** The guest suspends to disk (ACPI S4): SUSPEND_DISK, then it powers off. */
  public synchronized void guestSuspendToDisk() {
    requireGuestRunning("suspend to disk");
    emit("SUSPEND_DISK", null);
    shutdown(true, "guest-shutdown");
  }

  /** Something wakes a suspended guest up (an RTC alarm, a key press). */
  public synchronized void guestWakeup() {
    if (state != RunState.SUSPENDED) {
      throw error("Unable to wake up: guest is not in suspended state");
    }
    systemWakeup();
  }

  /** The guest's watchdog expires: WATCHDOG, then the configured action. */
  public synchronized void watchdogExpire() {
    requireGuestRunning("let its watchdog expire");
    emit("WATCHDOG", Json.obj("action", watchdogAction));
    switch (watchdogAction) {
      case "reset":
        resetRequest(true, "guest-reset");
        break;
      case "shutdown":
        systemPowerdown();
        break;
      case "poweroff":
        terminate(0);
        break;
      case "pause":
        vmStop(RunState.WATCHDOG);
        break;
      default: // debug, none, inject-nmi: nothing a client sees
        break;
    }
  }

  /** The guest sets its real-time clock {@code offset} seconds away from the host's. */
  public synchronized void rtcChange(long offset) {
    requireGuestRunning("change its RTC");
    emit("RTC_CHANGE", Json.obj("offset", offset, "qom-path", "/machine/unattached/device[9]"));
  }

  /** Marks the machine's memory as failed (MEMORY_FAILURE). */
  public synchronized void memoryFailure(String recipient, String action, boolean recursive) {
    emit(
        "MEMORY_FAILURE",
        Json.obj(
            "recipient",
            recipient,
            "action",
            action,
            "flags",
            Json.obj("action-required", false, "recursive", recursive)));
  }

  synchronized String actions() {
    return rebootAction + "/" + shutdownAction + "/" + panicAction + "/" + watchdogAction;
  }

  synchronized boolean autostart() {
    return autostart;
  }
}
