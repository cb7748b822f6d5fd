package org.qmp4j.protocol;

/**
 * A message from the peer exceeded the reader's maximum message size. The reader has skipped the
 * rest of that message and is in sync for the next one.
 */
public final class QmpMessageTooLargeException extends QmpProtocolException {
  private static final long serialVersionUID = 1L;

  private final long limit;

  public QmpMessageTooLargeException(long limit) {
    super("QMP message exceeds the maximum size of " + limit + " bytes");
    this.limit = limit;
  }

  /** The configured maximum, in bytes. */
  public long limit() {
    return limit;
  }
}
