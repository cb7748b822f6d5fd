package org.qmp4j.server;

/**
 * How a monitor (a listener or an adopted connection) talks to its clients, like QEMU's {@code -mon
 * chardev=...,mode=control,pretty=on}.
 *
 * @param pretty write replies and events in QEMU's pretty form
 * @param offerOob offer the {@code oob} capability in the greeting (QEMU does on every socket)
 */
public record MonitorOptions(boolean pretty, boolean offerOob) {
  /** Compact output, {@code oob} offered: what QEMU does for {@code -qmp unix:...}. */
  public static final MonitorOptions DEFAULT = new MonitorOptions(false, true);

  /** Pretty output, {@code oob} offered. */
  public static final MonitorOptions PRETTY = new MonitorOptions(true, true);
}
