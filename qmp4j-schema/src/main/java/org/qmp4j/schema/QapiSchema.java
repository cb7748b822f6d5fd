package org.qmp4j.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.schema.SchemaType.AlternateType;
import org.qmp4j.schema.SchemaType.ArrayType;
import org.qmp4j.schema.SchemaType.EnumType;
import org.qmp4j.schema.SchemaType.EnumValue;
import org.qmp4j.schema.SchemaType.Member;
import org.qmp4j.schema.SchemaType.ObjectType;
import org.qmp4j.schema.SchemaType.Variant;
import org.qmp4j.schema.internal.ArgumentVisitor;
import org.qmp4j.schema.internal.Builtins;
import org.qmp4j.schema.internal.IntrospectionReader;
import org.qmp4j.schema.internal.IntrospectionWriter;
import org.qmp4j.schema.internal.PathQuery;
import org.qmp4j.schema.internal.SchemaChecker;
import org.qmp4j.schema.internal.SchemaIndex;

/**
 * A QAPI schema in its introspection form: the commands, events and types a QMP server offers, as
 * QEMU's {@code query-qmp-schema} describes them.
 *
 * <p>A schema comes from one of two places:
 *
 * <ul>
 *   <li>a server declares it with {@link #newBuilder()}, using real type names and QAPI's precise
 *       builtins ({@code uint8}, {@code size}, …), which matter for validation;
 *   <li>a client reads a peer's {@code query-qmp-schema} reply with {@link
 *       #fromIntrospection(JsonNode)}. Introspection masks type names as numbers and prints every
 *       integer type as {@code int}; a schema read from it keeps what it was given (see {@link
 *       #validateArguments} for what that costs).
 * </ul>
 *
 * <p>It answers three kinds of questions: what does {@code query-qmp-schema} return ({@link
 * #toIntrospection()}), does the peer support a command, argument, enum value or feature ({@link
 * #supports(String)}), and are these arguments valid for this command, with QEMU's error text if
 * not ({@link #validateArguments(String, JsonNode)}).
 *
 * <p>Instances are immutable and safe to share between threads. Methods reject {@code null}
 * arguments with {@link NullPointerException} unless documented otherwise.
 */
public final class QapiSchema {

  /**
   * The name of QAPI's empty object type ({@code q_empty}): the argument type of commands and
   * events without arguments and the return type of commands without a return value.
   */
  public static final String EMPTY_OBJECT = Builtins.EMPTY_OBJECT;

  private final Map<String, SchemaType> types;
  private final List<Record> entities;
  private final Map<String, SchemaCommand> commands;
  private final Map<String, SchemaEvent> events;
  private final List<String> listedTypes;
  private final boolean integersWidened;
  private final SchemaIndex index;

  private QapiSchema(
      Map<String, SchemaType> declared,
      List<Record> entities,
      boolean fromIntrospection,
      boolean integersWidened) {
    Map<String, SchemaType> all = new LinkedHashMap<>(Builtins.all());
    all.putAll(declared);
    this.types = Collections.unmodifiableMap(all);
    this.entities = List.copyOf(entities);
    this.listedTypes = fromIntrospection ? List.copyOf(declared.keySet()) : List.of();
    this.integersWidened = integersWidened;
    Map<String, SchemaCommand> cmds = new LinkedHashMap<>();
    Map<String, SchemaEvent> evts = new LinkedHashMap<>();
    for (Record r : entities) {
      if (r instanceof SchemaCommand c) {
        if (cmds.put(c.name(), c) != null) {
          throw new IllegalStateException("command '" + c.name() + "' is declared twice");
        }
      } else if (r instanceof SchemaEvent e) {
        if (evts.put(e.name(), e) != null) {
          throw new IllegalStateException("event '" + e.name() + "' is declared twice");
        }
      }
    }
    this.commands = Collections.unmodifiableMap(cmds);
    this.events = Collections.unmodifiableMap(evts);
    this.index =
        new SchemaIndex() {
          @Override
          public SchemaType type(String name) {
            return lookup(name);
          }

          @Override
          public SchemaCommand command(String name) {
            return commands.get(name);
          }

          @Override
          public SchemaEvent event(String name) {
            return events.get(name);
          }

          @Override
          public List<Record> entities() {
            return QapiSchema.this.entities;
          }

          @Override
          public List<String> listedTypes() {
            return listedTypes;
          }

          @Override
          public boolean integersWidened() {
            return QapiSchema.this.integersWidened;
          }
        };
    List<String> problems = SchemaChecker.check(index, declared.values());
    if (!problems.isEmpty()) {
      throw new IllegalStateException("invalid schema: " + String.join("; ", problems));
    }
  }

