package org.qmp4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.qmp4j.protocol.QmpJson;

/**
 * The argument syntax shared by {@code shell}, {@code exec} and {@code ga}: {@code key=value}
 * words, or one JSON object.
 *
 * <ul>
 *   <li>Values are typed as qmp-shell types them: an integer or a decimal number is a number,
 *       {@code true} and {@code false} are booleans, a value starting with {@code [} or {@code {}
 *       is JSON, anything else is a string. A quoted value ({@code id="123"}) is always a string.
 *   <li>Dotted keys build nested objects: {@code a.b=1 a.c=x} is {@code {"a": {"b": 1, "c":
 *       "x"}}}.
 *   <li>Words are separated by blanks; quotes and brackets keep blanks inside a word ({@code
 *       files=["a b", "c"]}).
 * </ul>
 */
final class ArgumentSyntax {

  private ArgumentSyntax() {}

  /** A usage error in what was typed; the message says what and where. */
  static final class SyntaxException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    SyntaxException(String message) {
      super(message);
    }
  }

  /**
   * Splits a line into words at blanks outside quotes and brackets. Quotes stay in the words (so
   * {@link #value} can tell {@code "1"} from {@code 1}).
   */
  static List<String> split(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    int depth = 0;
    char quote = 0;
    boolean inWord = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quote != 0) {
        word.append(c);
        if (c == '\\' && quote == '"' && i + 1 < line.length()) {
          word.append(line.charAt(++i));
        } else if (c == quote) {
          quote = 0;
        }
        continue;
      }
      if (Character.isWhitespace(c) && depth == 0) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
        continue;
      }
      inWord = true;
      word.append(c);
      if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '[' || c == '{') {
        depth++;
      } else if ((c == ']' || c == '}') && depth > 0) {
        depth--;
      }
    }
    if (quote != 0) {
      throw new SyntaxException("unterminated " + quote + "quote: " + word);
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }

  /**
   * The arguments object for {@code words}: no words gives {@code null} (no arguments); one word
   * starting with <code>{</code> is JSON; otherwise every word is {@code key=value}.
   */
  static ObjectNode arguments(List<String> words) {
    if (words.isEmpty()) {
      return null;
    }
    if (words.size() == 1 && words.get(0).startsWith("{")) {
      JsonNode json = json(words.get(0));
      if (!json.isObject()) {
        throw new SyntaxException("the arguments must be a JSON object: " + words.get(0));
      }
      return (ObjectNode) json;
    }
    ObjectNode args = QmpJson.objectNode();
    for (String word : words) {
      int eq = word.indexOf('=');
      if (eq <= 0) {
        throw new SyntaxException(
            "expected key=value, got '" + word + "' (or give the arguments as one JSON object)");
      }
      put(args, word.substring(0, eq), value(word.substring(eq + 1)));
    }
    return args;
  }

  /** Sets {@code dottedKey} in {@code args}, creating the objects on the way. */
  static void put(ObjectNode args, String dottedKey, JsonNode value) {
    String[] parts = dottedKey.split("\\.", -1);
    ObjectNode target = args;
    for (int i = 0; i < parts.length - 1; i++) {
      String part = parts[i];
      if (part.isEmpty()) {
        throw new SyntaxException("empty name in key '" + dottedKey + "'");
      }
      JsonNode next = target.get(part);
      if (next == null) {
        target = target.putObject(part);
      } else if (next.isObject()) {
        target = (ObjectNode) next;
      } else {
        throw new SyntaxException(
            "cannot set '" + dottedKey + "': '" + part + "' already has a value that is no object");
      }
    }
    String last = parts[parts.length - 1];
    if (last.isEmpty()) {
      throw new SyntaxException("empty name in key '" + dottedKey + "'");
    }
    if (target.has(last)) {
      throw new SyntaxException("'" + dottedKey + "' is given twice");
    }
    target.set(last, value);
  }

  /** The JSON value of the text after {@code =}. */
  static JsonNode value(String text) {
    if (text.length() >= 2
        && (text.charAt(0) == '"' || text.charAt(0) == '\'')
        && text.charAt(text.length() - 1) == text.charAt(0)) {
      String inner = text.substring(1, text.length() - 1);
      if (text.charAt(0) == '"') {
        JsonNode parsed = json(text);
        return parsed.isTextual() ? parsed : TextNode.valueOf(inner);
      }
      return TextNode.valueOf(inner);
    }
    if (text.equals("true")) {
      return QmpJson.nodeFactory().booleanNode(true);
    }
    if (text.equals("false")) {
      return QmpJson.nodeFactory().booleanNode(false);
    }
    if (text.startsWith("[") || text.startsWith("{")) {
      return json(text);
    }
    if (text.matches("[-+]?[0-9]+")) {
      BigInteger n = new BigInteger(text.startsWith("+") ? text.substring(1) : text);
      if (n.bitLength() < 64) {
        return QmpJson.number(n.longValue());
      }
      return QmpJson.nodeFactory().numberNode(n);
    }
    if (text.matches(
        "[-+]?([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+")) {
      return QmpJson.nodeFactory().numberNode(Double.parseDouble(text));
    }
    return TextNode.valueOf(text);
  }

  /** Parses JSON typed by a person, with a message that says where it went wrong. */
  static JsonNode json(String text) {
    try {
      return QmpJson.mapper().readTree(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new SyntaxException("not valid JSON: " + text + " (" + e.getOriginalMessage() + ")");
    }
  }
}
