package org.qmp4j.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real {@value Qemu#GUEST_AGENT} for one test, listening on a unix socket in a temporary
 * directory, without a guest: {@code qemu-ga -m unix-listen -p DIR/qga.sock -t DIR/state
 * EXTRA-ARGS}. {@link #close()} kills it and deletes the directory.
 *
 * <p>Starting calls {@link Qemu#assumeGuestAgent()}: without qemu-ga the test is skipped, or fails
 * under {@code CI=true}.
 */
public final class GuestAgentProcess implements AutoCloseable {

  private final ChildProcess child;
  private final Path socket;

  private GuestAgentProcess(ChildProcess child, Path socket) {
    this.child = child;
    this.socket = socket;
  }

  /**
   * Starts qemu-ga with extra arguments and waits (up to {@link
   * QemuProcess#DEFAULT_STARTUP_TIMEOUT}) for its socket.
   *
   * @throws IllegalStateException if it exits or times out first (message with its output)
   */
  public static GuestAgentProcess start(String... extraArgs) {
    Path ga = Qemu.assumeGuestAgent();
    Path dir = ChildProcess.newDirectory("qmp4j-qga");
    Path socket = dir.resolve("qga.sock");
    Path state = dir.resolve("state");
    try {
      Files.createDirectory(state);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> cmd = new ArrayList<>();
    cmd.addAll(
        List.of(
            ga.toString(), "-m", "unix-listen", "-p", socket.toString(), "-t", state.toString()));
    cmd.addAll(List.of(extraArgs));
    ChildProcess child =
        ChildProcess.start(
            dir, "qemu-ga.log", cmd, List.of(socket), QemuProcess.DEFAULT_STARTUP_TIMEOUT);
    return new GuestAgentProcess(child, socket);
  }

  /** The agent's socket. */
  public Path socket() {
    return socket;
  }

  /** The temporary directory the agent runs in; deleted on close. */
  public Path directory() {
    return child.directory();
  }

  /** The qemu-ga process. */
  public Process process() {
    return child.process();
  }

  /** What qemu-ga printed so far. */
  public String output() {
    return child.output();
  }

  /** Kills qemu-ga and deletes its directory. */
  @Override
  public void close() {
    child.close();
  }
}
