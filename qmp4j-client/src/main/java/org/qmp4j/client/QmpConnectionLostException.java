package org.qmp4j.client;

import org.qmp4j.protocol.QmpConnectionException;

/**
 * The connection went away while a command was pending or when one was submitted: the peer closed
 * it, it broke, the client was closed, the peer stopped answering heartbeats, or the client is
 * between two connections while reconnecting.
 *
 * <p>It is a {@link QmpConnectionException}, which is also what a failed {@code connect()} throws:
 * catch {@code QmpConnectionLostException} to handle a connection that was up and went away (a
 * command may be retried once the client is back), catch {@code QmpConnectionException} to handle
 * any trouble with the connection, lost or never made. Both are {@link
 * org.qmp4j.protocol.QmpCommunicationException}s.
 *
 * <p>The client never sends a command failed with this exception again by itself. Whether it may
 * have run on the peer is {@link #commandSent()}:
 *
 * <pre>{@code
 * try {
 *   qmp.execute("device_del", Map.of("id", "nic1"));
 * } catch (QmpConnectionLostException e) {
 *   if (!e.commandSent()) {
 *     // never reached QEMU: safe to send again once the client is CONNECTED
 *   } else {
 *     // may have run: re-read the state (query-pci) before deciding
 *   }
 * }
 * }</pre>
 */
public class QmpConnectionLostException extends QmpConnectionException {
  private static final long serialVersionUID = 1L;

  private final boolean commandSent;

  /** As {@link #QmpConnectionLostException(String, String, Throwable, boolean)}, not sent. */
  public QmpConnectionLostException(String address, String message, Throwable cause) {
    this(address, message, cause, false);
  }

  /**
   * @param address the address in canonical text form, or {@code null}
   * @param message the whole message
   * @param cause the underlying exception, or {@code null}
   * @param commandSent whether the failed command's request had been written to the connection
   */
  public QmpConnectionLostException(
      String address, String message, Throwable cause, boolean commandSent) {
    super(address, message, cause);
    this.commandSent = commandSent;
  }

  /**
   * Whether the failed command's request had been written to the connection (wholly or in part)
   * before it was lost: {@code true} means it may have reached the peer and run, {@code false}
   * means it certainly did not (it was still queued, held back by the in-band window, or submitted
   * while the client was reconnecting or closed), so sending it again cannot run it twice. Always
   * {@code false} when no command was involved (a {@code connect()} that was interrupted or
   * closed).
   */
  public boolean commandSent() {
    return commandSent;
  }
}
