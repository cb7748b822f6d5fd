package org.qmp4j.schema;

import java.util.List;
import java.util.Objects;

/**
 * A command of a {@link QapiSchema}.
 *
 * @param name the command's name, e.g. {@code query-status}
 * @param argType the name of the object type of its arguments; {@link QapiSchema#EMPTY_OBJECT} when
 *     it takes none
 * @param retType the name of the type of its return value; {@link QapiSchema#EMPTY_OBJECT} when it
 *     returns nothing (the reply is then {@code {"return": {}}})
 * @param allowOob whether the command may be run out-of-band with {@code exec-oob}
 * @param features the command's features (e.g. {@code deprecated}, {@code unstable})
 * @param freeForm whether the command's handler takes its arguments as a free-form object that the
 *     schema does not check (QAPI's {@code 'gen': false}; in QEMU 7.2 only {@code device_add}).
 *     {@link QapiSchema#validateArguments} accepts any object for such a command.
 */
public record SchemaCommand(
    String name,
    String argType,
    String retType,
    boolean allowOob,
    List<String> features,
    boolean freeForm) {
  public SchemaCommand {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(argType, "argType");
    Objects.requireNonNull(retType, "retType");
    features = List.copyOf(features);
  }
}
