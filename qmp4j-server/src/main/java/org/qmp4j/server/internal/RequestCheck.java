package org.qmp4j.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.qmp4j.protocol.internal.QdictOrder;

/**
 * QEMU's check of a request object's members ({@code qmp_dispatch_check_obj}). QEMU walks the
 * members in the order of its hash table, so where a request has several problems, that order
 * decides which one is reported; this class walks them in the same order.
 */
final class RequestCheck {
  private RequestCheck() {}

  /** The problem QEMU reports for this request object, or {@code null} if it is well-formed. */
  static String check(ObjectNode request, boolean allowOob) {
    if (wellFormed(request, allowOob)) {
      return null; // no problem in any order: skip sorting the members
    }
    String execKey = null;
    for (String key : qdictOrder(request)) {
      JsonNode value = request.get(key);
      if (key.equals("execute") || (key.equals("exec-oob") && allowOob)) {
        if (!value.isTextual()) {
          return "QMP input member '" + key + "' must be a string";
        }
        if (execKey != null) {
          return "QMP input member '" + key + "' clashes with '" + execKey + "'";
        }
        execKey = key;
      } else if (key.equals("arguments")) {
        if (!value.isObject()) {
          return "QMP input member 'arguments' must be an object";
        }
      } else if (!key.equals("id")) {
        return "QMP input member '" + key + "' is unexpected";
      }
    }
    return execKey == null ? "QMP input lacks member 'execute'" : null;
  }

  /** Whether the request has no problem at all (then the order of its members does not matter). */
  private static boolean wellFormed(ObjectNode request, boolean allowOob) {
    JsonNode execute = request.get("execute");
    JsonNode execOob = allowOob ? request.get("exec-oob") : null;
    if (execute == null ? execOob == null || !execOob.isTextual() : execOob != null) {
      return false;
    }
    if (execute != null && !execute.isTextual()) {
      return false;
    }
    int known = 1;
    JsonNode arguments = request.get("arguments");
    if (arguments != null) {
      if (!arguments.isObject()) {
        return false;
      }
      known++;
    }
    if (request.get("id") != null) {
      known++;
    }
    return known == request.size();
  }

  private static List<String> qdictOrder(ObjectNode object) {
    List<String> names = new ArrayList<>(object.size());
    Iterator<String> it = object.fieldNames();
    while (it.hasNext()) {
      names.add(it.next());
    }
    return QdictOrder.iterationOrder(names);
  }
}
