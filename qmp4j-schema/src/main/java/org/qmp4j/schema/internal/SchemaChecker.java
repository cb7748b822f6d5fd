package org.qmp4j.schema.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.qmp4j.schema.SchemaCommand;
import org.qmp4j.schema.SchemaEvent;
import org.qmp4j.schema.SchemaType;
import org.qmp4j.schema.SchemaType.AlternateType;
import org.qmp4j.schema.SchemaType.ArrayType;
import org.qmp4j.schema.SchemaType.BuiltinType;
import org.qmp4j.schema.SchemaType.EnumType;
import org.qmp4j.schema.SchemaType.Member;
import org.qmp4j.schema.SchemaType.ObjectType;
import org.qmp4j.schema.SchemaType.Variant;

/** Consistency rules of a schema; the ones validation and introspection rely on. */
public final class SchemaChecker {
  private SchemaChecker() {}

  /**
   * The problems of a schema, empty if none.
   *
   * @param index the schema
   * @param declared its declared (non-predefined) types
   */
  public static List<String> check(SchemaIndex index, Collection<SchemaType> declared) {
    List<String> problems = new ArrayList<>();
    for (SchemaType t : declared) {
      checkType(index, t, problems);
    }
    for (Record r : index.entities()) {
      if (r instanceof SchemaCommand c) {
        String what = "arguments of command '" + c.name() + "'";
        ref(index, c.argType(), what, problems);
        if (index.type(c.argType()) != null && !(index.type(c.argType()) instanceof ObjectType)) {
          problems.add(what + " are not an object type");
        }
        ref(index, c.retType(), "return type of command '" + c.name() + "'", problems);
      } else if (r instanceof SchemaEvent e) {
        String what = "data of event '" + e.name() + "'";
        ref(index, e.argType(), what, problems);
        if (index.type(e.argType()) != null && !(index.type(e.argType()) instanceof ObjectType)) {
          problems.add(what + " is not an object type");
        }
      }
    }
    return problems;
  }

  private static void ref(SchemaIndex index, String name, String what, List<String> problems) {
    if (index.type(name) == null) {
      problems.add(what + " refers to unknown type '" + name + "'");
    }
  }

  private static void checkType(SchemaIndex index, SchemaType t, List<String> problems) {
    if (t instanceof ObjectType o) {
      Set<String> names = new HashSet<>();
      for (Member m : o.members()) {
        if (!names.add(m.name())) {
          problems.add("object '" + o.name() + "' has two members '" + m.name() + "'");
        }
        ref(index, m.type(), "member '" + m.name() + "' of '" + o.name() + "'", problems);
      }
      if (o.tag() != null) {
        Member tag = o.member(o.tag());
        if (tag == null || tag.optional() || !(index.type(tag.type()) instanceof EnumType)) {
          problems.add(
              "tag '" + o.tag() + "' of '" + o.name() + "' is not a mandatory enum member");
          return;
        }
        EnumType en = (EnumType) index.type(tag.type());
        Set<String> cases = new HashSet<>();
        for (Variant v : o.variants()) {
          String where = "variant '" + v.name() + "' of '" + o.name() + "'";
          if (!cases.add(v.name())) {
            problems.add(where + " is declared twice");
          }
          if (!en.hasValue(v.name())) {
            problems.add(where + " is not a value of the tag's enum");
          }
          SchemaType vt = index.type(v.type());
          if (!(vt instanceof ObjectType vo) || !vo.variants().isEmpty()) {
            problems.add(where + " is not an object type without variants");
          }
        }
      } else if (!o.variants().isEmpty()) {
        problems.add("object '" + o.name() + "' has variants but no tag");
      }
    } else if (t instanceof AlternateType a) {
      if (a.types().isEmpty()) {
        problems.add("alternate '" + a.name() + "' has no branches");
      }
      Map<String, String> byJsonType = new HashMap<>();
      for (String branch : a.types()) {
        SchemaType bt = index.type(branch);
        String jt = bt == null ? null : jsonKind(index, bt);
        if (bt == null) {
          problems.add("branch of '" + a.name() + "' refers to unknown type '" + branch + "'");
        } else if (jt == null || bt instanceof AlternateType) {
          problems.add("branch '" + branch + "' of '" + a.name() + "' cannot be told apart");
        } else if (byJsonType.put(jt, branch) != null) {
          problems.add("alternate '" + a.name() + "' has two branches of JSON type " + jt);
        }
      }
    } else if (t instanceof ArrayType ar) {
      ref(index, ar.elementType(), "array '" + ar.name() + "'", problems);
    }
  }

  /**
   * The kind of JSON value that selects a branch of an alternate: {@code string}, {@code number},
   * {@code boolean}, {@code null}, {@code object} or {@code array}; {@code null} for {@code any}.
   */
  public static String jsonKind(SchemaIndex index, SchemaType t) {
    if (t instanceof BuiltinType b) {
      switch (b.jsonType()) {
        case "string":
        case "boolean":
        case "null":
        case "number":
          return b.jsonType();
        case "int":
          return "number";
        default:
          return null;
      }
    } else if (t instanceof EnumType) {
      return "string";
    } else if (t instanceof ObjectType) {
      return "object";
    } else if (t instanceof ArrayType) {
      return "array";
    }
    return null;
  }
}
