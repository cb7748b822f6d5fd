package org.qmp4j.schema.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.qmp4j.schema.SchemaCommand;
import org.qmp4j.schema.SchemaEvent;
import org.qmp4j.schema.SchemaType;
import org.qmp4j.schema.SchemaType.AlternateType;
import org.qmp4j.schema.SchemaType.BuiltinType;
import org.qmp4j.schema.SchemaType.EnumType;
import org.qmp4j.schema.SchemaType.EnumValue;
import org.qmp4j.schema.SchemaType.Member;
import org.qmp4j.schema.SchemaType.ObjectType;
import org.qmp4j.schema.SchemaType.Variant;

/** Reads {@code query-qmp-schema} output into the model. */
public final class IntrospectionReader {

  /**
   * The command QEMU 7.2 declares with {@code 'gen': false}: its handler checks its own arguments.
   * Introspection does not say so, so the reader knows it by name.
   */
  private static final String FREE_FORM_COMMAND = "device_add";

  private IntrospectionReader() {}

  /**
   * What was read: the declared types by name, commands and events in order, and whether the type
   * names were masked (every enum, object and alternate named by a number), which means that QEMU
   * also printed every integer type as {@code int}.
   */
  public record Result(Map<String, SchemaType> types, List<Record> entities, boolean masked) {}

  /**
   * Reads a {@code [SchemaInfo]} array.
   *
   * @throws IllegalArgumentException if it is malformed
   */
  public static Result read(JsonNode list) {
    if (!list.isArray()) {
      throw new IllegalArgumentException("query-qmp-schema output must be an array");
    }
    Map<String, SchemaType> types = new LinkedHashMap<>();
    List<Record> entities = new ArrayList<>();
    int i = 0;
    for (JsonNode e : list) {
      String where = "entry " + i++;
      if (!e.isObject()) {
        throw new IllegalArgumentException(where + " is not an object");
      }
      String name = text(e, "name", where);
      String metaType = text(e, "meta-type", where);
      where = where + " ('" + name + "')";
      List<String> features = strings(e.get("features"), where);
      switch (metaType) {
        case "command":
          entities.add(
              new SchemaCommand(
                  name,
                  text(e, "arg-type", where),
                  text(e, "ret-type", where),
                  e.path("allow-oob").asBoolean(false),
                  features,
                  name.equals(FREE_FORM_COMMAND)));
          break;
        case "event":
          entities.add(new SchemaEvent(name, text(e, "arg-type", where), features));
          break;
        case "builtin":
          SchemaType known = Builtins.get(name);
          String jsonType = text(e, "json-type", where);
          if (!(known instanceof BuiltinType b) || !b.jsonType().equals(jsonType)) {
            put(types, new BuiltinType(name, jsonType), where);
          }
          break;
        case "array":
          text(e, "element-type", where);
          break;
        case "enum":
          put(types, readEnum(e, name, features, where), where);
          break;
        case "object":
          put(types, readObject(e, name, features, where), where);
          break;
        case "alternate":
          List<String> branches = new ArrayList<>();
          for (JsonNode m : array(e, "members", where)) {
            branches.add(text(m, "type", where + " member"));
          }
          put(types, new AlternateType(name, branches, features), where);
          break;
        default:
          // A meta-type this version does not know: accept any value of it.
          put(types, new BuiltinType(name, "value"), where);
      }
    }
    boolean masked = false;
    for (SchemaType t : types.values()) {
      if (t instanceof BuiltinType) {
        continue;
      }
      if (!t.name().matches("0|[1-9][0-9]*")) {
        masked = false;
        break;
      }
      masked = true;
    }
    return new Result(types, entities, masked);
  }

  private static EnumType readEnum(JsonNode e, String name, List<String> features, String where) {
    List<EnumValue> values = new ArrayList<>();
    if (e.has("members")) {
      for (JsonNode m : array(e, "members", where)) {
        values.add(
            new EnumValue(
                text(m, "name", where + " member"), strings(m.get("features"), where + " member")));
      }
    } else {
      for (JsonNode v : array(e, "values", where)) {
        if (!v.isTextual()) {
          throw new IllegalArgumentException(where + ": enum values must be strings");
        }
        values.add(new EnumValue(v.asText(), List.of()));
      }
    }
    return new EnumType(name, values, features);
  }

  private static ObjectType readObject(
      JsonNode e, String name, List<String> features, String where) {
    List<Member> members = new ArrayList<>();
    for (JsonNode m : array(e, "members", where)) {
      String mw = where + " member";
      members.add(
          new Member(
              text(m, "name", mw),
              text(m, "type", mw),
              m.has("default"),
              strings(m.get("features"), mw)));
    }
    String tag = null;
    List<Variant> variants = new ArrayList<>();
    if (e.has("tag")) {
      tag = text(e, "tag", where);
      for (JsonNode v : array(e, "variants", where)) {
        variants.add(new Variant(text(v, "case", where), text(v, "type", where)));
      }
    }
    return new ObjectType(name, null, members, tag, variants, features);
  }

  private static void put(Map<String, SchemaType> types, SchemaType t, String where) {
    if (types.put(t.name(), t) != null) {
      throw new IllegalArgumentException(where + ": type '" + t.name() + "' appears twice");
    }
  }

  private static String text(JsonNode e, String field, String where) {
    JsonNode v = e.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException(where + ": '" + field + "' must be a string");
    }
    return v.asText();
  }

  private static JsonNode array(JsonNode e, String field, String where) {
    JsonNode v = e.get(field);
    if (v == null || !v.isArray()) {
      throw new IllegalArgumentException(where + ": '" + field + "' must be an array");
    }
    for (JsonNode x : v) {
      if (!x.isObject() && !field.equals("values")) {
        throw new IllegalArgumentException(where + ": '" + field + "' must hold objects");
      }
    }
    return v;
  }

  private static List<String> strings(JsonNode v, String where) {
    if (v == null) {
      return List.of();
    }
    if (!v.isArray()) {
      throw new IllegalArgumentException(where + ": 'features' must be an array");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode x : v) {
      if (!x.isTextual()) {
        throw new IllegalArgumentException(where + ": features must be strings");
      }
      out.add(x.asText());
    }
    return out;
  }
}
