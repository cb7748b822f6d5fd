package org.qmp4j.protocol.corpus;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A tolerant scanner for QEMU's output text. It keeps every scalar as its raw text, so it reads
 * what a JSON library would reject ({@code inf}, {@code nan}) and what it would normalise ({@code
 * 0.10000000000000001}, {@code -0}). Whitespace between tokens (compact or pretty) is skipped.
 */
final class RawJson {

  private final String text;
  private int pos;

  private RawJson(String text) {
    this.text = text;
  }

  /** The members of the top-level object in {@code text}, key to raw value text, in order. */
  static Map<String, String> members(String text) {
    RawJson p = new RawJson(text);
    p.skipSpace();
    p.expect('{');
    Map<String, String> members = new LinkedHashMap<>();
    p.skipSpace();
    if (p.peek() == '}') {
      p.pos++;
      return members;
    }
    while (true) {
      p.skipSpace();
      String key = decodeString(p.rawValue());
      p.skipSpace();
      p.expect(':');
      p.skipSpace();
      members.put(key, p.rawValue());
      p.skipSpace();
      char c = p.next();
      if (c == '}') {
        return members;
      }
      if (c != ',') {
        throw p.error("expected , or }");
      }
    }
  }

  /**
   * A comparable form of a raw value: objects become sorted maps (member order is ignored), arrays
   * lists, strings their decoded text, other scalars their raw text prefixed by {@code #}.
   */
  static Object canonical(String raw) {
    RawJson p = new RawJson(raw);
    p.skipSpace();
    Object value = p.canonicalValue();
    p.skipSpace();
    if (p.pos != raw.length()) {
      throw p.error("trailing text");
    }
    return value;
  }

  /** Decodes a raw JSON string literal (with its quotes). */
  static String decodeString(String raw) {
    if (raw.length() < 2 || raw.charAt(0) != '"' || raw.charAt(raw.length() - 1) != '"') {
      throw new IllegalArgumentException("not a string: " + raw);
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i < raw.length() - 1; i++) {
      char c = raw.charAt(i);
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      char e = raw.charAt(++i);
      switch (e) {
        case '"', '\\', '/' -> sb.append(e);
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u' -> {
          sb.append((char) Integer.parseInt(raw.substring(i + 1, i + 5), 16));
          i += 4;
        }
        default -> throw new IllegalArgumentException("bad escape in " + raw);
      }
    }
    return sb.toString();
  }

  private Object canonicalValue() {
    char c = peek();
    if (c == '{') {
      pos++;
      Map<String, Object> map = new TreeMap<>();
      skipSpace();
      if (peek() == '}') {
        pos++;
        return map;
      }
      while (true) {
        skipSpace();
        String key = decodeString(rawValue());
        skipSpace();
        expect(':');
        skipSpace();
        map.put(key, canonicalValue());
        skipSpace();
        char d = next();
        if (d == '}') {
          return map;
        }
        if (d != ',') {
          throw error("expected , or }");
        }
      }
    }
    if (c == '[') {
      pos++;
      List<Object> list = new ArrayList<>();
      skipSpace();
      if (peek() == ']') {
        pos++;
        return list;
      }
      while (true) {
        skipSpace();
        list.add(canonicalValue());
        skipSpace();
        char d = next();
        if (d == ']') {
          return list;
        }
        if (d != ',') {
          throw error("expected , or ]");
        }
      }
    }
    String raw = rawValue();
    return c == '"' ? decodeString(raw) : "#" + raw;
  }

  /** Returns the raw text of the value at the current position and moves past it. */
  private String rawValue() {
    int start = pos;
    char c = peek();
    if (c == '"') {
      pos++;
      while (true) {
        char d = next();
        if (d == '\\') {
          pos++;
        } else if (d == '"') {
          break;
        }
      }
    } else if (c == '{' || c == '[') {
      int depth = 0;
      do {
        char d = next();
        if (d == '"') {
          pos--;
          rawValue();
        } else if (d == '{' || d == '[') {
          depth++;
        } else if (d == '}' || d == ']') {
          depth--;
        }
      } while (depth > 0);
    } else {
      while (pos < text.length() && ",}] \t\r\n".indexOf(text.charAt(pos)) < 0) {
        pos++;
      }
      if (pos == start) {
        throw error("expected a value");
      }
    }
    return text.substring(start, pos);
  }

  private void skipSpace() {
    while (pos < text.length() && " \t\r\n".indexOf(text.charAt(pos)) >= 0) {
      pos++;
    }
  }

  private char peek() {
    if (pos >= text.length()) {
      throw error("unexpected end");
    }
    return text.charAt(pos);
  }

  private char next() {
    char c = peek();
    pos++;
    return c;
  }

  private void expect(char c) {
    if (next() != c) {
      pos--;
      throw error("expected " + c);
    }
  }

  private IllegalArgumentException error(String what) {
    String near = text.substring(Math.max(0, pos - 20), Math.min(text.length(), pos + 20));
    return new IllegalArgumentException(what + " at " + pos + " near '" + near + "'");
  }
}
