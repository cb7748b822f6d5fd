package org.qmp4j.schema;

import java.util.List;
import java.util.Objects;

/**
 * A type of a {@link QapiSchema}: one of QAPI's five meta-types as {@code query-qmp-schema}
 * describes them ({@code builtin}, {@code enum}, {@code array}, {@code object}, {@code alternate}).
 *
 * <p>Types refer to each other by name. A name is either a builtin ({@code str}, {@code int}, …),
 * the name of a declared enum, object or alternate, or {@code [T]} for an array of {@code T}. In a
 * schema read from QEMU's introspection the declared names are QEMU's masked numbers ({@code "172"}
 * and the like).
 *
 * <p>All implementations are immutable records; lists are unmodifiable.
 */
public sealed interface SchemaType {

  /** The type's name as other types refer to it. */
  String name();

  /** The type's QAPI features (e.g. {@code deprecated}, {@code unstable}); often empty. */
  List<String> features();

  /**
   * A builtin type. Besides the names introspection shows ({@code str}, {@code int}, {@code
   * number}, {@code bool}, {@code null}, {@code any}), a schema knows QAPI's sized integers {@code
   * int8}, {@code int16}, {@code int32}, {@code int64}, {@code uint8}, {@code uint16}, {@code
   * uint32}, {@code uint64} and {@code size}; introspection prints every one of them as {@code
   * int}.
   *
   * @param name the builtin's name
   * @param jsonType the JSON type as introspection names it: {@code string}, {@code int}, {@code
   *     number}, {@code boolean}, {@code null} or {@code value}
   */
  record BuiltinType(String name, String jsonType) implements SchemaType {
    public BuiltinType {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(jsonType, "jsonType");
    }

    @Override
    public List<String> features() {
      return List.of();
    }

    /** Whether this is one of the integer builtins (json-type {@code int}). */
    public boolean isInteger() {
      return jsonType.equals("int");
    }
  }

  /**
   * An enumeration of strings.
   *
   * @param name the enum's name
   * @param values the values in declaration order
   * @param features the enum's features
   */
  record EnumType(String name, List<EnumValue> values, List<String> features)
      implements SchemaType {
    public EnumType {
      Objects.requireNonNull(name, "name");
      values = List.copyOf(values);
      features = List.copyOf(features);
    }

    /** Whether {@code value} is one of this enum's values. */
    public boolean hasValue(String value) {
      for (EnumValue v : values) {
        if (v.name().equals(value)) {
          return true;
        }
      }
      return false;
    }
  }

  /**
   * One value of an {@link EnumType}.
   *
   * @param name the value
   * @param features the value's features (e.g. {@code deprecated})
   */
  record EnumValue(String name, List<String> features) {
    public EnumValue {
      Objects.requireNonNull(name, "name");
      features = List.copyOf(features);
    }
  }

  /**
   * A list of elements of one type; its name is always {@code "[" + elementType + "]"}.
   *
   * @param name the array's name
   * @param elementType the name of the element type
   */
  record ArrayType(String name, String elementType) implements SchemaType {
    public ArrayType {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(elementType, "elementType");
    }

    @Override
    public List<String> features() {
      return List.of();
    }
  }

  /**
   * A JSON object with named members, possibly a (flat) union: then {@code tag} names the member
   * (an enum) whose value selects one of the {@code variants}, whose members are added.
   *
   * @param name the object's name
   * @param base the name of the base type whose members come first, or {@code null} (always {@code
   *     null} in a schema read from introspection, which flattens bases)
   * @param members all members in the order QEMU visits them: the base's members first, then the
   *     object's own
   * @param tag the name of the discriminator member of a union, or {@code null}
   * @param variants for a union, the branch for every value of the tag's enum (QAPI gives values
   *     without an explicit branch the empty object {@code q_empty}); empty otherwise
   * @param features the object's features
   */
  record ObjectType(
      String name,
      String base,
      List<Member> members,
      String tag,
      List<Variant> variants,
      List<String> features)
      implements SchemaType {
    public ObjectType {
      Objects.requireNonNull(name, "name");
      members = List.copyOf(members);
      variants = List.copyOf(variants);
      features = List.copyOf(features);
    }

    /** The member called {@code name}, or {@code null}. */
    public Member member(String name) {
      for (Member m : members) {
        if (m.name().equals(name)) {
          return m;
        }
      }
      return null;
    }

    /** The variant for tag value {@code value}, or {@code null}. */
    public Variant variant(String value) {
      for (Variant v : variants) {
        if (v.name().equals(value)) {
          return v;
        }
      }
      return null;
    }
  }

  /**
   * A member of an {@link ObjectType}.
   *
   * @param name the member's name (the JSON key)
   * @param type the name of the member's type
   * @param optional whether the member may be absent (introspection: {@code "default": null})
   * @param features the member's features
   */
  record Member(String name, String type, boolean optional, List<String> features) {
    public Member {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(type, "type");
      features = List.copyOf(features);
    }
  }

  /**
   * A branch of a union.
   *
   * @param name the tag value that selects this branch (introspection calls it {@code case})
   * @param type the name of the object type whose members the branch adds
   */
  record Variant(String name, String type) {
    public Variant {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(type, "type");
    }
  }

  /**
   * A value that may take one of several types, told apart by their JSON type (string, number,
   * boolean, null, object, array); at most one branch per JSON type.
   *
   * @param name the alternate's name (QEMU prints it in errors: {@code expected: StrOrNull})
   * @param types the names of the branch types in declaration order
   * @param features the alternate's features
   */
  record AlternateType(String name, List<String> types, List<String> features)
      implements SchemaType {
    public AlternateType {
      Objects.requireNonNull(name, "name");
      types = List.copyOf(types);
      features = List.copyOf(features);
    }
  }
}
