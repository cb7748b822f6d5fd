package org.qmp4j.sim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.schema.QapiSchema;
import org.qmp4j.schema.SchemaCommand;
import org.qmp4j.schema.SchemaEvent;
import org.qmp4j.schema.SchemaType;

/**
 * The simulator's schema: QEMU 7.2's own declarations (from its introspection with real type names,
 * a resource of this module) restricted to the commands and events the simulator implements and the
 * types they reach, followed by the simulator's downstream extensions.
 *
 * <p>Reading QEMU's whole schema (974 entities) took most of {@code qmp4j serve}'s start-up. The
 * build therefore runs {@link #main} after compiling, which writes {@value #CUT_RESOURCE}: only the
 * entities of {@link Commands#QEMU_COMMANDS} and {@link Commands#QEMU_EVENTS} and what they reach,
 * in QEMU's order. {@link #build} reads that cut when it holds everything asked for, and QEMU's
 * whole schema otherwise (a class path without the build's output, or a caller asking for more);
 * both give the same schema.
 */
public final class SimSchema {
  /** QEMU 7.2's schema with real type names and precise integer types. */
  static final String RESOURCE = "/org/qmp4j/sim/qemu-7.2-schema-unmasked.json.gz";

  /**
   * The part of {@link #RESOURCE} the simulator implements, written by the build ({@link #main}).
   */
  static final String CUT_RESOURCE = "/org/qmp4j/sim/qemu-7.2-schema-sim.json";

  /** Commands QEMU declares with 'gen': false: their handlers check their own arguments. */
  static final Set<String> FREE_FORM = Set.of("device_add");

  /** A schema read from introspection, with its commands and events in the order it lists them. */
  private record Source(QapiSchema schema, List<String> order) {
    boolean has(Set<String> commands, Set<String> events) {
      return commands.stream().allMatch(c -> schema.command(c).isPresent())
          && events.stream().allMatch(e -> schema.event(e).isPresent());
    }
  }

  private static volatile Source qemu;
  private static volatile Optional<Source> cut;

  private SimSchema() {}

  /** QEMU 7.2's whole schema (unmasked). */
  public static QapiSchema qemu() {
    return whole().schema();
  }

  private static Source whole() {
    Source s = qemu;
    if (s == null) {
      s = read(readResource(RESOURCE, true).orElseThrow(() -> missing(RESOURCE)));
      qemu = s;
    }
    return s;
  }

  private static Optional<Source> cut() {
    Optional<Source> s = cut;
    if (s == null) {
      s = readResource(CUT_RESOURCE, false).map(SimSchema::read);
      cut = s;
    }
    return s;
  }

  private static IllegalStateException missing(String resource) {
    return new IllegalStateException("missing resource " + resource);
  }

  /** {@value #CUT_RESOURCE} as the class path has it, if it has it. */
  static Optional<JsonNode> cutResource() {
    return readResource(CUT_RESOURCE, false);
  }

  /** {@value #RESOURCE}. */
  static JsonNode wholeResource() {
    return readResource(RESOURCE, true).orElseThrow(() -> missing(RESOURCE));
  }

