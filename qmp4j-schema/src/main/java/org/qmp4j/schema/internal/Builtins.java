package org.qmp4j.schema.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.qmp4j.schema.SchemaType;
import org.qmp4j.schema.SchemaType.BuiltinType;
import org.qmp4j.schema.SchemaType.EnumType;
import org.qmp4j.schema.SchemaType.EnumValue;
import org.qmp4j.schema.SchemaType.ObjectType;

/** The types every QAPI schema has without declaring them. */
public final class Builtins {
  /** The name of QAPI's empty object type, used for commands without arguments or return value. */
  public static final String EMPTY_OBJECT = "q_empty";

  private static final Map<String, SchemaType> TYPES = new LinkedHashMap<>();

  static {
    builtin("str", "string");
    builtin("number", "number");
    for (String n :
        List.of(
            "int", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
            "size")) {
      builtin(n, "int");
    }
    builtin("bool", "boolean");
    builtin("null", "null");
    builtin("any", "value");
    TYPES.put(
        "QType",
        new EnumType(
            "QType",
            List.of("none", "qnull", "qnum", "qstring", "qdict", "qlist", "qbool").stream()
                .map(v -> new EnumValue(v, List.of()))
                .toList(),
            List.of()));
    TYPES.put(
        EMPTY_OBJECT, new ObjectType(EMPTY_OBJECT, null, List.of(), null, List.of(), List.of()));
  }

  private Builtins() {}

  private static void builtin(String name, String jsonType) {
    TYPES.put(name, new BuiltinType(name, jsonType));
  }

  /** The predefined type called {@code name}, or {@code null}. */
  public static SchemaType get(String name) {
    return TYPES.get(name);
  }

  /** All predefined types. */
  public static Map<String, SchemaType> all() {
    return TYPES;
  }
}