  private SchemaType lookup(String name) {
    SchemaType t = types.get(name);
    if (t == null && name.length() > 2 && name.startsWith("[") && name.endsWith("]")) {
      String element = name.substring(1, name.length() - 1);
      if (lookup(element) != null) {
        return new ArrayType(name, element);
      }
    }
    return t;
  }

  /** A builder for a schema declared in code. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Reads a {@code query-qmp-schema} return value: a JSON array of {@code SchemaInfo} objects, as
   * QEMU sends it (masked type names) or as {@link #toUnmaskedIntrospection()} writes it.
   *
   * <p>Unknown members of {@code SchemaInfo} objects are ignored, so that a newer QEMU's schema can
   * be read; an entry of an unknown meta-type is read as a builtin of JSON type {@code value} (it
   * accepts anything). Builtins keep their names; a builtin called like one of QAPI's integer types
   * ({@code uint8}, {@code size}, …) is that integer type.
   *
   * @throws IllegalArgumentException if {@code schemaInfoList} is not such an array, or the schema
   *     it describes is inconsistent (dangling type references, for instance)
   */
  public static QapiSchema fromIntrospection(JsonNode schemaInfoList) {
    Objects.requireNonNull(schemaInfoList, "schemaInfoList");
    IntrospectionReader.Result r = IntrospectionReader.read(schemaInfoList);
    try {
      return new QapiSchema(r.types(), r.entities(), true, r.masked());
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * What QEMU's {@code query-qmp-schema} returns for this schema: commands and events in
   * declaration order, then every type they use, reached breadth-first in order of first use, each
   * type named by the number of its first use ({@code "0"}, {@code "1"}, …) except builtins (which
   * keep their names) and arrays ({@code "[" + element + "]"}). Every integer type appears as
   * {@code int}, an optional member carries {@code "default": null}, {@code allow-oob} appears only
   * when true, and commands without arguments or return value refer to the empty object type. Types
   * that nothing uses are left out. This follows QEMU's {@code scripts/qapi/introspect.py} and
   * reproduces QEMU 7.2's output exactly (as JSON values; member order within each object is the
   * order QEMU prints, which a server's writer may change).
   *
   * <p>A schema read from introspection keeps what QEMU's listing says about compiled-out code.
   * QEMU's generator numbers and orders types counting uses its build compiles out (commands for
   * other targets), which leaves gaps in the numbers, moves some types forward and lists some types
   * nothing uses (7.2 lists two). So types already named by a number keep it, listed types keep
   * their order, and unused listed types are listed too: {@code
   * fromIntrospection(x).toIntrospection()} equals {@code x}.
   *
   * @return a new array the caller may modify
   */
  public ArrayNode toIntrospection() {
    return IntrospectionWriter.write(index, true);
  }

  /**
   * Like {@link #toIntrospection()}, but with the real type names and precise integer types (e.g.
   * {@code uint8}) instead of numbers and {@code int}. This form loses nothing that validation
   * needs, so {@code fromIntrospection(s.toUnmaskedIntrospection())} validates exactly like {@code
   * s}. It is a qmp4j extension, not what QEMU prints.
   *
   * @return a new array the caller may modify
   */
  public ArrayNode toUnmaskedIntrospection() {
    return IntrospectionWriter.write(index, false);
  }

  /** The command called {@code name}. */
  public Optional<SchemaCommand> command(String name) {
    return Optional.ofNullable(commands.get(Objects.requireNonNull(name, "name")));
  }

  /** The event called {@code name}. */
  public Optional<SchemaEvent> event(String name) {
    return Optional.ofNullable(events.get(Objects.requireNonNull(name, "name")));
  }

  /**
   * The type called {@code name}: a builtin, a declared type, or {@code [T]} for an array of a
   * known type {@code T}.
   */
  public Optional<SchemaType> type(String name) {
    return Optional.ofNullable(lookup(Objects.requireNonNull(name, "name")));
  }

  /** All commands in declaration order. */
  public List<SchemaCommand> commands() {
    return List.copyOf(commands.values());
  }

  /** All events in declaration order. */
  public List<SchemaEvent> events() {
    return List.copyOf(events.values());
  }

  /**
   * Checks {@code arguments} against the command's argument type exactly as QEMU 7.2's generated
   * marshaller and QObject input visitor do, and returns them as the command's handler would see
   * them.
   *
   * <p>On failure the exception carries QEMU's class ({@code GenericError}) and text, for example
   * {@code Parameter 'command-line' is missing}, {@code Invalid parameter type for 'model.name',
   * expected: string}, {@code Parameter 'compress-level' expects uint8_t}, {@code Parameter 'null'
   * does not accept value 'foo'} or {@code Parameter 'x' is unexpected}. Members are visited in
   * schema order (base members, own members, then the selected variant's), so a missing or invalid
   * member is reported before an unexpected one; among several unexpected keys the one QEMU names
   * is computed by reproducing QEMU's QDict and GLib 2.74's hash table iteration order.
   *
   * <p>Coercions, as in QEMU: a JSON number is an integer only if it is written without fraction or
   * exponent ({@code 1.0} is not an integer); {@code int} and the signed types accept integers
   * within their range; {@code uint64} and {@code size} accept any integer from -2<sup>63</sup> to
   * 2<sup>64</sup>-1, negative ones as two's complement (so {@code -1} becomes {@code
   * 18446744073709551615}); {@code number} accepts any number and yields a double; {@code any}
   * accepts every value. Integral numbers outside [-2<sup>63</sup>, 2<sup>64</sup>-1] count as
   * doubles, as QEMU's parser makes them.
   *
   * <p>A schema read from QEMU's masked introspection has lost two things, and validation against
   * it differs from QEMU's where they matter: every integer type reads as {@code int}, so {@code
   * int} there accepts every integer some QAPI integer type accepts (-2<sup>63</sup> to
   * 2<sup>64</sup>-1; out-of-range values for narrower types pass, and a non-integer for a {@code
   * uint64}, {@code size} or unsigned member is reported as {@code expected: integer} where QEMU
   * says {@code expects uint64}); and alternates are named by their number ({@code expected: 334}
   * where QEMU says {@code expected: StrOrNull}). It never refuses arguments QEMU's validation
   * accepts. A schema with real names (declared in code, or read from {@link
   * #toUnmaskedIntrospection()}) has neither gap. Deprecation policies ({@code -compat}) are not
   * applied.
   *
   * @param command the command's name
   * @param arguments the {@code arguments} object of the request, or {@code null} or a missing node
   *     when the request has none
   * @return the arguments after coercion, in schema order; values of type {@code any} are the
   *     caller's nodes, not copies; for a {@linkplain SchemaCommand#freeForm() free-form} command,
   *     {@code arguments} itself (an empty object if absent)
   * @throws QmpErrorException with class {@code GenericError} and QEMU's text if the arguments are
   *     invalid, or class {@code CommandNotFound} ({@code The command X has not been found}) if the
   *     schema has no such command
   * @throws IllegalArgumentException if {@code arguments} is neither an object nor absent (QEMU's
   *     dispatcher rejects such requests before validation)
   */
  public ObjectNode validateArguments(String command, JsonNode arguments) {
    Objects.requireNonNull(command, "command");
    SchemaCommand c = commands.get(command);
    if (c == null) {
      throw new QmpErrorException.CommandNotFoundException(
          "The command " + command + " has not been found", null, command);
    }
    return ArgumentVisitor.validateArguments(index, c, arguments);
  }

  /**
   * Answers a libvirt-style schema path query, as libvirt's {@code virQEMUQAPISchemaPathExists}
   * does. A path is a list of steps separated by {@code /}; the first names a command, an event or
   * a type, and each further step goes into what the previous one selected:
   *
   * <ul>
   *   <li>{@code arg-type}, {@code ret-type}: after a command (or {@code arg-type} after an event),
   *       its argument or return type;
   *   <li>{@code name}: after an object, its member {@code name} (inherited members included);
   *   <li>{@code *name}: the same, but the member must be optional;
   *   <li>{@code +value}: after a union, the branch for tag value {@code value};
   *   <li>{@code ^value}: after an enum, true if it has the value; may be followed by one {@code
   *       $feature} step asking whether that value has the feature;
   *   <li>{@code !json-type}: after a builtin, true if its JSON type is {@code json-type} ({@code
   *       string}, {@code int}, {@code number}, {@code boolean}, {@code null}, {@code value});
   *   <li>{@code $feature}: true if the command, event or type selected has the feature.
   * </ul>
   *
   * Arrays are looked through to their element type; for an alternate each branch is tried in turn
   * and the first that answers decides. A name that does not start with a letter must be preceded
   * by one space (e.g. {@code " __com.example_x"}), since its first character would read as a step
   * modifier. {@code ^}, {@code !} and {@code $} steps must be last (except {@code
   * ^value/$feature}).
   *
   * <p>Examples: {@code "query-status"}, {@code "SHUTDOWN/arg-type/reason"}, {@code
   * "blockdev-add/arg-type/+file/drop-cache"}, {@code
   * "migrate-set-parameters/arg-type/*tls-creds"}, {@code "qmp_capabilities/arg-type/enable/^oob"},
   * {@code "query-cpus-fast/$deprecated"}. Whether a command may run out-of-band is not a path
   * step: see {@link SchemaCommand#allowOob()}.
   *
   * @return true if the path exists; false if it does not, or a step is malformed (a step after a
   *     terminal one, an empty path)
   */
  public boolean supports(String path) {
    Objects.requireNonNull(path, "path");
    return PathQuery.exists(index, path);
  }

  /** Builds a {@link QapiSchema}. Not thread-safe. */
  public static final class Builder {
    private final Map<String, Object> types = new LinkedHashMap<>();
    private final List<Record> entities = new ArrayList<>();

    private Builder() {}

    private void define(String name, Object spec) {
      Objects.requireNonNull(name, "name");
      if (Builtins.get(name) != null || name.startsWith("[")) {
        throw new IllegalArgumentException("'" + name + "' is a predefined type name");
      }
      if (types.putIfAbsent(name, spec) != null) {
        throw new IllegalArgumentException("type '" + name + "' is declared twice");
      }
    }

    /** Declares an enum with these values, no features. */
    public Builder enumType(String name, String... values) {
      return enumType(
          name,
          e -> {
            for (String v : values) {
              e.value(v);
            }
          });
    }

    /** Declares an enum whose values (and features) {@code spec} adds. */
    public Builder enumType(String name, Consumer<EnumBuilder> spec) {
      EnumBuilder b = new EnumBuilder();
      spec.accept(b);
      define(name, new EnumType(name, b.values, b.features));
      return this;
    }

    /**
     * Declares an object type whose members, base, union tag and variants {@code spec} adds. For
     * example {@code object("BlockdevOptions", o -> o.base("BlockdevOptionsBase").tag("driver")
     * .variant("file", "BlockdevOptionsFile"))}.
     */
    public Builder object(String name, Consumer<ObjectBuilder> spec) {
      ObjectBuilder b = new ObjectBuilder();
      spec.accept(b);
      define(name, b.named(name));
      return this;
    }

    /**
     * Declares an alternate with these branch types. Branches must differ in JSON type: at most one
     * of each of string (str or an enum), number (number or an integer type), boolean, null, object
     * and array.
     */
    public Builder alternate(String name, String... types) {
      define(name, new AlternateType(name, List.of(types), List.of()));
      return this;
    }

    /** Declares an alternate with these branch types and features. */
    public Builder alternate(String name, List<String> types, List<String> features) {
      define(name, new AlternateType(name, types, features));
      return this;
    }

    /**
     * Declares a command. {@code argType} and {@code retType} name types; {@code null} means none
     * (the empty object).
     */
    public Builder command(String name, String argType, String retType) {
      return command(
          name,
          c -> {
            if (argType != null) {
              c.args(argType);
            }
            if (retType != null) {
              c.returns(retType);
            }
          });
    }

    /** Declares a command whose arguments, return type, flags and features {@code spec} sets. */
    public Builder command(String name, Consumer<CommandBuilder> spec) {
      Objects.requireNonNull(name, "name");
      CommandBuilder b = new CommandBuilder(name);
      spec.accept(b);
      if (b.inlineArgs != null) {
        define(b.argType, b.inlineArgs.named(b.argType));
      }
      entities.add(
          new SchemaCommand(name, b.argType, b.retType, b.allowOob, b.features, b.freeForm));
      return this;
    }

    /** Declares an event without data. */
    public Builder event(String name) {
      return event(name, e -> {});
    }

    /** Declares an event; {@code argType} names the type of its data, {@code null} for none. */
    public Builder event(String name, String argType) {
      return event(
          name,
          e -> {
            if (argType != null) {
              e.data(argType);
            }
          });
    }

    /** Declares an event whose data type and features {@code spec} sets. */
    public Builder event(String name, Consumer<EventBuilder> spec) {
      Objects.requireNonNull(name, "name");
      EventBuilder b = new EventBuilder(name);
      spec.accept(b);
      if (b.inlineData != null) {
        define(b.argType, b.inlineData.named(b.argType));
      }
      entities.add(new SchemaEvent(name, b.argType, b.features));
      return this;
    }

    /**
     * The schema. Resolves bases (their members come first) and gives every value of a union's tag
     * enum without an explicit variant the empty branch, as QAPI does.
     *
     * @throws IllegalStateException if the schema is inconsistent: a reference to an unknown type,
     *     a base that is not a plain object or a loop of bases, a tag that is not a mandatory enum
     *     member, a variant that is not an object or not a value of the tag's enum, an alternate
     *     with two branches of one JSON type, two members of one name, or a command's argument type
     *     that is not an object
     */
    public QapiSchema build() {
      Map<String, SchemaType> resolved = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : types.entrySet()) {
        resolved.put(e.getKey(), resolve(e.getKey(), new ArrayList<>()));
      }
      return new QapiSchema(resolved, entities, false, false);
    }

    private SchemaType resolve(String name, List<String> seen) {
      Object spec = types.get(name);
      if (!(spec instanceof ObjectSpec o)) {
        return (SchemaType) spec;
      }
      if (seen.contains(name)) {
        throw new IllegalStateException("base types of '" + name + "' form a loop: " + seen);
      }
      seen.add(name);
      List<Member> members = new ArrayList<>();
      if (o.base != null) {
        SchemaType base = types.containsKey(o.base) ? resolve(o.base, seen) : null;
        if (!(base instanceof ObjectType b) || !b.variants().isEmpty()) {
          throw new IllegalStateException(
              "base '" + o.base + "' of '" + name + "' is not a declared object without variants");
        }
        members.addAll(b.members());
      }
      members.addAll(o.members);
      List<Variant> variants = new ArrayList<>(o.variants);
      if (o.tag != null) {
        Member tag = members.stream().filter(m -> m.name().equals(o.tag)).findFirst().orElse(null);
        Object tagType =
            tag == null
                ? null
                : types.containsKey(tag.type()) ? types.get(tag.type()) : Builtins.get(tag.type());
        if (tagType instanceof EnumType en) {
          for (EnumValue v : en.values()) {
            if (variants.stream().noneMatch(x -> x.name().equals(v.name()))) {
              variants.add(new Variant(v.name(), EMPTY_OBJECT));
            }
          }
        }
      }
      seen.remove(name);
      return new ObjectType(name, o.base, members, o.tag, variants, o.features);
    }
  }