  private static Optional<JsonNode> readResource(String resource, boolean gzip) {
    try (InputStream in = SimSchema.class.getResourceAsStream(resource)) {
      if (in == null) {
        return Optional.empty();
      }
      return Optional.of(QmpJson.mapper().readTree(gzip ? new GZIPInputStream(in) : in));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Source read(JsonNode list) {
    List<String> names = new ArrayList<>();
    for (JsonNode e : list) {
      String meta = e.path("meta-type").asText();
      if (meta.equals("command") || meta.equals("event")) {
        names.add(meta.charAt(0) + e.path("name").asText());
      }
    }
    return new Source(QapiSchema.fromIntrospection(list), List.copyOf(names));
  }

  /**
   * The entities of QEMU's introspection {@code list} that {@code commands} and {@code events}
   * need: themselves and every type they reach, in the order of {@code list}.
   */
  static ArrayNode cut(JsonNode list, Collection<String> commands, Collection<String> events) {
    Map<String, JsonNode> byName = new HashMap<>();
    list.forEach(e -> byName.put(e.path("name").asText(), e));
    Set<String> needed = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(commands);
    todo.addAll(events);
    while (!todo.isEmpty()) {
      String name = todo.poll();
      if (!needed.add(name)) {
        continue;
      }
      if (name.startsWith("[") && name.endsWith("]")) {
        todo.add(name.substring(1, name.length() - 1));
      }
      JsonNode e = byName.get(name);
      if (e == null) {
        if (name.startsWith("[")) {
          continue; // arrays have no entry of their own in the unmasked form
        }
        throw new IllegalArgumentException("QEMU 7.2 declares no " + name);
      }
      for (String ref : List.of("arg-type", "ret-type", "element-type")) {
        if (e.has(ref)) {
          todo.add(e.get(ref).asText());
        }
      }
      for (JsonNode m : e.path("members")) {
        if (m.has("type")) { // an enum's members have only names
          todo.add(m.get("type").asText());
        }
      }
      e.path("variants").forEach(v -> todo.add(v.path("type").asText()));
    }
    ArrayNode out = QmpJson.arrayNode();
    for (JsonNode e : list) {
      if (needed.contains(e.path("name").asText())) {
        out.add(e);
      }
    }
    return out;
  }

  /**
   * Writes {@value #CUT_RESOURCE} under the directory {@code args[0]} (the build's class output),
   * from {@value #RESOURCE} and the simulator's commands and events. Run by the build.
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: SimSchema CLASS-OUTPUT-DIRECTORY");
    }
    JsonNode whole = readResource(RESOURCE, true).orElseThrow(() -> missing(RESOURCE));
    ArrayNode cut = cut(whole, Commands.QEMU_COMMANDS, Commands.QEMU_EVENTS);
    Path out = Path.of(args[0], CUT_RESOURCE.substring(1));
    Files.createDirectories(out.getParent());
    Files.write(out, QmpJson.mapper().writeValueAsBytes(cut));
  }

  /**
   * A schema with QEMU's declarations of {@code commands} and {@code events} (kept in QEMU's order)
   * and of every type they reach, then whatever {@code extensions} declares.
   *
   * @throws IllegalArgumentException if QEMU 7.2 has no such command or event
   */
  public static QapiSchema build(
      Set<String> commands, Set<String> events, Consumer<QapiSchema.Builder> extensions) {
    Source source = cut().filter(c -> c.has(commands, events)).orElseGet(SimSchema::whole);
    return build(source, commands, events, extensions);
  }

  /** {@link #build} from QEMU's whole schema, never from the cut: what the cut must agree with. */
  static QapiSchema buildFromWhole(
      Set<String> commands, Set<String> events, Consumer<QapiSchema.Builder> extensions) {
    return build(whole(), commands, events, extensions);
  }

  /** Whether {@link #build} reads the build's cut for these commands and events. */
  static boolean cutHolds(Set<String> commands, Set<String> events) {
    return cut().filter(c -> c.has(commands, events)).isPresent();
  }

  private static QapiSchema build(
      Source source,
      Set<String> commands,
      Set<String> events,
      Consumer<QapiSchema.Builder> extensions) {
    QapiSchema q = source.schema();
    for (String c : commands) {
      if (q.command(c).isEmpty()) {
        throw new IllegalArgumentException("QEMU 7.2 has no command " + c);
      }
    }
    for (String e : events) {
      if (q.event(e).isEmpty()) {
        throw new IllegalArgumentException("QEMU 7.2 has no event " + e);
      }
    }
    QapiSchema.Builder b = QapiSchema.newBuilder();
    Set<String> roots = new LinkedHashSet<>();
    List<Record> order = entities(source);
    for (Record r : order) {
      if (r instanceof SchemaCommand c && commands.contains(c.name())) {
        b.command(
            c.name(),
            cb -> {
              cb.args(c.argType()).returns(c.retType());
              if (c.allowOob()) {
                cb.allowOob();
              }
              if (c.freeForm() || FREE_FORM.contains(c.name())) {
                cb.freeForm();
              }
              c.features().forEach(cb::feature);
            });
        roots.add(c.argType());
        roots.add(c.retType());
      } else if (r instanceof SchemaEvent e && events.contains(e.name())) {
        b.event(
            e.name(),
            eb -> {
              eb.data(e.argType());
              e.features().forEach(eb::feature);
            });
        roots.add(e.argType());
      }
    }
    Set<String> declared = new LinkedHashSet<>();
    Deque<String> todo = new ArrayDeque<>(roots);
    while (!todo.isEmpty()) {
      String name = todo.poll();
      SchemaType t = q.type(name).orElseThrow(() -> new IllegalStateException("no type " + name));
      if (t instanceof SchemaType.ArrayType a) {
        todo.add(a.elementType());
        continue;
      }
      if (t instanceof SchemaType.BuiltinType
          || name.equals(QapiSchema.EMPTY_OBJECT)
          || name.equals("QType")
          || !declared.add(name)) {
        continue;
      }
      declare(b, t, todo);
    }
    extensions.accept(b);
    return b.build();
  }

  private static List<Record> entities(Source source) {
    // Commands and events interleaved in QEMU's order, as the resource lists them.
    QapiSchema q = source.schema();
    List<Record> out = new ArrayList<>();
    for (String e : source.order()) {
      String name = e.substring(1);
      out.add(e.charAt(0) == 'c' ? q.command(name).orElseThrow() : q.event(name).orElseThrow());
    }
    return out;
  }

  private static void declare(QapiSchema.Builder b, SchemaType t, Deque<String> todo) {
    if (t instanceof SchemaType.EnumType en) {
      b.enumType(
          t.name(),
          eb -> {
            en.values().forEach(v -> eb.value(v.name(), v.features().toArray(String[]::new)));
            en.features().forEach(eb::feature);
          });
    } else if (t instanceof SchemaType.ObjectType o) {
      b.object(
          t.name(),
          ob -> {
            for (SchemaType.Member m : o.members()) {
              String[] f = m.features().toArray(String[]::new);
              if (m.optional()) {
                ob.optional(m.name(), m.type(), f);
              } else {
                ob.member(m.name(), m.type(), f);
              }
              todo.add(m.type());
            }
            if (o.tag() != null) {
              ob.tag(o.tag());
              o.variants()
                  .forEach(
                      v -> {
                        ob.variant(v.name(), v.type());
                        todo.add(v.type());
                      });
            }
            o.features().forEach(ob::feature);
          });
    } else if (t instanceof SchemaType.AlternateType a) {
      b.alternate(a.name(), a.types(), a.features());
      todo.addAll(a.types());
    }
  }
}
