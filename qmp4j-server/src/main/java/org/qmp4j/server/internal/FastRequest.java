package org.qmp4j.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;

/**
 * Recognises the common request in the input bytes themselves, so that the server can skip the tree
 * the strict reader would build for it: optional whitespace, then an object whose members are
 * {@code "execute"} with a plain string and optionally {@code "id"} with a plain string or an
 * integer, in either order, with whitespace anywhere between tokens, e.g. {@code
 * {"execute":"query-status","id":1}}.
 *
 * <p>The shape is chosen so that the outcome is provably what the strict reader and the request
 * check give: fed from between two messages, these bytes are exactly one value (the object with
 * these members, strings and numbers as the reader builds them) and leave the reader between
 * messages; the object passes QEMU's member check whatever the order. What the scan does not accept
 * (escapes, non-ASCII or control bytes in strings, single quotes, other members, {@code arguments},
 * numbers other than integers of at most 18 digits, duplicate members, input that ends inside the
 * object, more than {@value #MAX_SCAN} bytes) it leaves to the reader untouched.
 *
 * <p>One instance per I/O loop; the results of a scan are valid until the next scan. They are all
 * primitives: a reference stored into a long-lived object costs a garbage collector's write barrier
 * (with G1, a memory fence), so the id's node is only made when asked for.
 */
final class FastRequest {
  /** Longer requests are left to the reader. */
  static final int MAX_SCAN = 1024;

  private static final byte[] EXECUTE = "execute".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ID = "id".getBytes(StandardCharsets.US_ASCII);

  // Results of the last successful scan.
  private int nameStart;
  private int nameEnd;
  private int nameHash;
  private int idKind; // ID_NONE, ID_STRING (idStart, idEnd) or ID_INTEGER (idValue)
  private int idStart;
  private int idEnd;
  private long idValue;

  private static final int ID_NONE = 0;
  private static final int ID_STRING = 1;
  private static final int ID_INTEGER = 2;

  int nameStart() {
    return nameStart;
  }

  int nameEnd() {
    return nameEnd;
  }

  /** {@link String#hashCode()} of the command name (it is ASCII). */
  int nameHash() {
    return nameHash;
  }

  /**
   * The request's id as the reader would have built it, or {@code null}; {@code b} is the array
   * that was scanned.
   */
  JsonNode id(byte[] b) {
    switch (idKind) {
      case ID_STRING:
        return TextNode.valueOf(new String(b, idStart, idEnd - idStart, StandardCharsets.US_ASCII));
      case ID_INTEGER:
        return idValue == (int) idValue
            ? IntNode.valueOf((int) idValue)
            : LongNode.valueOf(idValue);
      default:
        return null;
    }
  }

  /**
   * Scans {@code b[from, to)}; returns the index just after the request's closing brace and any
   * whitespace that follows it, or -1 if the bytes do not start with a request of the shape (then
   * nothing is known).
   */
  int scan(byte[] b, int from, int to) {
    int end = Math.min(to, from + MAX_SCAN);
    int i = skipSpace(b, from, end);
    if (i >= end || b[i] != '{') {
      return -1;
    }
    boolean haveName = false;
    int kind = ID_NONE;
    i++;
    while (true) {
      i = skipSpace(b, i, end);
      // A member key: "execute" or "id".
      if (i >= end || b[i] != '"') {
        return -1;
      }
      int keyStart = i + 1;
      int keyEnd = plainString(b, keyStart, end);
      if (keyEnd < 0) {
        return -1;
      }
      i = skipSpace(b, keyEnd + 1, end);
      if (i >= end || b[i] != ':') {
        return -1;
      }
      i = skipSpace(b, i + 1, end);
      if (i >= end) {
        return -1;
      }
      if (is(b, keyStart, keyEnd, EXECUTE)) {
        if (haveName || b[i] != '"') {
          return -1;
        }
        int start = i + 1;
        int stop = start;
        int hash = 0;
        while (true) {
          if (stop >= end) {
            return -1;
          }
          int c = b[stop];
          if (c == '"') {
            break;
          }
          if (c < 0x20 || c > 0x7E || c == '\\') {
            return -1;
          }
          hash = 31 * hash + c;
          stop++;
        }
        nameStart = start;
        nameEnd = stop;
        nameHash = hash;
        haveName = true;
        i = stop + 1;
      } else if (is(b, keyStart, keyEnd, ID)) {
        if (kind != ID_NONE) {
          return -1;
        }
        if (b[i] == '"') {
          int stop = plainString(b, i + 1, end);
          if (stop < 0) {
            return -1;
          }
          kind = ID_STRING;
          idStart = i + 1;
          idEnd = stop;
          i = stop + 1;
        } else {
          i = integer(b, i, end);
          if (i < 0) {
            return -1;
          }
          kind = ID_INTEGER;
        }
      } else {
        return -1;
      }
      i = skipSpace(b, i, end);
      if (i >= end) {
        return -1;
      }
      if (b[i] == '}') {
        if (!haveName) {
          return -1;
        }
        idKind = kind;
        // Whitespace after the request changes nothing in the reader either (the CRLF that
        // usually follows need not be fed to it).
        return skipSpace(b, i + 1, to);
      }
      if (b[i] != ',') {
        return -1;
      }
      i++;
    }
  }

  /**
   * An integer as the reader takes it ({@code 0}, {@code -0}, or an optional minus and 1 to 18
   * digits not starting with 0), ending before whitespace, ',' or '}'; returns the index after it
   * and sets {@link #idValue} to its value, or returns -1.
   */
  private int integer(byte[] b, int i, int end) {
    boolean negative = b[i] == '-';
    int p = negative ? i + 1 : i;
    if (p >= end) {
      return -1;
    }
    long v = 0;
    int start = p;
    if (b[p] == '0') {
      p++;
    } else {
      while (p < end && b[p] >= '0' && b[p] <= '9') {
        v = v * 10 + (b[p] - '0');
        p++;
      }
      if (p == start || p - start > 18) {
        return -1;
      }
    }
    if (p >= end) {
      return -1;
    }
    int c = b[p];
    if (!(c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == '}')) {
      return -1; // a fraction, an exponent, a leading zero, or bytes the lexer rejects
    }
    if (negative) {
      v = -v;
    }
    idValue = v;
    return p;
  }

  /**
   * The index of the closing '"' of a string whose contents start at {@code i} and are printable
   * ASCII without '\\' (so that its value is its bytes), or -1.
   */
  private static int plainString(byte[] b, int i, int end) {
    while (i < end) {
      int c = b[i];
      if (c == '"') {
        return i;
      }
      if (c < 0x20 || c > 0x7E || c == '\\') {
        return -1;
      }
      i++;
    }
    return -1;
  }

  /** The lexer's whitespace. */
  private static int skipSpace(byte[] b, int i, int end) {
    while (i < end) {
      int c = b[i];
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
        break;
      }
      i++;
    }
    return i;
  }

  private static boolean is(byte[] b, int from, int to, byte[] word) {
    if (to - from != word.length) {
      return false;
    }
    for (int k = 0; k < word.length; k++) {
      if (b[from + k] != word[k]) {
        return false;
      }
    }
    return true;
  }
}
