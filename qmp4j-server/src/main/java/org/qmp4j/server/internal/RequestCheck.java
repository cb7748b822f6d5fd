package org.qmp4j.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * QEMU's check of a request object's members ({@code qmp_dispatch_check_obj}). QEMU walks the
 * members in the order of its hash table, so where a request has several problems, that order
 * decides which one is reported; this class walks them in the same order.
 */
final class RequestCheck {
  private RequestCheck() {}

  private static final int BUCKETS = 512;

  /** The problem QEMU reports for this request object, or {@code null} if it is well-formed. */
  static String check(ObjectNode request, boolean allowOob) {
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

  /**
   * The member names in QEMU's QDict iteration order: ascending bucket of QEMU's string hash, and
   * within a bucket the member inserted last first.
   */
  static List<String> qdictOrder(ObjectNode object) {
    List<String> names = new ArrayList<>(object.size());
    Iterator<String> it = object.fieldNames();
    while (it.hasNext()) {
      names.add(it.next());
    }
    if (names.size() < 2) {
      return names;
    }
    int n = names.size();
    int[] bucket = new int[n];
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      bucket[i] = bucket(names.get(i));
      order[i] = i;
    }
    java.util.Arrays.sort(
        order, (a, b) -> bucket[a] != bucket[b] ? Integer.compare(bucket[a], bucket[b]) : b - a);
    List<String> sorted = new ArrayList<>(n);
    for (Integer i : order) {
      sorted.add(names.get(i));
    }
    return sorted;
  }

  static int bucket(String key) {
    byte[] bytes = modifiedUtf8(key);
    int value = 0x238F13AF * bytes.length;
    for (int i = 0; i < bytes.length; i++) {
      value += (bytes[i] & 0xFF) << (i * 5 % 24);
    }
    int hash = 1103515243 * value + 12345;
    return Integer.remainderUnsigned(hash, BUCKETS);
  }

  private static byte[] modifiedUtf8(String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    if (s.indexOf('\0') < 0) {
      return utf8;
    }
    // QEMU keeps U+0000 as C0 80 inside its strings.
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(utf8.length + 4);
    for (byte b : utf8) {
      if (b == 0) {
        out.write(0xC0);
        out.write(0x80);
      } else {
        out.write(b);
      }
    }
    return out.toByteArray();
  }
}
