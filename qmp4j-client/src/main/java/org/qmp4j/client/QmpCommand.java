package org.qmp4j.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileDescriptor;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.qmp4j.client.internal.CommandAccess;
import org.qmp4j.protocol.QmpJson;

/**
 * One command to execute: its name, its arguments, and how to send it (in-band or out-of-band, with
 * a timeout of its own, with file descriptors attached). Immutable and thread-safe: the {@code
 * with*} methods return a new command; the arguments are copied in when the command is made and
 * {@link #arguments()} hands out a copy, so nothing done to an object given or returned changes the
 * command. The client sends the command's own arguments without copying them again.
 *
 * <pre>{@code
 * QmpCommand cmd = QmpCommand.of("getfd", Map.of("fdname", "disk0"))
 *     .withFds(fdOfTheFile)
 *     .withTimeout(Duration.ofSeconds(5));
 * client.executeAsync(cmd);
 * }</pre>
 */
public final class QmpCommand {

  /** A timeout meaning "wait as long as it takes": {@code withTimeout(NO_TIMEOUT)}. */
  public static final Duration NO_TIMEOUT = Duration.ofSeconds(Long.MAX_VALUE, 999_999_999);

  private static final FileDescriptor[] NO_FDS = new FileDescriptor[0];

  static {
    CommandAccess.register(c -> c.arguments);
  }

  private final String name;
  private final ObjectNode arguments;
  private final boolean oob;
  private final Duration timeout;
  private final FileDescriptor[] fds;

  private QmpCommand(
      String name, ObjectNode arguments, boolean oob, Duration timeout, FileDescriptor[] fds) {
    this.name = name;
    this.arguments = arguments;
    this.oob = oob;
    this.timeout = timeout;
    this.fds = fds;
  }

  /** A command without arguments. */
  public static QmpCommand of(String name) {
    return of(name, null);
  }

  /**
   * A command with arguments: a Jackson {@code ObjectNode}, a {@code Map}, a record or any object
   * Jackson serialises to a JSON object ({@code null} properties are left out, as QMP spells
   * "absent" by omission), or {@code null} for none.
   *
   * @throws IllegalArgumentException if {@code arguments} does not serialise to a JSON object
   */
  public static QmpCommand of(String name, Object arguments) {
    Objects.requireNonNull(name, "name");
    ObjectNode args = null;
    if (arguments != null) {
      args =
          arguments instanceof ObjectNode
              ? ((ObjectNode) arguments).deepCopy()
              : QmpJson.toObjectNode(arguments);
    }
    return new QmpCommand(name, args, false, null, NO_FDS);
  }

  /** The command's name, e.g. {@code "query-status"}. */
  public String name() {
    return name;
  }

  /**
   * A copy of the arguments object, or {@code null} if the command has none. Each call makes a new
   * copy (deep): changing it does not change the command; use {@link #withArgument} for a command
   * with other arguments.
   */
  public ObjectNode arguments() {
    return arguments == null ? null : arguments.deepCopy();
  }

  /** Whether the command is sent with {@code exec-oob} (out-of-band). */
  public boolean oob() {
    return oob;
  }

  /** This command's own timeout; empty means the client's {@code commandTimeout}. */
  public Optional<Duration> timeout() {
    return Optional.ofNullable(timeout);
  }

  /** The descriptors sent with the command (SCM_RIGHTS), in order; usually empty. */
  public List<FileDescriptor> fds() {
    return List.of(fds);
  }

  FileDescriptor[] fdArray() {
    return fds;
  }

  /** This command with one more argument (replacing one of the same name). */
  public QmpCommand withArgument(String key, Object value) {
    ObjectNode args = arguments == null ? QmpJson.objectNode() : arguments.deepCopy();
    args.set(key, QmpJson.toNode(value));
    return new QmpCommand(name, args, oob, timeout, fds);
  }

  /**
   * This command sent out-of-band ({@code exec-oob}): QEMU runs it at once, ahead of queued in-band
   * commands, if the command allows it and OOB was negotiated.
   */
  public QmpCommand withOob(boolean oob) {
    return new QmpCommand(name, arguments, oob, timeout, fds);
  }

  /**
   * This command with a timeout of its own ({@link #NO_TIMEOUT} for none). When it passes, the
   * command's future fails with {@link QmpTimeoutException}; a reply that arrives later is
   * discarded.
   */
  public QmpCommand withTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    return new QmpCommand(name, arguments, oob, timeout, fds);
  }

  /**
   * This command with file descriptors attached: they travel in the same {@code sendmsg} as the
   * command's first byte, where QEMU's {@code getfd}, {@code add-fd} and other fd-taking commands
   * look for them. Needs a unix socket connection with descriptor passing (see {@link
   * QmpClient.Builder#descriptorPassing(boolean)}). The descriptors stay open on this side.
   */
  public QmpCommand withFds(FileDescriptor... fds) {
    for (FileDescriptor fd : fds) {
      Objects.requireNonNull(fd, "fd");
    }
    return new QmpCommand(name, arguments, oob, timeout, fds.clone());
  }

  @Override
  public String toString() {
    return (oob ? "exec-oob " : "execute ")
        + name
        + (arguments == null ? "" : " " + arguments)
        + (fds.length == 0 ? "" : " with " + fds.length + " fd(s)");
  }
}
