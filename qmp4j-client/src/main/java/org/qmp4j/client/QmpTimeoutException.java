package org.qmp4j.client;

import java.time.Duration;
import org.qmp4j.protocol.QmpCommunicationException;

/**
 * Something the client waited for did not happen in time: a command's reply, the event awaited
 * after a command, a guest agent's answer, a heartbeat.
 *
 * <p>A command that timed out may still run on the peer: QMP cannot recall a request. Its reply, if
 * it comes later, is discarded; it is never delivered to another caller.
 */
public class QmpTimeoutException extends QmpCommunicationException {
  private static final long serialVersionUID = 1L;

  private final Duration timeout;

  public QmpTimeoutException(String message, Duration timeout) {
    super(message);
    this.timeout = timeout;
  }

  /** How long was waited. */
  public Duration timeout() {
    return timeout;
  }
}
