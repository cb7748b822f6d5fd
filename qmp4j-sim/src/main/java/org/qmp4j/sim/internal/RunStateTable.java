package org.qmp4j.sim.internal;

import static org.qmp4j.sim.RunState.*;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.qmp4j.sim.RunState;

/**
 * The run-state transitions QEMU 7.2 allows ({@code runstate_transitions_def} in its {@code
 * softmmu/runstate.c}); QEMU aborts on any other. A state may always be set to itself.
 */
public final class RunStateTable {
  private static final Map<RunState, Set<RunState>> ALLOWED = new EnumMap<>(RunState.class);

  static {
    allow(PRELAUNCH, INMIGRATE);
    allow(DEBUG, RUNNING, FINISH_MIGRATE, PRELAUNCH, SUSPENDED);
    allow(
        INMIGRATE,
        INTERNAL_ERROR,
        IO_ERROR,
        PAUSED,
        RUNNING,
        SHUTDOWN,
        SUSPENDED,
        WATCHDOG,
        GUEST_PANICKED,
        FINISH_MIGRATE,
        PRELAUNCH,
        POSTMIGRATE,
        COLO);
    allow(INTERNAL_ERROR, PAUSED, FINISH_MIGRATE, PRELAUNCH);
    allow(IO_ERROR, RUNNING, FINISH_MIGRATE, PRELAUNCH);
    allow(PAUSED, RUNNING, FINISH_MIGRATE, POSTMIGRATE, PRELAUNCH, COLO);
    allow(POSTMIGRATE, RUNNING, FINISH_MIGRATE, PRELAUNCH);
    allow(PRELAUNCH, RUNNING, FINISH_MIGRATE, INMIGRATE);
    allow(FINISH_MIGRATE, RUNNING, PAUSED, POSTMIGRATE, PRELAUNCH, COLO);
    allow(RESTORE_VM, RUNNING, PRELAUNCH);
    allow(COLO, RUNNING, PRELAUNCH, SHUTDOWN);
    allow(
        RUNNING,
        DEBUG,
        INTERNAL_ERROR,
        IO_ERROR,
        PAUSED,
        FINISH_MIGRATE,
        RESTORE_VM,
        SAVE_VM,
        SHUTDOWN,
        WATCHDOG,
        GUEST_PANICKED,
        COLO,
        SUSPENDED);
    allow(SAVE_VM, RUNNING);
    allow(SHUTDOWN, PAUSED, FINISH_MIGRATE, PRELAUNCH, COLO);
    allow(SUSPENDED, RUNNING, FINISH_MIGRATE, PRELAUNCH, COLO);
    allow(WATCHDOG, RUNNING, FINISH_MIGRATE, PRELAUNCH, COLO);
    allow(GUEST_PANICKED, RUNNING, FINISH_MIGRATE, PRELAUNCH);
  }

  private RunStateTable() {}

  private static void allow(RunState from, RunState... to) {
    ALLOWED.computeIfAbsent(from, k -> EnumSet.noneOf(RunState.class)).addAll(Set.of(to));
  }

  /** Whether QEMU 7.2 may go from {@code from} to {@code to}. */
  public static boolean allowed(RunState from, RunState to) {
    return from == to || ALLOWED.getOrDefault(from, Set.of()).contains(to);
  }

  /** The number of distinct (from, to) pairs in the table, self-transitions excluded. */
  public static int size() {
    return ALLOWED.values().stream().mapToInt(Set::size).sum();
  }
}
