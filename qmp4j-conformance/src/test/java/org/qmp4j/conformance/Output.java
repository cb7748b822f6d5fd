package org.qmp4j.conformance;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a server sent on one session, cut into messages the way QEMU frames them: each message is
 * one JSON object followed by CRLF; compact messages have no line break inside, pretty ones have
 * CRLF (never a bare CR or LF) between their lines. Each message is kept as sent, as a JSON value
 * normalised for comparison, and as text normalised for a byte comparison.
 *
 * <p>Normalisation replaces what legitimately differs between two servers: event timestamps ({@code
 * seconds}, {@code microseconds}: 0) and the version's {@code micro} (0) and {@code package} ("").
 * Everything else must be equal.
 */
final class Output {
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private static final Pattern SECONDS = Pattern.compile("\"(seconds|microseconds|micro)\": \\d+");
  private static final Pattern PACKAGE = Pattern.compile("\"package\": \"(?:[^\"\\\\]|\\\\.)*\"");

  /**
   * One message.
   *
   * @param raw the bytes as sent, terminator included, as ISO-8859-1 text (one char per byte)
   * @param value the message as a normalised JSON value, or {@code null} if it is not valid JSON
   *     (QEMU prints an infinite double as {@code inf})
   * @param normalised {@code raw} with timestamps and version normalised
   */
  record Message(String raw, JsonNode value, String normalised) {
    /** A sort key that is the same for messages that are {@link #sameAs}: the value's text. */
    String normalisedUnordered() {
      return value != null ? sorted(value).toString() : normalised;
    }

    boolean sameAs(Message other) {
      if (value != null && other.value != null) {
        return value.equals(other.value);
      }
      return normalised.equals(other.normalised);
    }
  }

  private final List<Message> messages;
  private final List<String> problems;
  private final String rest;

  private Output(List<Message> messages, List<String> problems, String rest) {
    this.messages = messages;
    this.problems = problems;
    this.rest = rest;
  }

  /** The complete messages. */
  List<Message> messages() {
    return messages;
  }

  /** Framing problems: missing or bare CR/LF, bytes between messages, line breaks in compact. */
  List<String> problems() {
    return problems;
  }

  /** Bytes after the last complete message (a message still arriving, or garbage). */
  String rest() {
    return rest;
  }

  /** How many complete messages are in {@code bytes} (cheap enough to call after every read). */
  static int count(byte[] bytes, int length) {
    return scan(bytes, length, false, null, null);
  }

  /** Cuts {@code bytes} into messages and checks the framing of a compact or pretty monitor. */
  static Output parse(byte[] bytes, boolean pretty) {
    List<Message> messages = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    int end = scan(bytes, bytes.length, pretty, messages, problems);
    int consumed = 0;
    for (Message m : messages) {
      consumed += m.raw().length();
    }
    String rest = new String(bytes, consumed, bytes.length - consumed, StandardCharsets.ISO_8859_1);
    if (end != messages.size()) {
      throw new IllegalStateException("scanner inconsistency");
    }
    return new Output(List.copyOf(messages), List.copyOf(problems), rest);
  }

  /**
   * Scans messages; returns how many are complete. With {@code messages} non-null, collects them
   * and framing problems.
   */
  private static int scan(
      byte[] b, int len, boolean pretty, List<Message> messages, List<String> problems) {
    int count = 0;
    int pos = 0;
    while (pos < len) {
      int start = pos;
      int end; // index after the value's last byte
      boolean junk = b[pos] != '{' && b[pos] != '[';
      if (junk) {
        // not a JSON container: QEMU never sends that; take the line
        int lf = indexOf(b, (byte) '\n', pos, len);
        if (lf < 0) {
          return count;
        }
        end = lf + 1;
        count++;
        pos = end;
        if (messages != null) {
          problems.add(
              "message "
                  + (count)
                  + ": does not start with '{': "
                  + Escapes.show(new String(b, start, end - start, StandardCharsets.ISO_8859_1)));
          messages.add(message(b, start, end, start, end));
        }
        continue;
      }
      end = valueEnd(b, pos, len);
      if (end < 0 || end >= len) {
        return count; // incomplete, or complete but its terminator has not arrived
      }
      int next;
      String framing = null;
      if (b[end] == '\r') {
        if (end + 1 >= len) {
          return count;
        }
        if (b[end + 1] == '\n') {
          next = end + 2;
        } else {
          next = end + 1;
          framing = "CR not followed by LF after the message";
        }
      } else if (b[end] == '\n') {
        next = end + 1;
        framing = "bare LF (no CR) after the message";
      } else {
        next = end;
        framing = "no CRLF after the message";
      }
      count++;
      if (messages != null) {
        if (framing != null) {
          problems.add("message " + count + ": " + framing);
        }
        String inside = lineBreakProblem(b, start, end, pretty);
        if (inside != null) {
          problems.add("message " + count + ": " + inside);
        }
        messages.add(message(b, start, next, start, end));
      }
      pos = next;
    }
    return count;
  }

