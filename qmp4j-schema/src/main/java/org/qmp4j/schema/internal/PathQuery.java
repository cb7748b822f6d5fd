package org.qmp4j.schema.internal;

import java.util.Arrays;
import java.util.List;
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
 * libvirt's schema path queries ({@code blockdev-add/arg-type/+file/drop-cache}); the syntax is
 * documented on {@link org.qmp4j.schema.QapiSchema#supports(String)}.
 */
public final class PathQuery {
  private final SchemaIndex index;
  private final List<String> steps;
  private int next;

  private PathQuery(SchemaIndex index, List<String> steps) {
    this.index = index;
    this.steps = steps;
  }

  /** Whether {@code path} exists in the schema. */
  public static boolean exists(SchemaIndex index, String path) {
    List<String> steps = Arrays.asList(path.split("/", -1));
    if (steps.get(0).isEmpty()) {
      return false;
    }
    PathQuery q = new PathQuery(index, steps);
    String first = q.nextStep();
    SchemaCommand c = index.command(first);
    if (c != null) {
      return q.command(c.argType(), c.retType(), c.features());
    }
    SchemaEvent e = index.event(first);
    if (e != null) {
      return q.command(e.argType(), null, e.features());
    }
    SchemaType t = index.type(first);
    return t != null && q.type(t);
  }

  private boolean hasNext() {
    return next < steps.size();
  }

  private String nextStep() {
    return steps.get(next++);
  }

  private static boolean isAlpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static char modifier(String step) {
    return step.isEmpty() ? '\0' : step.charAt(0);
  }

  private static String stripModifier(String step) {
    return step.isEmpty() || isAlpha(step.charAt(0)) ? step : step.substring(1);
  }

  private boolean feature(String feature, List<String> features) {
    // A feature test must be the last step.
    return !hasNext() && features.contains(feature);
  }

  private boolean command(String argType, String retType, List<String> features) {
    if (!hasNext()) {
      return true;
    }
    String step = nextStep();
    char m = modifier(step);
    String q = stripModifier(step);
    if (m == '$') {
      return feature(q, features);
    }
    if (m == '^' || m == '!' || m == '+' || m == '*') {
      return false;
    }
    if (q.equals("arg-type")) {
      return type(index.type(argType));
    }
    if (q.equals("ret-type") && retType != null) {
      return type(index.type(retType));
    }
    return false;
  }

  private boolean type(SchemaType t) {
    if (t == null) {
      return false;
    }
    if (!hasNext()) {
      return true;
    }
    if (t instanceof ArrayType a) {
      return type(index.type(a.elementType()));
    } else if (t instanceof ObjectType o) {
      return object(o);
    } else if (t instanceof EnumType e) {
      return enumValue(e);
    } else if (t instanceof BuiltinType b) {
      String step = nextStep();
      return modifier(step) == '!' && !hasNext() && b.jsonType().equals(step.substring(1));
    } else if (t instanceof AlternateType a) {
      int saved = next;
      for (String branch : a.types()) {
        next = saved;
        if (type(index.type(branch))) {
          return true;
        }
      }
      return false;
    }
    return false;
  }

  private boolean object(ObjectType o) {
    String step = nextStep();
    char m = modifier(step);
    String q = stripModifier(step);
    switch (m) {
      case '^':
      case '!':
        return false;
      case '$':
        return feature(q, o.features());
      case '+':
        Variant v = o.variant(q);
        return v != null && type(index.type(v.type()));
      default:
        Member member = o.member(q);
        if (member == null || (m == '*' && !member.optional())) {
          return false;
        }
        return type(index.type(member.type()));
    }
  }

  private boolean enumValue(EnumType e) {
    String step = nextStep();
    if (modifier(step) != '^') {
      return false;
    }
    String featureStep = null;
    if (hasNext()) {
      featureStep = nextStep();
      if (modifier(featureStep) != '$' || hasNext()) {
        return false;
      }
    }
    String value = step.substring(1);
    for (EnumValue v : e.values()) {
      if (v.name().equals(value)) {
        return featureStep == null || v.features().contains(featureStep.substring(1));
      }
    }
    return false;
  }
}