  private record ObjectSpec(
      String name,
      String base,
      List<Member> members,
      String tag,
      List<Variant> variants,
      List<String> features) {}

  /** Adds values and features to an enum. */
  public static final class EnumBuilder {
    private final List<EnumValue> values = new ArrayList<>();
    private final List<String> features = new ArrayList<>();

    private EnumBuilder() {}

    /** Adds a value with optional features. */
    public EnumBuilder value(String name, String... features) {
      values.add(new EnumValue(name, List.of(features)));
      return this;
    }

    /** Adds a feature of the enum itself. */
    public EnumBuilder feature(String feature) {
      features.add(Objects.requireNonNull(feature, "feature"));
      return this;
    }
  }

  /**
   * Adds members, a base, a union tag and variants, and features to an object type. Type names are
   * as in {@link SchemaType}: builtins, declared names, and {@code [T]} for arrays.
   */
  public static final class ObjectBuilder {
    private String base;
    private final List<Member> members = new ArrayList<>();
    private String tag;
    private final List<Variant> variants = new ArrayList<>();
    private final List<String> features = new ArrayList<>();

    private ObjectBuilder() {}

    /** Adds a mandatory member with optional features. */
    public ObjectBuilder member(String name, String type, String... features) {
      members.add(new Member(name, type, false, List.of(features)));
      return this;
    }

