package org.qmp4j.protocol;

/**
 * The strict reader found input that QEMU's JSON parser rejects. {@link #getMessage()} is exactly
 * the {@code desc} QEMU answers with, e.g. {@code "JSON parse error, stray '@'"} or {@code "JSON
 * nesting depth limit exceeded"}.
 */
public final class JsonSyntaxException extends QmpProtocolException {
  private static final long serialVersionUID = 1L;

  /** Which stage of QEMU's reader rejected the input. */
  public enum Kind {
    /** The lexer met a byte no token can contain; the reader skips to a resynchronisation point. */
    LEXICAL,
    /** The tokens do not form a JSON value. */
    PARSE,
    /** A message exceeded a token-size, token-count or nesting limit. */
    LIMIT
  }

  private final Kind kind;

  public JsonSyntaxException(Kind kind, String desc) {
    super(desc);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** The text QEMU sends as the error reply's {@code desc}. */
  public String desc() {
    return getMessage();
  }
}
