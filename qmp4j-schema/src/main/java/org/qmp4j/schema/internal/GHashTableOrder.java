package org.qmp4j.schema.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.qmp4j.protocol.internal.QdictOrder;

/**
 * A model of GLib 2.74's {@code GHashTable} with {@code g_str_hash} keys, only as far as the order
 * of iteration goes: open addressing over a power-of-two array, initial bucket {@code (hash * 11) %
 * prime}, quadratic probing, tombstones on removal, and the in-place resize GLib performs when the
 * table grows past 15/16 occupancy or shrinks below 1/4. QEMU's input visitor keeps the keys it has
 * not visited yet in such a table and names the first one it iterates as the unexpected parameter.
 *
 * <p>This is an independent implementation written from the observable behaviour and the
 * description of the algorithm; it stores no values.
 */
public final class GHashTableOrder {
  private static final int MIN_SHIFT = 3;
  private static final int UNUSED = 0;
  private static final int TOMBSTONE = 1;
  private static final int[] PRIME_MOD = {
    1,
    2,
    3,
    7,
    13,
    31,
    61,
    127,
    251,
    509,
    1021,
    2039,
    4093,
    8191,
    16381,
    32749,
    65521,
    131071,
    262139,
    524287,
    1048573,
    2097143,
    4194301,
    8388593,
    16777213,
    33554393,
    67108859,
    134217689,
    268435399,
    536870909,
    1073741789,
    2147483647
  };

  private int size;
  private int mod;
  private int mask;
  private int nnodes;
  private int noccupied;
  private int[] hashes;
  private String[] keys;

  /** An empty table. */
  public GHashTableOrder() {
    setShift(MIN_SHIFT);
    hashes = new int[size];
    keys = new String[size];
  }

  private void setShift(int shift) {
    size = 1 << shift;
    mod = PRIME_MOD[shift];
    mask = size - 1;
  }

  private static boolean isReal(int hash) {
    return hash != UNUSED && hash != TOMBSTONE;
  }

  /** GLib's {@code g_str_hash}: djb2 over the bytes taken as signed chars. */
  static int strHash(String key) {
    int h = 5381;
    for (byte b : QdictOrder.modifiedUtf8(key)) {
      h = (h << 5) + h + b;
    }
    return h;
  }

  private int hashToIndex(int hash) {
    return Integer.remainderUnsigned(hash * 11, mod);
  }

  private int lookup(String key, int hash) {
    int index = hashToIndex(hash);
    int firstTombstone = -1;
    int step = 0;
    while (hashes[index] != UNUSED) {
      if (hashes[index] == hash) {
        if (key.equals(keys[index])) {
          return index;
        }
      } else if (hashes[index] == TOMBSTONE && firstTombstone < 0) {
        firstTombstone = index;
      }
      step++;
      index = (index + step) & mask;
    }
    return firstTombstone >= 0 ? firstTombstone : index;
  }

  private static int hashOf(String key) {
    int h = strHash(key);
    return Integer.compareUnsigned(h, 1) <= 0 ? 2 : h;
  }

  /** Inserts {@code key} (no-op if present). */
  public void insert(String key) {
    int hash = hashOf(key);
    int index = lookup(key, hash);
    int old = hashes[index];
    if (isReal(old)) {
      return;
    }
    hashes[index] = hash;
    keys[index] = key;
    nnodes++;
    if (old == UNUSED) {
      noccupied++;
      maybeResize();
    }
  }

  /** Removes {@code key}; returns whether it was present. */
  public boolean remove(String key) {
    int index = lookup(key, hashOf(key));
    if (!isReal(hashes[index])) {
      return false;
    }
    hashes[index] = TOMBSTONE;
    keys[index] = null;
    nnodes--;
    maybeResize();
    return true;
  }

  /** Whether {@code key} is present. */
  public boolean contains(String key) {
    return isReal(hashes[lookup(key, hashOf(key))]);
  }

  /** The number of keys. */
  public int size() {
    return nnodes;
  }

  /** The keys in iteration order. */
  public List<String> keys() {
    List<String> out = new ArrayList<>(nnodes);
    for (int i = 0; i < size; i++) {
      if (isReal(hashes[i])) {
        out.add(keys[i]);
      }
    }
    return out;
  }

  /** The first key in iteration order, or {@code null} if empty. */
  public String first() {
    for (int i = 0; i < size; i++) {
      if (isReal(hashes[i])) {
        return keys[i];
      }
    }
    return null;
  }

  private void maybeResize() {
    if ((size > nnodes * 4 && size > 1 << MIN_SHIFT) || size <= noccupied + noccupied / 16) {
      resize();
    }
  }

  private static int closestShift(int n) {
    int i = 0;
    while (n != 0) {
      n >>= 1;
      i++;
    }
    return i;
  }

  private void resize() {
    int oldSize = size;
    setShift(Math.max(closestShift((int) (nnodes * 1.333)), MIN_SHIFT));
    if (size > oldSize) {
      hashes = Arrays.copyOf(hashes, size);
      keys = Arrays.copyOf(keys, size);
    }
    boolean[] placed = new boolean[Math.max(size, oldSize)];
    for (int i = 0; i < oldSize; i++) {
      int nodeHash = hashes[i];
      if (!isReal(nodeHash)) {
        hashes[i] = UNUSED;
        continue;
      }
      if (placed[i]) {
        continue;
      }
      hashes[i] = UNUSED;
      String key = keys[i];
      keys[i] = null;
      // Move the entry to its new home; whatever lived there moves on in turn.
      while (true) {
        int index = hashToIndex(nodeHash);
        int step = 0;
        while (placed[index]) {
          step++;
          index = (index + step) & mask;
        }
        placed[index] = true;
        int displacedHash = hashes[index];
        String displacedKey = keys[index];
        hashes[index] = nodeHash;
        keys[index] = key;
        if (!isReal(displacedHash)) {
          break;
        }
        nodeHash = displacedHash;
        key = displacedKey;
      }
    }
    if (size < oldSize) {
      hashes = Arrays.copyOf(hashes, size);
      keys = Arrays.copyOf(keys, size);
    }
    noccupied = nnodes;
  }
}
