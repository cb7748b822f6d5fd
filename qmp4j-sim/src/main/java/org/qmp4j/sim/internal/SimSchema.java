package org.qmp4j.sim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import org.qmp4j.schema.QapiSchema;
import org.qmp4j.schema.SchemaCommand;
import org.qmp4j.schema.SchemaEvent;
import org.qmp4j.schema.SchemaType;

/**
 * The simulator's schema: QEMU 7.2's own declarations (from its introspection with real type names,
 * a resource of this module) restricted to the commands and events the simulator implements and the
 * types they reach, followed by the simulator's downstream extensions.
 */
public final class SimSchema {
  /** QEMU 7.2's schema with real type names and precise integer types. */
  static final String RESOURCE = "/org/qmp4j/sim/qemu-7.2-schema-unmasked.json.gz";

  /** Commands QEMU declares with 'gen': false: their handlers check their own arguments. */
  static final Set<String> FREE_FORM = Set.of("device_add");

  private static volatile QapiSchema qemu;
  private static volatile List<String> order;

  private SimSchema() {}

  /** QEMU 7.2's whole schema (unmasked). */
  public static QapiSchema qemu() {
    QapiSchema s = qemu;
    if (s == null) {
      try (InputStream in = SimSchema.class.getResourceAsStream(RESOURCE)) {
        if (in == null) {
          throw new IllegalStateException("missing resource " + RESOURCE);
        }
        JsonNode list = new ObjectMapper().readTree(new GZIPInputStream(in));
        List<String> names = new java.util.ArrayList<>();
        for (JsonNode e : list) {
          String meta = e.path("meta-type").asText();
          if (meta.equals("command") || meta.equals("event")) {
            names.add(meta.charAt(0) + e.path("name").asText());
          }
        }
        order = List.copyOf(names);
        s = QapiSchema.fromIntrospection(list);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      qemu = s;
    }
    return s;
  }

  /**
   * A schema with QEMU's declarations of {@code commands} and {@code events} (kept in QEMU's order)
   * and of every type they reach, then whatever {@code extensions} declares.
   *
   * @throws IllegalArgumentException if QEMU 7.2 has no such command or event
   */
  public static QapiSchema build(
      Set<String> commands, Set<String> events, Consumer<QapiSchema.Builder> extensions) {
    QapiSchema q = qemu();
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
    List<Record> order = entities(q);
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

  private static List<Record> entities(QapiSchema q) {
    // Commands and events interleaved in QEMU's order, as the resource lists them.
    java.util.List<Record> out = new java.util.ArrayList<>();
    for (String e : order) {
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
