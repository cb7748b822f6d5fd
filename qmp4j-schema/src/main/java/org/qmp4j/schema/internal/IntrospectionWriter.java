package org.qmp4j.schema.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.qmp4j.protocol.internal.QdictOrder;
import org.qmp4j.schema.SchemaCommand;
import org.qmp4j.schema.SchemaEvent;
import org.qmp4j.schema.SchemaType;
import org.qmp4j.schema.SchemaType.AlternateType;
import org.qmp4j.schema.SchemaType.ArrayType;
import org.qmp4j.schema.SchemaType.BuiltinType;
import org.qmp4j.schema.SchemaType.EnumType;
import org.qmp4j.schema.SchemaType.EnumValue;
import org.qmp4j.schema.SchemaType.Member;
import org.qmp4j.schema.SchemaType.ObjectType;
import org.qmp4j.schema.SchemaType.Variant;

/**
 * Writes a schema as {@code query-qmp-schema} output, the way QEMU's introspection generator lays
 * it out: commands and events first, then the types they use in order of first use, named by that
 * order when masking.
 */
public final class IntrospectionWriter {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final SchemaIndex index;
  private final boolean mask;
  private final Map<String, String> masked = new HashMap<>();
  private final Set<String> used = new LinkedHashSet<>();
  private final List<String> queue = new ArrayList<>();

  /** How many listed types {@link #claimListedBefore} has looked at. */
  private int claimed;

  /** The place of each listed type in the listing. */
  private final Map<String, Integer> places = new HashMap<>();

  /** Listed types named by a number: already masked, they keep it. */
  private final Set<String> maskedNames = new HashSet<>();

  private int nextNumber;

  private IntrospectionWriter(SchemaIndex index, boolean mask) {
    this.index = index;
    this.mask = mask;
    List<String> listed = index.listedTypes();
    for (int i = 0; i < listed.size(); i++) {
      places.put(listed.get(i), i);
      if (listed.get(i).matches("0|[1-9][0-9]*")) {
        maskedNames.add(listed.get(i));
      }
    }
  }

  /**
   * The {@code [SchemaInfo]} array.
   *
   * @param mask QEMU's form (numbers for type names, {@code int} for every integer type) if true;
   *     real names and precise integer types if false
   */
  public static ArrayNode write(SchemaIndex index, boolean mask) {
    return new IntrospectionWriter(index, mask).write();
  }

  private ArrayNode write() {
    ArrayNode out = NODES.arrayNode();
    for (Record r : index.entities()) {
      Map<String, JsonNode> e = new TreeMap<>();
      if (r instanceof SchemaCommand c) {
        e.put("name", NODES.textNode(c.name()));
        e.put("meta-type", NODES.textNode("command"));
        e.put("arg-type", NODES.textNode(use(c.argType())));
        e.put("ret-type", NODES.textNode(use(c.retType())));
        if (c.allowOob()) {
          e.put("allow-oob", NODES.booleanNode(true));
        }
        features(e, c.features());
      } else if (r instanceof SchemaEvent ev) {
        e.put("name", NODES.textNode(ev.name()));
        e.put("meta-type", NODES.textNode("event"));
        e.put("arg-type", NODES.textNode(use(ev.argType())));
        features(e, ev.features());
      }
      out.add(qdict(e));
    }
    // The queue grows while it is walked: each type pulls in the types it uses.
    for (int i = 0; ; i++) {
      if (i == queue.size()) {
        // Types listed after every used one: their only uses were compiled out.
        claimListedBefore(Integer.MAX_VALUE);
        if (i == queue.size()) {
          break;
        }
      }
      out.add(qdict(describe(index.type(queue.get(i)))));
    }
    return out;
  }

