package org.qmp4j.server;

/**
 * How a monitor (a listener or an adopted connection) talks to its clients, like QEMU's {@code -mon
 * chardev=...,mode=control,pretty=on}.
 *
 * @param pretty write replies and events in QEMU's pretty form
 * @param offerOob offer the {@code oob} capability in the greeting (QEMU does on every socket)
 * @param singleClient a listener is one monitor serving one client at a time, exactly as QEMU's
 *     socket chardev: while a client is connected, later clients wait in the listen backlog
 *     (connected, but not greeted) until it leaves; the monitor's running in-band command survives
 *     its client, and its reply goes to the next client, whose in-band requests wait for it (and,
 *     if the departed client had not enabled {@code oob}, whose input is not read until then). Off
 *     by default: every client of a listener gets a monitor of its own, with its own greeting and
 *     negotiation, and any number of clients are served at once (which QEMU cannot do). A single
 *     client cannot tell the two apart; only a second or a reconnecting client can. Has no effect
 *     on adopted channels and streams, which are a monitor each anyway.
 * @param guestAgent speak the guest agent's dialect (see {@link #GUEST_AGENT}) rather than QMP;
 *     {@code pretty} and {@code offerOob} are then ignored
 */
public record MonitorOptions(
    boolean pretty, boolean offerOob, boolean singleClient, boolean guestAgent) {
  /** Compact output, {@code oob} offered, any number of clients per listener. */
  public static final MonitorOptions DEFAULT = new MonitorOptions(false, true, false);

  /** Pretty output, {@code oob} offered, any number of clients per listener. */
  public static final MonitorOptions PRETTY = new MonitorOptions(true, true, false);

  /** As QEMU's {@code -qmp unix:...,server=on}: compact output, one client at a time. */
  public static final MonitorOptions QEMU = new MonitorOptions(false, true, true);

  /**
   * The guest agent's dialect, as {@code qemu-ga} 7.2 speaks it on its one channel: no greeting and
   * no negotiation ({@code qmp_capabilities} is an unknown command and {@code exec-oob} an
   * unexpected member), no events, every message ending in a bare LF, the reply to {@code
   * guest-sync-delimited} preceded by one 0xFF byte, no reply to a command the server declares
   * without success response (see {@link QmpServer.Builder#noSuccessResponse}). A listener with
   * these options serves one client at a time and keeps one parser for all of them, so that a
   * partial request left by a client is still in the parser when the next one speaks, as with
   * {@code qemu-ga}.
   */
  public static final MonitorOptions GUEST_AGENT = new MonitorOptions(false, false, true, true);

  /** A QMP monitor ({@code guestAgent} false). */
  public MonitorOptions(boolean pretty, boolean offerOob, boolean singleClient) {
    this(pretty, offerOob, singleClient, false);
  }

  /** Options with {@code pretty} and {@code offerOob} set, any number of clients per listener. */
  public MonitorOptions(boolean pretty, boolean offerOob) {
    this(pretty, offerOob, false);
  }

  /** These options, serving one client at a time ({@code true}) or any number at once. */
  public MonitorOptions withSingleClient(boolean single) {
    return new MonitorOptions(pretty, offerOob, single, guestAgent);
  }
}
