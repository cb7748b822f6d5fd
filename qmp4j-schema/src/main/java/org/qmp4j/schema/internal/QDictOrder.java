package org.qmp4j.schema.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The order in which QEMU 7.2 iterates the keys of a {@code QDict}: a fixed table of 512 buckets
 * chosen by the TDB hash of the key's bytes, visited in ascending order, each bucket listing its
 * most recently inserted key first. Decides the member order of QEMU's JSON output and which of
 * several problems QEMU reports first.
 */
public final class QDictOrder {
  private static final int BUCKETS = 512;

  private QDictOrder() {}

  /** The key's bytes as QEMU stores them: UTF-8, with U+0000 as the two bytes C0 80. */
  static byte[] qemuBytes(String key) {
    byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
    if (key.indexOf('\0') < 0) {
      return utf8;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(utf8.length + 4);
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

  /** The bucket (0..511) of {@code key}. */
  public static int bucket(String key) {
    byte[] s = qemuBytes(key);
    int value = 0x238F13AF * s.length;
    for (int i = 0; i < s.length; i++) {
      value += (s[i] & 0xFF) << (i * 5 % 24);
    }
    int hash = 1103515243 * value + 12345;
    return Integer.remainderUnsigned(hash, BUCKETS);
  }

  /**
   * The iteration order of a QDict whose (distinct) keys were inserted in {@code insertionOrder}.
   */
  public static List<String> iterationOrder(Iterable<String> insertionOrder) {
    @SuppressWarnings("unchecked")
    Deque<String>[] buckets = new Deque[BUCKETS];
    int n = 0;
    for (String k : insertionOrder) {
      int b = bucket(k);
      if (buckets[b] == null) {
        buckets[b] = new ArrayDeque<>(2);
      }
      buckets[b].addFirst(k);
      n++;
    }
    List<String> out = new ArrayList<>(n);
    for (Deque<String> d : buckets) {
      if (d != null) {
        out.addAll(d);
      }
    }
    return out;
  }
}