    /** Adds an optional member with optional features. */
    public ObjectBuilder optional(String name, String type, String... features) {
      members.add(new Member(name, type, true, List.of(features)));
      return this;
    }

    /** Sets the base type, a plain object whose members come before this object's own. */
    public ObjectBuilder base(String base) {
      this.base = Objects.requireNonNull(base, "base");
      return this;
    }

    /**
     * Makes the object a union discriminated by {@code member}, a mandatory enum member (usually
     * inherited from the base).
     */
    public ObjectBuilder tag(String member) {
      this.tag = Objects.requireNonNull(member, "member");
      return this;
    }

    /**
     * Adds the union branch for tag value {@code value}, adding the members of object {@code type}.
     */
    public ObjectBuilder variant(String value, String type) {
      variants.add(new Variant(value, type));
      return this;
    }

    /** Adds a feature of the object itself. */
    public ObjectBuilder feature(String feature) {
      features.add(Objects.requireNonNull(feature, "feature"));
      return this;
    }

    private ObjectSpec named(String name) {
      return new ObjectSpec(name, base, members, tag, variants, features);
    }
  }

  /** Sets a command's argument and return types, flags and features. */
  public static final class CommandBuilder {
    private final String name;
    private String argType = EMPTY_OBJECT;
    private ObjectBuilder inlineArgs;
    private String retType = EMPTY_OBJECT;
    private boolean allowOob;
    private boolean freeForm;
    private final List<String> features = new ArrayList<>();

