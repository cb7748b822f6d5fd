package org.qmp4j.client;

import java.time.Duration;

/**
 * A program started by {@link GuestAgentClient#exec} had not exited when the wait ran out. It keeps
 * running in the guest: {@link #pid()} is its process id there, to ask about it later with {@code
 * guest-exec-status} or to end it. The agent of QEMU 7.2 has no command to kill a process; run
 * {@code kill} through the agent instead:
 *
 * <pre>{@code
 * try {
 *   ga.exec(Duration.ofSeconds(10), "/usr/bin/slow-tool");
 * } catch (GuestExecTimeoutException e) {
 *   ga.exec("/bin/kill", "-KILL", Long.toString(e.pid()));
 * }
 * }</pre>
 *
 * <p>{@link #command()} is {@code "guest-exec"}, {@link #id()} {@code null}.
 */
public class GuestExecTimeoutException extends QmpTimeoutException {
  private static final long serialVersionUID = 1L;

  private final String path;
  private final long pid;

  /**
   * @param path the program that was started
   * @param pid its process id in the guest, as {@code guest-exec} returned it
   * @param timeout how long was waited for it to exit
   * @param message the whole message
   */
  public GuestExecTimeoutException(String path, long pid, Duration timeout, String message) {
    super(message, timeout, "guest-exec", null);
    this.path = path;
    this.pid = pid;
  }

  /** The program's path, as given to {@code exec}. */
  public String path() {
    return path;
  }

  /** The process id in the guest of the program that is still running. */
  public long pid() {
    return pid;
  }
}
