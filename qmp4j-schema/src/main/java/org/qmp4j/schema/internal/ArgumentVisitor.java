package org.qmp4j.schema.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.protocol.internal.QdictOrder;
import org.qmp4j.schema.SchemaCommand;
import org.qmp4j.schema.SchemaType;
import org.qmp4j.schema.SchemaType.AlternateType;
import org.qmp4j.schema.SchemaType.ArrayType;
import org.qmp4j.schema.SchemaType.BuiltinType;
import org.qmp4j.schema.SchemaType.EnumType;
import org.qmp4j.schema.SchemaType.Member;
import org.qmp4j.schema.SchemaType.ObjectType;
import org.qmp4j.schema.SchemaType.Variant;

/**
 * Validates and coerces a QMP command's arguments the way QEMU 7.2's generated marshallers drive
 * its QObject input visitor: a stack of the objects and lists being visited, members visited in
 * schema order and removed from a hash table of unvisited keys, and the error texts (with their
 * dotted, indexed or plain parameter names) of each step.
 */
public final class ArgumentVisitor {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);
  private static final BigInteger UINT64_MAX = TWO_64.subtract(BigInteger.ONE);
  private static final BigInteger INT64_MIN = BigInteger.valueOf(Long.MIN_VALUE);
  private static final BigInteger INT64_MAX = BigInteger.valueOf(Long.MAX_VALUE);

  private final SchemaIndex index;
  private final Deque<Frame> stack = new ArrayDeque<>();

  /** An object or list being visited. */
  private static final class Frame {
    final String name;
    final ObjectNode dict;

    /** The dict's keys in the order they were visited (QEMU removes them from its table). */
    final List<String> visited;

    final ArrayNode list;
    int next;
    long index = -1;

    Frame(String name, ObjectNode dict) {
      this.name = name;
      this.dict = dict;
      this.visited = new ArrayList<>(dict.size());
      this.list = null;
    }

    Frame(String name, ArrayNode list) {
      this.name = name;
      this.dict = null;
      this.visited = null;
      this.list = list;
    }

    /**
     * The key QEMU reports as unexpected, or null if every key was visited. QEMU fills a GLib hash
     * table with the keys in its QDict's order, removes each key it visits and names the first key
     * left; replaying that is only needed when a key is left.
     */
    String firstUnvisited() {
      if (visited.size() == dict.size()) {
        return null;
      }
      List<String> keys = new ArrayList<>(dict.size());
      dict.fieldNames().forEachRemaining(keys::add);
      GHashTableOrder table = new GHashTableOrder();
      for (String k : QdictOrder.iterationOrder(keys)) {
        table.insert(k);
      }
      for (String k : visited) {
        table.remove(k);
      }
      return table.first();
    }
  }

  private ArgumentVisitor(SchemaIndex index) {
    this.index = index;
  }

  /** See {@link org.qmp4j.schema.QapiSchema#validateArguments}. */
  public static ObjectNode validateArguments(
      SchemaIndex index, SchemaCommand command, JsonNode arguments) {
    ObjectNode args;
    if (arguments == null || arguments.isMissingNode()) {
      args = NODES.objectNode();
    } else if (arguments instanceof ObjectNode o) {
      args = o;
    } else {
      throw new IllegalArgumentException("arguments must be a JSON object");
    }
    if (command.freeForm()) {
      return args;
    }
    ArgumentVisitor v = new ArgumentVisitor(index);
    v.stack.push(new Frame(null, args));
    ObjectNode out = NODES.objectNode();
    v.visitMembers((ObjectType) index.type(command.argType()), out);
    v.checkStruct();
    return out;
  }

  private static QmpErrorException error(String desc) {
    return new QmpErrorException.GenericErrorException(desc, null, null);
  }

  /** QEMU's full_name(): the path of the value called {@code name} in the current container. */
  private String fullName(String name) {
    StringBuilder sb = new StringBuilder();
    for (Frame f : stack) {
      if (f.dict != null) {
        sb.insert(0, name != null ? name : "<anonymous>");
        sb.insert(0, '.');
      } else {
        sb.insert(0, "[" + Long.toUnsignedString(f.index & 0xFFFFFFFFL) + "]");
      }
      name = f.name;
    }
    if (name != null) {
      sb.insert(0, name);
    } else if (sb.length() > 0 && sb.charAt(0) == '.') {
      sb.deleteCharAt(0);
    } else if (sb.length() == 0) {
      return "<anonymous>";
    }
    return sb.toString();
  }

  private static String plain(String name) {
    return name != null ? name : "null";
  }

  /** The next value: a dict member (marked visited if {@code consume}) or the next list element. */
  private JsonNode peek(String name, boolean consume) {
    Frame tos = stack.peek();
    if (tos.dict != null) {
      JsonNode v = tos.dict.get(name);
      if (v != null && consume) {
        tos.visited.add(name);
      }
      return v;
    }
    JsonNode v = tos.next < tos.list.size() ? tos.list.get(tos.next) : null;
    if (consume) {
      tos.next++;
      tos.index++;
    }
    return v;
  }

  private JsonNode get(String name) {
    JsonNode v = peek(name, true);
    if (v == null) {
      throw error("Parameter '" + fullName(name) + "' is missing");
    }
    return v;
  }

  private QmpErrorException invalidType(String name, String expected) {
    return error("Invalid parameter type for '" + fullName(name) + "', expected: " + expected);
  }

  private void checkStruct() {
    String key = stack.peek().firstUnvisited();
    if (key != null) {
      throw error("Parameter '" + fullName(key) + "' is unexpected");
    }
  }

  private JsonNode visit(String name, String typeName) {
    SchemaType t = index.type(typeName);
    if (t instanceof BuiltinType b) {
      return visitBuiltin(name, b);
    } else if (t instanceof EnumType e) {
      String s = visitStr(name);
      if (!e.hasValue(s)) {
        throw error("Parameter '" + plain(name) + "' does not accept value '" + s + "'");
      }
      return NODES.textNode(s);
    } else if (t instanceof ArrayType a) {
      JsonNode v = get(name);
      if (!v.isArray()) {
        throw invalidType(name, "array");
      }
      stack.push(new Frame(name, (ArrayNode) v));
      ArrayNode out = NODES.arrayNode(v.size());
      for (int i = 0; i < v.size(); i++) {
        out.add(visit(null, a.elementType()));
      }
      stack.pop();
      return out;
    } else if (t instanceof ObjectType o) {
      return visitStruct(name, o);
    } else if (t instanceof AlternateType a) {
      return visitAlternate(name, a);
    }
    throw new IllegalStateException("unknown type '" + typeName + "'");
  }

  private ObjectNode visitStruct(String name, ObjectType o) {
    JsonNode v = get(name);
    if (!v.isObject()) {
      throw invalidType(name, "object");
    }
    stack.push(new Frame(name, (ObjectNode) v));
    ObjectNode out = NODES.objectNode();
    visitMembers(o, out);
    checkStruct();
    stack.pop();
    return out;
  }

  private void visitMembers(ObjectType o, ObjectNode out) {
    for (Member m : o.members()) {
      if (m.optional() && peek(m.name(), false) == null) {
        continue;
      }
      out.set(m.name(), visit(m.name(), m.type()));
    }
    if (o.tag() != null) {
      JsonNode tagValue = out.get(o.tag());
      Variant v = tagValue == null ? null : o.variant(tagValue.asText());
      if (v != null) {
        visitMembers((ObjectType) index.type(v.type()), out);
      }
    }
  }

  private JsonNode visitAlternate(String name, AlternateType a) {
    JsonNode v = peek(name, false);
    if (v == null) {
      throw error("Parameter '" + fullName(name) + "' is missing");
    }
    String kind = kind(v);
    for (String branch : a.types()) {
      SchemaType bt = index.type(branch);
      if (kind.equals(SchemaChecker.jsonKind(index, bt))) {
        return visit(name, branch);
      }
    }
    throw error("Invalid parameter type for '" + plain(name) + "', expected: " + a.name());
  }

  private static String kind(JsonNode v) {
    if (v.isNull()) {
      return "null";
    } else if (v.isNumber()) {
      return "number";
    } else if (v.isTextual()) {
      return "string";
    } else if (v.isBoolean()) {
      return "boolean";
    } else if (v.isObject()) {
      return "object";
    } else if (v.isArray()) {
      return "array";
    }
    return "other";
  }

  private String visitStr(String name) {
    JsonNode v = get(name);
    if (!v.isTextual()) {
      throw invalidType(name, "string");
    }
    return v.asText();
  }

  private JsonNode visitBuiltin(String name, BuiltinType b) {
    switch (b.name()) {
      case "int":
        if (index.integersWidened()) {
          return visitAnyInteger(name);
        }
        return NODES.numberNode(visitInt64(name));
      case "int64":
        return NODES.numberNode(visitInt64(name));
      case "int8":
        return NODES.numberNode(visitIntN(name, Byte.MIN_VALUE, Byte.MAX_VALUE, "int8_t"));
      case "int16":
        return NODES.numberNode(visitIntN(name, Short.MIN_VALUE, Short.MAX_VALUE, "int16_t"));
      case "int32":
        return NODES.numberNode(visitIntN(name, Integer.MIN_VALUE, Integer.MAX_VALUE, "int32_t"));
      case "uint8":
        return NODES.numberNode(visitUintN(name, 0xFFL, "uint8_t"));
      case "uint16":
        return NODES.numberNode(visitUintN(name, 0xFFFFL, "uint16_t"));
      case "uint32":
        return NODES.numberNode(visitUintN(name, 0xFFFFFFFFL, "uint32_t"));
      case "uint64":
      case "size":
        return unsigned(visitUint64(name));
      default:
        break;
    }
    switch (b.jsonType()) {
      case "string":
        return NODES.textNode(visitStr(name));
      case "boolean":
        {
          JsonNode v = get(name);
          if (!v.isBoolean()) {
            throw invalidType(name, "boolean");
          }
          return v;
        }
      case "number":
        {
          JsonNode v = get(name);
          if (!v.isNumber()) {
            throw invalidType(name, "number");
          }
          return NODES.numberNode(toDouble(v));
        }
      case "null":
        {
          JsonNode v = get(name);
          if (!v.isNull()) {
            throw invalidType(name, "null");
          }
          return v;
        }
      case "int":
        // An integer builtin of a name this version does not know: treat it as int64.
        return NODES.numberNode(visitInt64(name));
      default:
        return get(name);
    }
  }

  /** The value of a JSON number as QEMU's parser stores it: int64, else uint64, else double. */
  private static BigInteger integral(JsonNode v) {
    if (!v.isIntegralNumber()) {
      return null;
    }
    BigInteger i = v.bigIntegerValue();
    return i.compareTo(INT64_MIN) >= 0 && i.compareTo(UINT64_MAX) <= 0 ? i : null;
  }

  private static double toDouble(JsonNode v) {
    return v.isIntegralNumber() ? v.bigIntegerValue().doubleValue() : v.doubleValue();
  }

  private long visitInt64(String name) {
    JsonNode v = get(name);
    BigInteger i = v.isNumber() ? integral(v) : null;
    if (i == null || i.compareTo(INT64_MAX) > 0) {
      throw invalidType(name, "integer");
    }
    return i.longValue();
  }

  /** An integer of unknown width: whatever one of QAPI's integer types would accept. */
  private JsonNode visitAnyInteger(String name) {
    JsonNode v = get(name);
    BigInteger i = v.isNumber() ? integral(v) : null;
    if (i == null) {
      throw invalidType(name, "integer");
    }
    return i.bitLength() < 64 ? NODES.numberNode(i.longValue()) : NODES.numberNode(i);
  }

  private long visitIntN(String name, long min, long max, String cType) {
    long value = visitInt64(name);
    if (value < min || value > max) {
      throw error("Parameter '" + plain(name) + "' expects " + cType);
    }
    return value;
  }

  /** A uint64 as its 64 bits; negative int64 values are taken as two's complement. */
  private long visitUint64(String name) {
    JsonNode v = get(name);
    BigInteger i = v.isNumber() ? integral(v) : null;
    if (i == null) {
      throw error("Parameter '" + fullName(name) + "' expects uint64");
    }
    return i.longValue();
  }

  private long visitUintN(String name, long max, String cType) {
    long value = visitUint64(name);
    if (Long.compareUnsigned(value, max) > 0) {
      throw error("Parameter '" + plain(name) + "' expects " + cType);
    }
    return value;
  }

  private static JsonNode unsigned(long bits) {
    return bits >= 0
        ? NODES.numberNode(bits)
        : NODES.numberNode(BigInteger.valueOf(bits).add(TWO_64));
  }
}
