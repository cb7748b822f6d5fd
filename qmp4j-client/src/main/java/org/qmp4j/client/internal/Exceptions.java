package org.qmp4j.client.internal;

import java.time.Duration;
import org.qmp4j.client.QmpConnectionLostException;
import org.qmp4j.client.QmpTimeoutException;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.protocol.QmpErrorReply;
import org.qmp4j.protocol.QmpMessageTooLargeException;

/** The client's one exception factory: every exception it raises is made here. */
final class Exceptions {
  private Exceptions() {}

  /** The peer's error reply as the exception of its class's subtype. */
  static QmpErrorException errorReply(QmpErrorReply reply, String command) {
    return QmpErrorException.of(reply.errorClass(), reply.desc(), reply.id(), command);
  }

  /** An error found before sending (argument validation), attributed to {@code command}. */
  static QmpErrorException rejected(QmpErrorException e, String command) {
    return QmpErrorException.of(e.errorClass(), e.desc(), null, command);
  }

  static QmpTimeoutException commandTimeout(String command, long id, Duration timeout) {
    return new QmpTimeoutException(
        command + ": no reply within " + human(timeout) + " (request id " + id + ")", timeout);
  }

  static QmpTimeoutException eventTimeout(String command, Object filter, Duration timeout) {
    return new QmpTimeoutException(
        command + ": the awaited event (" + filter + ") did not arrive within " + human(timeout),
        timeout);
  }

  static QmpConnectionLostException lost(String address, String what, Throwable cause) {
    return new QmpConnectionLostException(address, what, cause);
  }

  static QmpMessageTooLargeException tooLarge(long limit) {
    return new QmpMessageTooLargeException(limit);
  }

  static String human(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
  }
}
