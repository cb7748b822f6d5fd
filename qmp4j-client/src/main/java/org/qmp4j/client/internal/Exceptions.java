package org.qmp4j.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Duration;
import org.qmp4j.client.GuestExecTimeoutException;
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

  static QmpTimeoutException commandTimeout(
      String command, long id, Duration timeout, boolean written) {
    return new QmpTimeoutException(
        command
            + ": no reply within "
            + human(timeout)
            + " (request id "
            + id
            + (written
                ? ")"
                : ", not yet written when it timed out: it waited behind other commands)"),
        timeout,
        command,
        LongNode.valueOf(id));
  }

  static QmpTimeoutException eventTimeout(String command, Object filter, Duration timeout) {
    return new QmpTimeoutException(
        command + ": the awaited event (" + filter + ") did not arrive within " + human(timeout),
        timeout,
        command,
        null);
  }

  /** A retried query ran out of time; {@code id}: its last attempt's, or null if none was sent. */
  static QmpTimeoutException retryTimeout(
      String command, JsonNode id, Duration timeout, boolean resent) {
    return new QmpTimeoutException(
        command
            + ": no reply within "
            + human(timeout)
            + (resent
                ? " (sent again after a reconnect)"
                : " (the connection was lost and is not back yet)"),
        timeout,
        command,
        id);
  }

  /** A guest agent call ran out of time; {@code id} null for a sync. */
  static QmpTimeoutException agentTimeout(
      String message, String command, String id, Duration timeout) {
    return new QmpTimeoutException(
        message, timeout, command, id == null ? null : TextNode.valueOf(id));
  }

  static GuestExecTimeoutException execTimeout(String path, long pid, Duration timeout) {
    return new GuestExecTimeoutException(
        path,
        pid,
        timeout,
        path
            + " (pid "
            + pid
            + ") had not exited after "
            + human(timeout)
            + "; it is still running in the guest");
  }

  static QmpConnectionLostException lost(String address, String what, Throwable cause) {
    return new QmpConnectionLostException(address, what, cause);
  }

  /**
   * {@code cause} as a pending command fails with it: a connection-lost exception whose {@link
   * QmpConnectionLostException#commandSent()} is {@code sent} (a copy with the same message, cause
   * and stack if it differs); any other exception as it is.
   */
  static Throwable forCommand(Throwable cause, boolean sent) {
    if (!(cause instanceof QmpConnectionLostException)) {
      return cause;
    }
    QmpConnectionLostException e = (QmpConnectionLostException) cause;
    if (e.commandSent() == sent) {
      return e;
    }
    QmpConnectionLostException copy =
        new QmpConnectionLostException(e.address(), e.getMessage(), e.getCause(), sent);
    copy.setStackTrace(e.getStackTrace());
    return copy;
  }

  static QmpMessageTooLargeException tooLarge(long limit) {
    return new QmpMessageTooLargeException(limit);
  }

  static String human(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
  }
}