  private Map<String, JsonNode> describe(SchemaType t) {
    Map<String, JsonNode> e = new TreeMap<>();
    if (t instanceof BuiltinType b) {
      e.put("name", NODES.textNode(b.name()));
      e.put("meta-type", NODES.textNode("builtin"));
      e.put("json-type", NODES.textNode(b.jsonType()));
    } else if (t instanceof ArrayType a) {
      String element = use(a.elementType());
      e.put("name", NODES.textNode("[" + element + "]"));
      e.put("meta-type", NODES.textNode("array"));
      e.put("element-type", NODES.textNode(element));
    } else if (t instanceof EnumType en) {
      e.put("name", NODES.textNode(name(en.name())));
      e.put("meta-type", NODES.textNode("enum"));
      ArrayNode members = NODES.arrayNode();
      ArrayNode values = NODES.arrayNode();
      for (EnumValue v : en.values()) {
        Map<String, JsonNode> m = new TreeMap<>();
        m.put("name", NODES.textNode(v.name()));
        features(m, v.features());
        members.add(qdict(m));
        values.add(v.name());
      }
      e.put("members", members);
      e.put("values", values);
      features(e, en.features());
    } else if (t instanceof ObjectType o) {
      e.put("name", NODES.textNode(name(o.name())));
      e.put("meta-type", NODES.textNode("object"));
      ArrayNode members = NODES.arrayNode();
      for (Member m : o.members()) {
        Map<String, JsonNode> me = new TreeMap<>();
        me.put("name", NODES.textNode(m.name()));
        me.put("type", NODES.textNode(use(m.type())));
        if (m.optional()) {
          me.put("default", NODES.nullNode());
        }
        features(me, m.features());
        members.add(qdict(me));
      }
      e.put("members", members);
      if (o.tag() != null) {
        e.put("tag", NODES.textNode(o.tag()));
        ArrayNode variants = NODES.arrayNode();
        for (Variant v : o.variants()) {
          Map<String, JsonNode> ve = new TreeMap<>();
          ve.put("case", NODES.textNode(v.name()));
          ve.put("type", NODES.textNode(use(v.type())));
          variants.add(qdict(ve));
        }
        e.put("variants", variants);
      }
      features(e, o.features());
    } else if (t instanceof AlternateType a) {
      e.put("name", NODES.textNode(name(a.name())));
      e.put("meta-type", NODES.textNode("alternate"));
      ArrayNode members = NODES.arrayNode();
      for (String branch : a.types()) {
        members.add(NODES.objectNode().put("type", use(branch)));
      }
      e.put("members", members);
      features(e, a.features());
    }
    return e;
  }

  private static void features(Map<String, JsonNode> e, List<String> features) {
    if (!features.isEmpty()) {
      ArrayNode a = NODES.arrayNode();
      features.forEach(a::add);
      e.put("features", a);
    }
  }

  /** Marks a type as used and returns the name it goes by in the output. */
  private String use(String typeName) {
    SchemaType t = index.type(typeName);
    if (t == null) {
      throw new IllegalStateException("unknown type '" + typeName + "'");
    }
    if (mask) {
      // Every integer type shows as int, and every integer array as [int].
      if (isInteger(t)) {
        t = index.type("int");
      } else if (t instanceof ArrayType a && isInteger(index.type(a.elementType()))) {
        t = index.type("[int]");
      }
    }
    if (t instanceof BuiltinType || t instanceof ArrayType) {
      if (used.add(t.name())) {
        queue.add(t.name());
      }
      return t instanceof ArrayType a ? "[" + use(a.elementType()) + "]" : t.name();
    }
    if (!used.contains(t.name())) {
      Integer place = places.get(t.name());
      if (place != null) {
        claimListedBefore(place);
      }
      used.add(t.name());
      queue.add(t.name());
    }
    return name(t.name());
  }

  /**
   * Lists now every type listed before {@code place} that is not listed yet. QEMU's listing is in
   * order of first use, counting uses its build compiled out (a command for another target, say); a
   * type listed before the one being used was used before it, by something compiled out.
   */
  private void claimListedBefore(int place) {
    List<String> listed = index.listedTypes();
    for (; claimed < Math.min(place, listed.size()); claimed++) {
      String t = listed.get(claimed);
      if (!(index.type(t) instanceof BuiltinType) && used.add(t)) {
        queue.add(t);
        name(t);
      }
    }
  }

  private static boolean isInteger(SchemaType t) {
    return t instanceof BuiltinType b && b.isInteger();
  }

  private String name(String real) {
    if (!mask) {
      return real;
    }
    String n = masked.get(real);
    if (n == null) {
      if (maskedNames.contains(real)) {
        n = real;
      } else {
        do {
          n = Integer.toString(nextNumber++);
        } while (maskedNames.contains(n));
      }
      masked.put(real, n);
    }
    return n;
  }

  /** An object with the members in the order QEMU prints them: QDict order of sorted inserts. */
  private static ObjectNode qdict(Map<String, JsonNode> sorted) {
    ObjectNode o = NODES.objectNode();
    for (String k : QdictOrder.iterationOrder(sorted.keySet())) {
      o.set(k, sorted.get(k));
    }
    return o;
  }
}
