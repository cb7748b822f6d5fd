package org.qmp4j.client;

import java.nio.charset.StandardCharsets;

/**
 * How a program run with {@link GuestAgentClient#exec} ended, with its output decoded from base64.
 *
 * @param exitCode the exit status if it exited normally, else {@code -1}
 * @param signal the signal that ended it (Linux), or {@code -1}
 * @param stdout what it wrote to standard output (empty unless output was captured)
 * @param stderr what it wrote to standard error
 * @param stdoutTruncated whether the agent cut standard output short (it keeps at most 16 MiB)
 * @param stderrTruncated whether the agent cut standard error short
 */
public record GuestExecResult(
    int exitCode,
    int signal,
    byte[] stdout,
    byte[] stderr,
    boolean stdoutTruncated,
    boolean stderrTruncated) {

  /** Standard output as UTF-8 text. */
  public String stdoutText() {
    return new String(stdout, StandardCharsets.UTF_8);
  }

  /** Standard error as UTF-8 text. */
  public String stderrText() {
    return new String(stderr, StandardCharsets.UTF_8);
  }

  /** Whether it exited normally with status 0. */
  public boolean succeeded() {
    return exitCode == 0 && signal == -1;
  }
}
