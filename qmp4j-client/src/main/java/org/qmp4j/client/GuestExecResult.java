package org.qmp4j.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * How a program run with {@link GuestAgentClient#exec} ended, with its output decoded from base64.
 *
 * <p>A value: {@link #equals} compares the output by content (not by array identity, as a record's
 * default would), and {@link #toString} shows the status, the output lengths and the start of each
 * output as text. The arrays are the record's own: do not modify them.
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

  /** How many characters of each output {@link #toString} shows. */
  private static final int PREVIEW = 60;

  /**
   * @throws NullPointerException if {@code stdout} or {@code stderr} is null (use empty arrays)
   */
  public GuestExecResult {
    Objects.requireNonNull(stdout, "stdout");
    Objects.requireNonNull(stderr, "stderr");
  }

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

  /** Equal if every component is, the outputs compared byte by byte. */
  @Override
  public boolean equals(Object o) {
    return o instanceof GuestExecResult r
        && exitCode == r.exitCode
        && signal == r.signal
        && stdoutTruncated == r.stdoutTruncated
        && stderrTruncated == r.stderrTruncated
        && Arrays.equals(stdout, r.stdout)
        && Arrays.equals(stderr, r.stderr);
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(exitCode, signal, stdoutTruncated, stderrTruncated);
    h = 31 * h + Arrays.hashCode(stdout);
    return 31 * h + Arrays.hashCode(stderr);
  }

  /**
   * E.g. {@code GuestExecResult[exitCode=3, signal=-1, stdout=4 bytes "out\n", stderr=0 bytes]}:
   * each output's length, then its first characters as text (escaped, cut with {@code ...}).
   */
  @Override
  public String toString() {
    return "GuestExecResult[exitCode="
        + exitCode
        + ", signal="
        + signal
        + ", stdout="
        + describe(stdout, stdoutTruncated)
        + ", stderr="
        + describe(stderr, stderrTruncated)
        + "]";
  }

  private static String describe(byte[] bytes, boolean truncated) {
    StringBuilder b = new StringBuilder();
    b.append(bytes.length).append(bytes.length == 1 ? " byte" : " bytes");
    if (truncated) {
      b.append(" (truncated by the agent)");
    }
    if (bytes.length == 0) {
      return b.toString();
    }
    String text = new String(bytes, 0, Math.min(bytes.length, PREVIEW * 4), StandardCharsets.UTF_8);
    b.append(" \"");
    int shown = 0;
    for (int i = 0; i < text.length() && shown < PREVIEW; i++, shown++) {
      char c = text.charAt(i);
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format("\\x%02x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
    if (shown < text.length() || bytes.length > PREVIEW * 4) {
      b.append("...");
    }
    return b.toString();
  }
}
