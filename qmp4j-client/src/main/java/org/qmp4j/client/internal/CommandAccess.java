package org.qmp4j.client.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.function.Function;
import org.qmp4j.client.QmpCommand;

/**
 * The client's way to a {@link QmpCommand}'s own arguments object, which the public {@link
 * QmpCommand#arguments()} only hands out as a copy: sending reads it as it is, without copying.
 * Internal; {@link QmpCommand} registers the accessor when its class is initialised, which is
 * before any command exists.
 */
public final class CommandAccess {
  private static volatile Function<QmpCommand, ObjectNode> arguments;

  private CommandAccess() {}

  /** Called once, by {@link QmpCommand}'s static initialiser. */
  public static void register(Function<QmpCommand, ObjectNode> accessor) {
    synchronized (CommandAccess.class) {
      if (arguments != null) {
        throw new IllegalStateException("already registered");
      }
      arguments = Objects.requireNonNull(accessor, "accessor");
    }
  }

  /** The command's arguments object itself (not a copy), or null; never modify it. */
  static ObjectNode arguments(QmpCommand command) {
    return arguments.apply(command);
  }
}