  /** The index after the JSON container starting at {@code pos}, or -1 if it is incomplete. */
  private static int valueEnd(byte[] b, int pos, int len) {
    int depth = 0;
    boolean inString = false;
    for (int i = pos; i < len; i++) {
      byte c = b[i];
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        depth--;
        if (depth == 0) {
          return i + 1;
        }
      }
    }
    return -1;
  }

  private static String lineBreakProblem(byte[] b, int start, int end, boolean pretty) {
    for (int i = start; i < end; i++) {
      if (b[i] == '\n' || b[i] == '\r') {
        if (!pretty) {
          return "line break inside a compact message at byte " + (i - start);
        }
        boolean crlf =
            b[i] == '\r' ? i + 1 < end && b[i + 1] == '\n' : i > start && b[i - 1] == '\r';
        if (!crlf) {
          return "bare " + (b[i] == '\r' ? "CR" : "LF") + " inside a pretty message";
        }
      }
    }
    return null;
  }

  private static Message message(byte[] b, int start, int next, int bodyStart, int bodyEnd) {
    String raw = new String(b, start, next - start, StandardCharsets.ISO_8859_1);
    JsonNode value;
    try {
      value = normalise(JSON.readTree(Arrays.copyOfRange(b, bodyStart, bodyEnd)));
    } catch (IOException e) {
      value = null;
    }
    return new Message(raw, value, normaliseText(raw));
  }

  static String normaliseText(String raw) {
    String s = SECONDS.matcher(raw).replaceAll("\"$1\": 0");
    return PACKAGE.matcher(s).replaceAll("\"package\": \"\"");
  }

  /** Zeroes timestamps and the version's micro and package, wherever they appear. */
  static JsonNode normalise(JsonNode node) {
    if (node instanceof ObjectNode o) {
      if (o.size() == 2 && o.has("seconds") && o.has("microseconds")) {
        o.set("seconds", IntNode.valueOf(0));
        o.set("microseconds", IntNode.valueOf(0));
      }
      if (o.has("qemu") && o.has("package") && o.get("qemu") instanceof ObjectNode q) {
        if (q.has("micro")) {
          q.set("micro", IntNode.valueOf(0));
        }
        o.set("package", TextNode.valueOf(""));
      }
      Iterator<Map.Entry<String, JsonNode>> it = o.fields();
      while (it.hasNext()) {
        normalise(it.next().getValue());
      }
    } else if (node != null && node.isArray()) {
      for (JsonNode e : node) {
        normalise(e);
      }
    }
    return node;
  }

  /** A copy with every object's members sorted by name, for a key independent of member order. */
  private static JsonNode sorted(JsonNode node) {
    if (node instanceof ObjectNode o) {
      ObjectNode copy = o.objectNode();
      List<String> names = new ArrayList<>();
      o.fieldNames().forEachRemaining(names::add);
      names.sort(null);
      for (String n : names) {
        copy.set(n, sorted(o.get(n)));
      }
      return copy;
    }
    if (node != null && node.isArray()) {
      com.fasterxml.jackson.databind.node.ArrayNode copy =
          com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
      node.forEach(e -> copy.add(sorted(e)));
      return copy;
    }
    return node;
  }

  private static int indexOf(byte[] b, byte x, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] == x) {
        return i;
      }
    }
    return -1;
  }
}
