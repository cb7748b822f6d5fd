package org.qmp4j.protocol;

/**
 * Root of every exception qmp4j throws. Unchecked, in two families:
 *
 * <ul>
 *   <li>{@link QmpErrorException}: the peer answered with an error reply;
 *   <li>{@link QmpCommunicationException}: we could not talk (connection lost, timeout, protocol
 *       violation, message too large).
 * </ul>
 */
public abstract class QmpException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  protected QmpException(String message) {
    super(message);
  }

  protected QmpException(String message, Throwable cause) {
    super(message, cause);
  }

  /** For exceptions that are expected in bulk (bad input) and need no stack trace. */
  protected QmpException(String message, Throwable cause, boolean writableStackTrace) {
    super(message, cause, false, writableStackTrace);
  }
}
