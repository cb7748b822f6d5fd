package org.qmp4j.protocol.internal;

/**
 * QEMU's reading of modified UTF-8: UTF-8 where U+0000 may also be written {@code C0 80}, and where
 * surrogates, code points above U+10FFFF, non-characters and other overlong forms are invalid.
 *
 * <p>The exact number of bytes an invalid sequence swallows matters, because QEMU's JSON writer
 * replaces each invalid sequence with one U+FFFD: the error texts qmp4j produces must contain the
 * same number of replacement characters as QEMU's.
 */
final class ModifiedUtf8 {
  private ModifiedUtf8() {}

  private static final int[] MIN_CODE_POINT = {0x80, 0x800, 0x10000, 0x200000, 0x4000000};

  /** Result of {@link #decode}: the code point, or -1, packed with the end offset. */
  static long decode(byte[] s, int pos, int end) {
    // Bytes at or beyond 'end' read as the C string's terminating NUL.
    int b = s[pos] & 0xFF;
    int p = pos + 1;
    int cp;
    if (b < 0x80) {
      cp = b;
    } else if (b >= 0xFE || (b & 0x40) == 0) {
      cp = -1;
    } else {
      int len = 0;
      int mask = 0x80;
      while ((b & mask) != 0) {
        len++;
        mask >>= 1;
      }
      cp = b & (mask - 1);
      for (int i = 1; i < len; i++) {
        int c = p < end ? s[p] & 0xFF : 0;
        if ((c & 0xC0) != 0x80) {
          return pack(-1, p);
        }
        p++;
        cp = (cp << 6) | (c & 0x3F);
      }
      if (!isValidCodePoint(cp)) {
        cp = -1;
      } else if (cp < MIN_CODE_POINT[len - 2] && !(cp == 0 && len == 2)) {
        cp = -1;
      }
    }
    return pack(cp, p);
  }

  static int codePoint(long decoded) {
    return (int) (decoded >> 32);
  }

  static int end(long decoded) {
    return (int) decoded;
  }

  private static long pack(int cp, int end) {
    return ((long) cp << 32) | (end & 0xFFFFFFFFL);
  }

  static boolean isValidCodePoint(int cp) {
    if (cp < 0 || cp > 0x10FFFF) {
      return false;
    }
    if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE) {
      return false;
    }
    return cp < 0xD800 || cp > 0xDFFF;
  }

  /**
   * The Java string QEMU's writer would print for the C string in {@code s[from, to)}: it ends at
   * the first NUL byte, and every invalid sequence becomes one U+FFFD.
   */
  static String toDisplayString(byte[] s, int from, int to) {
    StringBuilder out = new StringBuilder(to - from);
    int p = from;
    while (p < to && s[p] != 0) {
      long d = decode(s, p, to);
      int cp = codePoint(d);
      out.appendCodePoint(cp < 0 ? 0xFFFD : cp);
      p = end(d);
    }
    return out.toString();
  }
}
