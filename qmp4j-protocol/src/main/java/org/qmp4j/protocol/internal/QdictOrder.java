package org.qmp4j.protocol.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * QEMU's QDict iteration order ({@code qobject/qdict.c}): ascending bucket of QEMU's string hash
 * modulo 512, and within one bucket the member inserted last first. QEMU writes objects in this
 * order, and walks request members in it, so it decides which of several errors QEMU reports.
 */
public final class QdictOrder {
  private static final int BUCKETS = 512;

  private QdictOrder() {}

  /** QEMU's {@code tdb_hash} of the key's modified UTF-8 bytes, modulo the bucket count. */
  public static int bucket(String key) {
    int n = key.length();
    int ascii = 0x238F13AF * n;
    for (int i = 0; i < n; i++) {
      char c = key.charAt(i);
      if (c == 0 || c >= 0x80) {
        return bucket(modifiedUtf8(key));
      }
      ascii += c << (i * 5 % 24);
    }
    return Integer.remainderUnsigned(1103515243 * ascii + 12345, BUCKETS);
  }

  private static int bucket(byte[] bytes) {
    int value = 0x238F13AF * bytes.length;
    for (int i = 0; i < bytes.length; i++) {
      value += (bytes[i] & 0xFF) << (i * 5 % 24);
    }
    int hash = 1103515243 * value + 12345;
    return Integer.remainderUnsigned(hash, BUCKETS);
  }

  /** {@code keys}, given in insertion order, in the order QEMU's QDict iterates them. */
  public static List<String> iterationOrder(List<String> keys) {
    return sort(keys, Function.identity());
  }

  /** {@code keys}, given in insertion order, in the order QEMU's QDict iterates them. */
  public static List<String> iterationOrder(Iterable<String> keys) {
    List<String> list = new ArrayList<>();
    keys.forEach(list::add);
    return iterationOrder(list);
  }

  /** {@code members}, given in insertion order, in QDict iteration order of their keys. */
  public static <T> List<T> sort(List<T> members, Function<? super T, String> key) {
    int n = members.size();
    if (n < 2) {
      return members;
    }
    long[] keys = new long[n];
    for (int i = 0; i < n; i++) {
      // Ascending bucket, then descending insertion index (QLIST_INSERT_HEAD).
      keys[i] = ((long) bucket(key.apply(members.get(i))) << 32) | (Integer.MAX_VALUE - i);
    }
    Arrays.sort(keys);
    List<T> sorted = new ArrayList<>(n);
    for (long k : keys) {
      sorted.add(members.get(Integer.MAX_VALUE - (int) k));
    }
    return sorted;
  }

  /** The bytes QEMU keeps for {@code key}: UTF-8, with U+0000 as C0 80 (modified UTF-8). */
  public static byte[] modifiedUtf8(String key) {
    byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
    if (key.indexOf('\0') < 0) {
      return utf8;
    }
    // QEMU keeps U+0000 as C0 80 inside its strings.
    byte[] out = new byte[utf8.length * 2];
    int n = 0;
    for (byte b : utf8) {
      if (b == 0) {
        out[n++] = (byte) 0xC0;
        out[n++] = (byte) 0x80;
      } else {
        out[n++] = b;
      }
    }
    return Arrays.copyOf(out, n);
  }
}
