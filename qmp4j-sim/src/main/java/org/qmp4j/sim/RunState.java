package org.qmp4j.sim;

import java.util.Locale;

/** QEMU's run states (QAPI {@code RunState}), the same 16 values in 7.2 and later. */
public enum RunState {
  DEBUG,
  INMIGRATE,
  INTERNAL_ERROR,
  IO_ERROR,
  PAUSED,
  POSTMIGRATE,
  PRELAUNCH,
  FINISH_MIGRATE,
  RESTORE_VM,
  RUNNING,
  SAVE_VM,
  SHUTDOWN,
  SUSPENDED,
  WATCHDOG,
  GUEST_PANICKED,
  COLO;

  /** The name QMP uses, e.g. {@code guest-panicked}. */
  public String qapiName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The state called {@code qapiName} in QMP. */
  public static RunState fromQapi(String qapiName) {
    return valueOf(qapiName.toUpperCase(Locale.ROOT).replace('-', '_'));
  }
}
