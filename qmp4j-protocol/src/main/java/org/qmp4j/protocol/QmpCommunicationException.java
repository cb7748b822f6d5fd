package org.qmp4j.protocol;

/** We could not talk to the peer: the connection, the bytes or the clock failed us. */
public class QmpCommunicationException extends QmpException {
  private static final long serialVersionUID = 1L;

  public QmpCommunicationException(String message) {
    super(message);
  }

  public QmpCommunicationException(String message, Throwable cause) {
    super(message, cause);
  }

  protected QmpCommunicationException(String message, Throwable cause, boolean writableStackTrace) {
    super(message, cause, writableStackTrace);
  }
}
