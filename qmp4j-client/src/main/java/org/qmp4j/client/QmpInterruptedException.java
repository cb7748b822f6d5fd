package org.qmp4j.client;

import org.qmp4j.protocol.QmpCommunicationException;

/**
 * A blocking call was interrupted while it waited. The thread's interrupt flag is set again when
 * this is thrown; the command it waited for is cancelled (its reply will be discarded).
 */
public class QmpInterruptedException extends QmpCommunicationException {
  private static final long serialVersionUID = 1L;

  public QmpInterruptedException(String message, InterruptedException cause) {
    super(message, cause);
  }
}
