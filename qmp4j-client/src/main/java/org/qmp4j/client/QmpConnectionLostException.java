package org.qmp4j.client;

import org.qmp4j.protocol.QmpConnectionException;

/**
 * The connection went away while a command was pending or when one was submitted: the peer closed
 * it, it broke, the client was closed, the peer stopped answering heartbeats, or the client is
 * between two connections while reconnecting.
 *
 * <p>A command failed with this exception may or may not have run on the peer. The client never
 * sends it again by itself.
 */
public class QmpConnectionLostException extends QmpConnectionException {
  private static final long serialVersionUID = 1L;

  public QmpConnectionLostException(String address, String message, Throwable cause) {
    super(address, message, cause);
  }
}
