package org.qmp4j.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.protocol.QmpReader;

/**
 * The connection's reader: a fast path in front of the liberal {@link QmpReader} for what a peer
 * sends nearly always, small well-formed JSON objects one after another.
 *
 * <p>While the liberal reader is between values, each object is parsed here straight from the bytes
 * into the same tree Jackson would build (one pass, no framing copy, no parser to create). Anything
 * outside a plain subset of JSON (a number with a fraction or an exponent, a string with an escape
 * or a byte above 0x7F, a duplicate member, deep nesting, a value not complete in this chunk, a
 * value that is not an object, 0xFF) goes, from the start of that value on, to the liberal reader,
 * which then decides exactly as it does alone: errors, resynchronisation and size limits stay its
 * business. To know when the liberal reader is between values again, this class runs its framing
 * state machine (without buffering) over every byte it passes on.
 */
final class ReplyReader {

  private static final JsonNodeFactory NODES = QmpJson.nodeFactory();

  /** Objects nested deeper than this go to the liberal reader. */
  private static final int MAX_DEPTH = 64;

  // The liberal reader's framing states (LiberalJsonReader), mirrored.
  private static final int IDLE = 0;
  private static final int CONTAINER = 1;
  private static final int STRING = 2;
  private static final int ESCAPE = 3;
  private static final int TOKEN = 4;
  private static final int STRAY = 5;

  private final QmpReader liberal;
  private final int maxMessageSize;
  private final boolean fast;
  private byte[] bytes;

  private int state = IDLE;
  private int depth;

  // parse position within bytes / end of the chunk, while parsing
  private int pos;
  private int end;

  ReplyReader(QmpReader liberal, int maxMessageSize, int chunk, boolean fast) {
    this.liberal = liberal;
    this.maxMessageSize = maxMessageSize;
    this.fast = fast;
    this.bytes = new byte[chunk];
  }

  /** Reads all of {@code buf} (position to limit), reporting each value to {@code handler}. */
  void feed(ByteBuffer buf, QmpReader.Handler handler) {
    if (!fast) {
      liberal.feed(buf, handler);
      return;
    }
    int n = buf.remaining();
    if (n > bytes.length) {
      bytes = new byte[n];
    }
    byte[] a = bytes;
    buf.get(a, 0, n);
    int i = 0;
    while (i < n) {
      if (state != IDLE) {
        passOn(i, n, handler);
        return;
      }
      byte b = a[i];
      if (b == ' ' || b == '\n' || b == '\r' || b == '\t') {
        i++;
        continue;
      }
      JsonNode value = b == '{' ? parseValue(i, n) : null;
      if (value == null) {
        passOn(i, n, handler);
        return;
      }
      i = pos;
      handler.onValue(value);
    }
  }

  /** Passes {@code bytes[from, to)} to the liberal reader, keeping track of its framing state. */
  private void passOn(int from, int to, QmpReader.Handler handler) {
    track(bytes, from, to);
    liberal.feed(ByteBuffer.wrap(bytes, from, to - from), handler);
  }

  /** The liberal reader's framing state machine over {@code a[from, to)}, without its buffering. */
  private void track(byte[] a, int from, int to) {
    int s = state;
    int d = depth;
    int i = from;
    while (i < to) {
      byte b = a[i];
      if (b == (byte) 0xFF) {
        s = IDLE;
        d = 0;
        i++;
        continue;
      }
      if (s == IDLE) {
        if (b == ' ' || b == '\n' || b == '\r' || b == '\t') {
          i++;
          continue;
        }
        d = 0;
        if (b == '{' || b == '[' || b == '"') {
          s = CONTAINER;
        } else if (b == '}' || b == ']' || b == ',' || b == ':') {
          s = STRAY;
        } else {
          s = TOKEN;
        }
      }
      boolean consumed = true;
      switch (s) {
        case CONTAINER:
          if (b == '"') {
            s = STRING;
          } else if (b == '{' || b == '[') {
            d++;
          } else if ((b == '}' || b == ']') && --d <= 0) {
            s = IDLE;
            d = 0;
          }
          break;
        case STRING:
          if (b == '\\') {
            s = ESCAPE;
          } else if (b == '"') {
            if (d == 0) {
              s = IDLE;
            } else {
              s = CONTAINER;
            }
          }
          break;
        case ESCAPE:
          s = STRING;
          break;
        case TOKEN:
          if (b == ' ' || b == '\n' || b == '\r' || b == '\t' || b == '{' || b == '[' || b == '}'
              || b == ']' || b == '"' || b == ',' || b == ':') {
            consumed = false;
            s = IDLE;
            d = 0;
          }
          break;
        case STRAY:
        default:
          s = IDLE;
          d = 0;
          break;
      }
      if (consumed) {
        i++;
      }
    }
    state = s;
    depth = d;
  }

