package org.qmp4j.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * The peer answered a command with an error reply. Carries the error class, the description, the id
 * of the request (if any) and the command that failed (if known).
 *
 * <p>Use {@link #of} to get the subtype matching the error class; servers throw these from command
 * handlers to produce error replies with the same class and text.
 */
public class QmpErrorException extends QmpException {
  private static final long serialVersionUID = 1L;

  /** The {@code GenericError} class name. */
  public static final String GENERIC_ERROR = "GenericError";

  /** The {@code CommandNotFound} class name. */
  public static final String COMMAND_NOT_FOUND = "CommandNotFound";

  /** The {@code DeviceNotActive} class name. */
  public static final String DEVICE_NOT_ACTIVE = "DeviceNotActive";

  /** The {@code DeviceNotFound} class name. */
  public static final String DEVICE_NOT_FOUND = "DeviceNotFound";

  /** The {@code KVMMissingCap} class name. */
  public static final String KVM_MISSING_CAP = "KVMMissingCap";

  private final String errorClass;
  private final String desc;
  private final transient JsonNode id;
  private final String command;

  public QmpErrorException(String errorClass, String desc) {
    this(errorClass, desc, null, null);
  }

  public QmpErrorException(String errorClass, String desc, JsonNode id, String command) {
    super(format(errorClass, desc, command));
    this.errorClass = Objects.requireNonNull(errorClass, "errorClass");
    this.desc = Objects.requireNonNull(desc, "desc");
    this.id = id;
    this.command = command;
  }

  private static String format(String errorClass, String desc, String command) {
    return command == null ? errorClass + ": " + desc : command + ": " + errorClass + ": " + desc;
  }

  /** The error class, e.g. {@code "GenericError"}. */
  public String errorClass() {
    return errorClass;
  }

  /** The human-readable description, exactly as the peer sent it. */
  public String desc() {
    return desc;
  }

  /** The id of the failed request, or {@code null} if the reply carried none. */
  public JsonNode id() {
    return id;
  }

  /** The command that failed, or {@code null} if unknown. */
  public String command() {
    return command;
  }

  /** The exception of the subtype that matches {@code errorClass}. */
  public static QmpErrorException of(String errorClass, String desc, JsonNode id, String command) {
    switch (errorClass) {
      case GENERIC_ERROR:
        return new GenericErrorException(desc, id, command);
      case COMMAND_NOT_FOUND:
        return new CommandNotFoundException(desc, id, command);
      case DEVICE_NOT_ACTIVE:
        return new DeviceNotActiveException(desc, id, command);
      case DEVICE_NOT_FOUND:
        return new DeviceNotFoundException(desc, id, command);
      case KVM_MISSING_CAP:
        return new KvmMissingCapException(desc, id, command);
      default:
        return new QmpErrorException(errorClass, desc, id, command);
    }
  }

  /** Shorthand for a {@code GenericError} with this text, as servers raise most errors. */
  public static QmpErrorException generic(String desc) {
    return new GenericErrorException(desc, null, null);
  }

  /** {@code GenericError}: everything that has no class of its own. */
  public static final class GenericErrorException extends QmpErrorException {
    private static final long serialVersionUID = 1L;

    public GenericErrorException(String desc, JsonNode id, String command) {
      super(GENERIC_ERROR, desc, id, command);
    }
  }

  /** {@code CommandNotFound}: unknown, disabled, or not yet available command. */
  public static final class CommandNotFoundException extends QmpErrorException {
    private static final long serialVersionUID = 1L;

    public CommandNotFoundException(String desc, JsonNode id, String command) {
      super(COMMAND_NOT_FOUND, desc, id, command);
    }
  }

  /** {@code DeviceNotActive}: e.g. no balloon device, no such block job. */
  public static final class DeviceNotActiveException extends QmpErrorException {
    private static final long serialVersionUID = 1L;

    public DeviceNotActiveException(String desc, JsonNode id, String command) {
      super(DEVICE_NOT_ACTIVE, desc, id, command);
    }
  }

  /** {@code DeviceNotFound}: a named device, class or instance does not exist. */
  public static final class DeviceNotFoundException extends QmpErrorException {
    private static final long serialVersionUID = 1L;

    public DeviceNotFoundException(String desc, JsonNode id, String command) {
      super(DEVICE_NOT_FOUND, desc, id, command);
    }
  }

  /** {@code KVMMissingCap}: KVM lacks a capability the command needs. */
  public static final class KvmMissingCapException extends QmpErrorException {
    private static final long serialVersionUID = 1L;

    public KvmMissingCapException(String desc, JsonNode id, String command) {
      super(KVM_MISSING_CAP, desc, id, command);
    }
  }
}
