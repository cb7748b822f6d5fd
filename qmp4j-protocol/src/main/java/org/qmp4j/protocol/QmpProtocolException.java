package org.qmp4j.protocol;

/**
 * The bytes received do not form a QMP message: malformed JSON, a JSON value that is not a QMP
 * message, or a violated limit. {@link #getMessage()} is the text QEMU uses where QEMU has one (for
 * example {@code "JSON parse error, expecting value"}).
 *
 * <p>Readers report these through {@link QmpReader.Handler#onError} rather than throwing them; they
 * carry no stack trace because bad input can arrive by the gigabyte.
 */
public class QmpProtocolException extends QmpCommunicationException {
  private static final long serialVersionUID = 1L;

  public QmpProtocolException(String message) {
    super(message, null, false);
  }

  public QmpProtocolException(String message, Throwable cause) {
    super(message, cause, false);
  }
}