  // ------------------------------------------------------------------ the fast parser

  /**
   * Parses the object at {@code bytes[from]}; on success {@link #pos} is just past it. Null if it
   * is not complete in the chunk or not in the plain subset, or larger than the message limit.
   */
  private JsonNode parseValue(int from, int to) {
    pos = from;
    end = to;
    JsonNode v = object(0);
    if (v == null || pos - from > maxMessageSize) {
      return null;
    }
    return v;
  }

  private JsonNode value(int level) {
    if (pos >= end) {
      return null;
    }
    byte b = bytes[pos];
    switch (b) {
      case '{':
        return object(level);
      case '[':
        return array(level);
      case '"':
        String s = string();
        return s == null ? null : NODES.textNode(s);
      case 't':
        return literal("true") ? NODES.booleanNode(true) : null;
      case 'f':
        return literal("false") ? NODES.booleanNode(false) : null;
      case 'n':
        return literal("null") ? NODES.nullNode() : null;
      default:
        return number();
    }
  }

  private ObjectNode object(int level) {
    if (level >= MAX_DEPTH) {
      return null;
    }
    pos++; // '{'
    ObjectNode o = NODES.objectNode();
    if (!skipWs()) {
      return null;
    }
    if (bytes[pos] == '}') {
      pos++;
      return o;
    }
    while (true) {
      if (bytes[pos] != '"') {
        return null;
      }
      String name = string();
      if (name == null || !skipWs() || bytes[pos] != ':') {
        return null;
      }
      pos++;
      if (!skipWs()) {
        return null;
      }
      JsonNode v = value(level + 1);
      if (v == null || o.replace(name, v) != null || !skipWs()) {
        return null; // a duplicate member too: the liberal reader decides
      }
      byte b = bytes[pos++];
      if (b == '}') {
        return o;
      }
      if (b != ',' || !skipWs()) {
        return null;
      }
    }
  }

  private ArrayNode array(int level) {
    if (level >= MAX_DEPTH) {
      return null;
    }
    pos++; // '['
    ArrayNode arr = NODES.arrayNode();
    if (!skipWs()) {
      return null;
    }
    if (bytes[pos] == ']') {
      pos++;
      return arr;
    }
    while (true) {
      JsonNode v = value(level + 1);
      if (v == null || !skipWs()) {
        return null;
      }
      arr.add(v);
      byte b = bytes[pos++];
      if (b == ']') {
        return arr;
      }
      if (b != ',' || !skipWs()) {
        return null;
      }
    }
  }

  /** Skips whitespace; false if the chunk ends. */
  private boolean skipWs() {
    byte[] a = bytes;
    int i = pos;
    while (i < end) {
      byte b = a[i];
      if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
        pos = i;
        return true;
      }
      i++;
    }
    return false;
  }

  /** A string without escapes, of printable ASCII; {@link #pos} at its opening quote. */
  private String string() {
    byte[] a = bytes;
    int start = pos + 1;
    for (int i = start; i < end; i++) {
      byte b = a[i];
      if (b == '"') {
        pos = i + 1;
        return new String(a, start, i - start, StandardCharsets.ISO_8859_1);
      }
      if (b < 0x20 || b == '\\') { // bytes above 0x7F are negative
        return null;
      }
    }
    return null;
  }

  private boolean literal(String word) {
    int n = word.length();
    if (pos + n >= end) { // a delimiter must follow within the chunk
      return false;
    }
    for (int k = 0; k < n; k++) {
      if (bytes[pos + k] != word.charAt(k)) {
        return false;
      }
    }
    if (!delimiter(bytes[pos + n])) {
      return false;
    }
    pos += n;
    return true;
  }

  /** An integer of at most 18 digits, as Jackson makes it: an int node if it fits, else a long. */
  private JsonNode number() {
    byte[] a = bytes;
    int i = pos;
    boolean negative = false;
    if (i < end && a[i] == '-') {
      negative = true;
      i++;
    }
    int digitsStart = i;
    long v = 0;
    while (i < end && a[i] >= '0' && a[i] <= '9') {
      v = v * 10 + (a[i] - '0');
      i++;
    }
    int digits = i - digitsStart;
    if (digits == 0
        || digits > 18
        || (digits > 1 && a[digitsStart] == '0')
        || (negative && v == 0)
        || i >= end
        || !delimiter(a[i])) {
      return null; // fractions, exponents, "-0", leading zeros, huge numbers: Jackson's call
    }
    pos = i;
    if (negative) {
      v = -v;
    }
    if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
      return NODES.numberNode((int) v);
    }
    return NODES.numberNode(v);
  }

  private static boolean delimiter(byte b) {
    return b == ',' || b == '}' || b == ']' || b == ' ' || b == '\n' || b == '\r' || b == '\t';
  }
}