    private CommandBuilder(String name) {
      this.name = name;
    }

    /** The arguments are an object of the named type. */
    public CommandBuilder args(String type) {
      this.argType = Objects.requireNonNull(type, "type");
      this.inlineArgs = null;
      return this;
    }

    /**
     * The arguments are an implicit object whose members {@code spec} adds, called {@code
     * q_obj_NAME-arg} as QAPI calls it.
     */
    public CommandBuilder args(Consumer<ObjectBuilder> spec) {
      ObjectBuilder b = new ObjectBuilder();
      spec.accept(b);
      this.inlineArgs = b;
      this.argType = "q_obj_" + name + "-arg";
      return this;
    }

    /** The command returns a value of the named type. */
    public CommandBuilder returns(String type) {
      this.retType = Objects.requireNonNull(type, "type");
      return this;
    }

    /** The command may run out-of-band. */
    public CommandBuilder allowOob() {
      this.allowOob = true;
      return this;
    }

    /** The handler takes free-form arguments the schema does not check (QAPI's 'gen': false). */
    public CommandBuilder freeForm() {
      this.freeForm = true;
      return this;
    }

    /** Adds a feature. */
    public CommandBuilder feature(String feature) {
      features.add(Objects.requireNonNull(feature, "feature"));
      return this;
    }
  }

  /** Sets an event's data type and features. */
  public static final class EventBuilder {
    private final String name;
    private String argType = EMPTY_OBJECT;
    private ObjectBuilder inlineData;
    private final List<String> features = new ArrayList<>();

    private EventBuilder(String name) {
      this.name = name;
    }

    /** The event's data is an object of the named type. */
    public EventBuilder data(String type) {
      this.argType = Objects.requireNonNull(type, "type");
      this.inlineData = null;
      return this;
    }

    /**
     * The event's data is an implicit object whose members {@code spec} adds, called {@code
     * q_obj_NAME-arg} as QAPI calls it.
     */
    public EventBuilder data(Consumer<ObjectBuilder> spec) {
      ObjectBuilder b = new ObjectBuilder();
      spec.accept(b);
      this.inlineData = b;
      this.argType = "q_obj_" + name + "-arg";
      return this;
    }

    /** Adds a feature. */
    public EventBuilder feature(String feature) {
      features.add(Objects.requireNonNull(feature, "feature"));
      return this;
    }
  }
}
