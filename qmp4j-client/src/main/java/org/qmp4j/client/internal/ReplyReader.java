package org.qmp4j.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.protocol.QmpReader;
import org.qmp4j.protocol.internal.LiberalJsonReader;

/**
 * The connection's reader: a fast path in front of the liberal {@link QmpReader} for what a peer
 * sends nearly always, small well-formed JSON objects one after another.
 *
 * <p>While the liberal reader is between values ({@link LiberalJsonReader#betweenValues()}), each
 * object is parsed here straight from the bytes into the same tree Jackson would build (one pass,
 * no framing copy, no parser to create). Anything outside a plain subset of JSON (a number with a
 * fraction or an exponent, a string with an escape or a byte above 0x7F, a duplicate member, deep
 * nesting, a value not complete in this chunk, a value that is not an object, 0xFF) goes, from the
 * start of that value on, with the rest of the chunk, to the liberal reader, which then decides
 * exactly as it does alone: framing, errors, resynchronisation and size limits stay its business.
 * The next chunk is tried here again only if the liberal reader is between values by then.
 */
final class ReplyReader {

  private static final JsonNodeFactory NODES = QmpJson.nodeFactory();

  /** Objects nested deeper than this go to the liberal reader. */
  private static final int MAX_DEPTH = 64;

  private final QmpReader liberal;

  /** The liberal reader, if the fast path is on; it says when the fast path may run. */
  private final LiberalJsonReader framing;

  private final int maxMessageSize;
  private byte[] bytes;

  // parse position within bytes / end of the chunk, while parsing
  private int pos;
  private int end;

  /**
   * A reader with its own liberal reader of values up to {@code maxMessageSize} bytes, expecting
   * chunks of about {@code chunk} bytes; {@code fast} false leaves everything to the liberal
   * reader.
   */
  ReplyReader(int maxMessageSize, int chunk, boolean fast) {
    this(new LiberalJsonReader(maxMessageSize), chunk, fast);
  }

  /**
   * In front of {@code liberal}; the fast path runs only if it is {@link QmpReader#liberal()}'s
   * reader. {@code maxMessageSize} must be that reader's limit (kept for the connection's call; the
   * reader's own limit is used).
   */
  ReplyReader(QmpReader liberal, int maxMessageSize, int chunk, boolean fast) {
    this(liberal, chunk, fast);
  }

  private ReplyReader(QmpReader liberal, int chunk, boolean fast) {
    this.liberal = liberal;
    this.framing = fast && liberal instanceof LiberalJsonReader l ? l : null;
    this.maxMessageSize = framing != null ? framing.maxMessageSize() : 0;
    this.bytes = new byte[framing != null ? chunk : 0];
  }

  /** Reads all of {@code buf} (position to limit), reporting each value to {@code handler}. */
  void feed(ByteBuffer buf, QmpReader.Handler handler) {
    if (framing == null) {
      liberal.feed(buf, handler);
      return;
    }
    int n = buf.remaining();
    if (n > bytes.length) {
      bytes = new byte[n];
    }
    byte[] a = bytes;
    buf.get(a, 0, n);
    if (!framing.betweenValues()) {
      passOn(0, n, handler);
      return;
    }
    int i = 0;
    while (i < n) {
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

  /** Passes {@code bytes[from, to)} to the liberal reader. */
  private void passOn(int from, int to, QmpReader.Handler handler) {
    liberal.feed(ByteBuffer.wrap(bytes, from, to - from), handler);
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
