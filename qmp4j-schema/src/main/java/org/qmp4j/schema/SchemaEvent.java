package org.qmp4j.schema;

import java.util.List;
import java.util.Objects;

/**
 * An event of a {@link QapiSchema}.
 *
 * @param name the event's name, e.g. {@code SHUTDOWN}
 * @param argType the name of the object type of its {@code data}; {@link QapiSchema#EMPTY_OBJECT}
 *     when it has none
 * @param features the event's features
 */
public record SchemaEvent(String name, String argType, List<String> features) {
  public SchemaEvent {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(argType, "argType");
    features = List.copyOf(features);
  }
}
