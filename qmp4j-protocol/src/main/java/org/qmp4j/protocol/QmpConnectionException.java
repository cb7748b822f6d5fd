package org.qmp4j.protocol;

/**
 * A connection could not be made, accepted or kept: connect refused or timed out, a listening
 * socket could not be bound, a socket file was in the way.
 *
 * <p>{@link #getMessage()} says what was tried, on which address, and where a likely cause is
 * known, a hint, for example {@code cannot connect to unix:/tmp/x.sock: No such file or directory
 * (is QEMU running with -qmp unix:/tmp/x.sock,server=on?)}. The underlying {@link
 * java.io.IOException}, if any, is the {@linkplain #getCause() cause}.
 */
public class QmpConnectionException extends QmpCommunicationException {
  private static final long serialVersionUID = 1L;

  private final String address;
  private final boolean timedOut;

  /**
   * @param address the address in its canonical text form ({@code unix:/run/x.sock}, {@code
   *     tcp:127.0.0.1:4444}), or {@code null} if there is none
   * @param message the whole message, naming the address and what was tried
   * @param cause the underlying exception, or {@code null}
   * @param timedOut whether the attempt gave up because its time ran out
   */
  public QmpConnectionException(String address, String message, Throwable cause, boolean timedOut) {
    super(message, cause);
    this.address = address;
    this.timedOut = timedOut;
  }

  /** As {@link #QmpConnectionException(String, String, Throwable, boolean)}, not timed out. */
  public QmpConnectionException(String address, String message, Throwable cause) {
    this(address, message, cause, false);
  }

  /**
   * The address that was tried, in canonical text form ({@code unix:PATH}, {@code tcp:HOST:PORT},
   * {@code stdio}), or {@code null} if the failure concerns no particular address.
   */
  public String address() {
    return address;
  }

  /** Whether the attempt failed because its deadline passed (as opposed to being refused). */
  public boolean timedOut() {
    return timedOut;
  }
}
