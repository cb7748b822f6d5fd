package org.qmp4j.protocol.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.qmp4j.protocol.JsonSyntaxException;
import org.qmp4j.protocol.QmpReader;

/**
 * QEMU 7.2's JSON input language, as its monitor reads it: lexer, message framing ("streamer") and
 * parser, with the same limits, error texts and recovery.
 *
 * <p>Three stages, as in QEMU:
 *
 * <ol>
 *   <li>The <b>lexer</b> turns bytes into tokens with a deterministic automaton. A byte no token
 *       can take is a lexical error ({@code stray '...'} with the partial token); the lexer then
 *       skips to a resynchronisation byte.
 *   <li>The <b>streamer</b> counts braces and brackets and decides where a message ends (both
 *       counts zero, or either negative), enforcing the token-size, token-count and nesting limits.
 *   <li>The <b>parser</b> turns one message's tokens into a value. QEMU parses a message only when
 *       the streamer says it is complete; this class parses incrementally as tokens arrive (so that
 *       no token list is kept) but holds any parse error back until QEMU would have parsed, so the
 *       reported outcome is the same. Only the first parse error of a message counts, as in QEMU.
 * </ol>
 */
public final class StrictJsonReader implements QmpReader {

  static final int MAX_TOKEN_SIZE = 64 << 20;
  static final int MAX_TOKEN_COUNT = 2 << 20;
  static final int MAX_NESTING = 1 << 10;

  private static final String PARSE_ERROR = "JSON parse error, ";
  // QEMU formats parse-error messages into a 1024-byte buffer.
  private static final int PARSE_MESSAGE_MAX = 1023;

  // Lexer states.
  private static final int START = 0;
  private static final int RECOVERY = 1;
  private static final int DQ_STRING = 2;
  private static final int DQ_ESCAPE = 3;
  private static final int SQ_STRING = 4;
  private static final int SQ_ESCAPE = 5;
  private static final int ZERO = 6;
  private static final int DIGITS = 7;
  private static final int SIGN = 8;
  private static final int MANTISSA = 9;
  private static final int MANTISSA_DIGITS = 10;
  private static final int EXP_E = 11;
  private static final int EXP_SIGN = 12;
  private static final int EXP_DIGITS = 13;
  private static final int KEYWORD = 14;

  // Token types.
  private static final int T_LCURLY = 1;
  private static final int T_RCURLY = 2;
  private static final int T_LSQUARE = 3;
  private static final int T_RSQUARE = 4;
  private static final int T_COLON = 5;
  private static final int T_COMMA = 6;
  private static final int T_INTEGER = 7;
  private static final int T_FLOAT = 8;
  private static final int T_KEYWORD = 9;
  private static final int T_STRING = 10;

  // Parser frame states.
  private static final int OBJ_FIRST = 0; // after '{': '}' or a key
  private static final int OBJ_KEY = 1; // after ',': a key
  private static final int OBJ_COLON = 2; // after a key: ':'
  private static final int OBJ_VALUE = 3; // after ':': a value
  private static final int OBJ_NEXT = 4; // after a member: ',' or '}'
  private static final int ARR_FIRST = 5; // after '[': ']' or a value
  private static final int ARR_VALUE = 6; // after ',': a value
  private static final int ARR_NEXT = 7; // after an element: ',' or ']'

  private static final int INITIAL_TOKEN_CAPACITY = 256;
  private static final int RETAINED_TOKEN_CAPACITY = 1 << 20;

  /** Bytes that end error recovery (re-read in the start state). */
  private static final boolean[] RESYNC = new boolean[256];

  static {
    for (int c = 0; c < 0x20; c++) {
      RESYNC[c] = c != '\t';
    }
    RESYNC[0xFE] = true;
    RESYNC[0xFF] = true;
    for (char c : "[]{}:,".toCharArray()) {
      RESYNC[c] = true;
    }
  }

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  // Lexer.
  private int state = START;
  private byte[] tok = new byte[INITIAL_TOKEN_CAPACITY];
  private int tokLen;
  private boolean tokPlain; // string token without escapes or non-ASCII bytes

  // Streamer.
  private int braceCount;
  private int bracketCount;
  private long tokenSize;
  private int tokenCount;

  // Parser.
  private JsonNode[] stackNode = new JsonNode[16];
  private int[] stackState = new int[16];
  private String[] stackKey = new String[16];
  private boolean[] stackIsKey = new boolean[16];
  private int depth;
  private JsonNode result;
  private String parseError;

  private Handler handler;
  private boolean paused;
  private byte[] scratch;

  public StrictJsonReader() {}

  @Override
  public void feed(ByteBuffer bytes, Handler handler) {
    this.handler = handler;
    try {
      if (bytes.hasArray()) {
        int base = bytes.arrayOffset();
        int stop = lex(bytes.array(), base + bytes.position(), base + bytes.limit());
        bytes.position(stop - base);
      } else {
        if (scratch == null) {
          scratch = new byte[8192];
        }
        while (bytes.hasRemaining()) {
          int start = bytes.position();
          int n = Math.min(scratch.length, bytes.remaining());
          bytes.get(scratch, 0, n);
          int stop = lex(scratch, 0, n);
          if (stop < n) {
            bytes.position(start + stop);
            return;
          }
        }
      }
    } finally {
      this.handler = null;
      this.paused = false;
    }
  }

  @Override
  public int feed(byte[] bytes, int off, int len, Handler handler) {
    this.handler = handler;
    try {
      return lex(bytes, off, off + len) - off;
    } finally {
      this.handler = null;
      this.paused = false;
    }
  }

  @Override
  public void pause() {
    paused = true;
  }

  /**
   * Whether the reader is between messages: in the lexer's start state with no token of a message
   * seen since the last value or error. Fed from here, a complete JSON object followed by anything
   * is delivered as that object alone, and the reader is between messages again right after its
   * closing brace; a caller that recognises such an object in the input itself may therefore skip
   * it without changing what the reader does with the rest.
   */
  public boolean betweenMessages() {
    return state == START
        && tokenCount == 0
        && braceCount == 0
        && bracketCount == 0
        && depth == 0
        && result == null
        && parseError == null;
  }

  @Override
  public void reset() {
    state = START;
    clearToken();
    resetMessage();
  }

  // ---------------------------------------------------------------------------------------------
  // Lexer

  /** Reads {@code b[i, end)}; returns the index of the first byte not consumed. */
  private int lex(byte[] b, int i, int end) {
    while (i < end) {
      if (paused) {
        paused = false;
        return i;
      }
      int c = b[i] & 0xFF;
      switch (state) {
        case START:
          i++;
          switch (c) {
            case ' ':
            case '\t':
            case '\r':
            case '\n':
              break;
            case '{':
              token(T_LCURLY, 1);
              break;
            case '}':
              token(T_RCURLY, 1);
              break;
            case '[':
              token(T_LSQUARE, 1);
              break;
            case ']':
              token(T_RSQUARE, 1);
              break;
            case ':':
              token(T_COLON, 1);
              break;
            case ',':
              token(T_COMMA, 1);
              break;
            case '"':
              begin(c, DQ_STRING);
              tokPlain = true;
              break;
            case '\'':
              begin(c, SQ_STRING);
              tokPlain = true;
              break;
            case '0':
              begin(c, ZERO);
              break;
            case '-':
              begin(c, SIGN);
              break;
            default:
              if (c >= '1' && c <= '9') {
                begin(c, DIGITS);
              } else if (c >= 'a' && c <= 'z') {
                begin(c, KEYWORD);
              } else {
                append(c);
                lexicalError();
              }
          }
          break;

        case RECOVERY:
          while (i < end && !RESYNC[b[i] & 0xFF]) {
            i++;
          }
          if (i < end) {
            state = START; // the resynchronising byte is read again in the start state
          }
          break;

        case DQ_STRING:
        case SQ_STRING:
          i = lexString(b, i, end, state == DQ_STRING ? '"' : '\'');
          break;

        case DQ_ESCAPE:
        case SQ_ESCAPE:
          i++;
          append(c);
          if (c >= 0x20 && c <= 0xFD) {
            state = state == DQ_ESCAPE ? DQ_STRING : SQ_STRING;
            checkTokenSize();
          } else {
            lexicalError();
          }
          break;

        case ZERO:
          if (c >= '0' && c <= '9') {
            i++;
            append(c);
            lexicalError();
          } else if (c == '.') {
            i++;
            grow(c, MANTISSA);
          } else {
            endToken(T_INTEGER);
          }
          break;

        case DIGITS:
          if (c >= '0' && c <= '9') {
            i++;
            grow(c, DIGITS);
          } else if (c == '.') {
            i++;
            grow(c, MANTISSA);
          } else if (c == 'e' || c == 'E') {
            i++;
            grow(c, EXP_E);
          } else {
            endToken(T_INTEGER);
          }
          break;

        case SIGN:
          i++;
          if (c == '0') {
            grow(c, ZERO);
          } else if (c >= '1' && c <= '9') {
            grow(c, DIGITS);
          } else {
            append(c);
            lexicalError();
          }
          break;

        case MANTISSA:
        case EXP_SIGN:
          i++;
          if (c >= '0' && c <= '9') {
            grow(c, state == MANTISSA ? MANTISSA_DIGITS : EXP_DIGITS);
          } else {
            append(c);
            lexicalError();
          }
          break;

        case MANTISSA_DIGITS:
          if (c >= '0' && c <= '9') {
            i++;
            grow(c, MANTISSA_DIGITS);
          } else if (c == 'e' || c == 'E') {
            i++;
            grow(c, EXP_E);
          } else {
            endToken(T_FLOAT);
          }
          break;

        case EXP_E:
          i++;
          if (c >= '0' && c <= '9') {
            grow(c, EXP_DIGITS);
          } else if (c == '+' || c == '-') {
            grow(c, EXP_SIGN);
          } else {
            append(c);
            lexicalError();
          }
          break;

        case EXP_DIGITS:
          if (c >= '0' && c <= '9') {
            i++;
            grow(c, EXP_DIGITS);
          } else {
            endToken(T_FLOAT);
          }
          break;

        case KEYWORD:
          if (c >= 'a' && c <= 'z') {
            i++;
            grow(c, KEYWORD);
          } else {
            endToken(T_KEYWORD);
          }
          break;

        default:
          throw new IllegalStateException("lexer state " + state);
      }
    }
    paused = false;
    return i;
  }

  /** Scans string content in bulk; returns the index of the first byte not consumed. */
  private int lexString(byte[] b, int i, int end, int quote) {
    int start = i;
    // Stop one byte past the token limit at the latest, where QEMU flushes the token.
    int limit = (int) Math.min(end, (long) i + (MAX_TOKEN_SIZE + 1L - tokLen));
    boolean plain = tokPlain;
    while (i < limit) {
      int c = b[i] & 0xFF;
      if (c == quote || c == '\\' || c < 0x20 || c >= 0xFE) {
        break;
      }
      if (c >= 0x80) {
        plain = false;
      }
      i++;
    }
    tokPlain = plain;
    append(b, start, i - start);
    if (tokLen > MAX_TOKEN_SIZE) {
      forceFlush();
      return i;
    }
    if (i == end) {
      return i;
    }
    int c = b[i++] & 0xFF;
    append(c);
    if (c == quote) {
      endToken(T_STRING);
    } else if (c == '\\') {
      tokPlain = false;
      state = quote == '"' ? DQ_ESCAPE : SQ_ESCAPE;
      checkTokenSize();
    } else {
      lexicalError();
    }
    return i;
  }

  private void begin(int c, int newState) {
    tokLen = 0;
    append(c);
    state = newState;
  }

  private void grow(int c, int newState) {
    append(c);
    state = newState;
    checkTokenSize();
  }

  private void append(int c) {
    if (tokLen == tok.length) {
      tok = Arrays.copyOf(tok, grownCapacity(tokLen + 1));
    }
    tok[tokLen++] = (byte) c;
  }

  private void append(byte[] b, int off, int len) {
    int need = tokLen + len;
    if (need > tok.length) {
      tok = Arrays.copyOf(tok, grownCapacity(need));
    }
    System.arraycopy(b, off, tok, tokLen, len);
    tokLen = need;
  }

  /** Doubles, but never past what the largest token QEMU accepts can need. */
  private int grownCapacity(int need) {
    long doubled = Math.max(need, 2L * tok.length);
    return (int) Math.max(need, Math.min(doubled, MAX_TOKEN_SIZE + 1L));
  }

  private void clearToken() {
    tokLen = 0;
    if (tok.length > RETAINED_TOKEN_CAPACITY) {
      tok = new byte[INITIAL_TOKEN_CAPACITY];
    }
  }

  /** A token ended on the current byte, which is not part of it and is read again. */
  private void endToken(int type) {
    state = START;
    token(type, tokLen);
    clearToken();
  }

  private void checkTokenSize() {
    if (tokLen > MAX_TOKEN_SIZE) {
      forceFlush();
    }
  }

  /** QEMU hands an over-long token to the streamer unfinished; the streamer rejects it. */
  private void forceFlush() {
    state = START;
    clearToken();
    limitError("JSON token size limit exceeded");
  }

  private void lexicalError() {
    String text = ModifiedUtf8.toDisplayString(tok, 0, tokLen);
    clearToken();
    state = RECOVERY;
    resetMessage();
    emitError(JsonSyntaxException.Kind.LEXICAL, PARSE_ERROR + "stray '" + text + "'");
  }

  // ---------------------------------------------------------------------------------------------
  // Streamer

  private void token(int type, int len) {
    switch (type) {
      case T_LCURLY:
        braceCount++;
        break;
      case T_RCURLY:
        braceCount--;
        break;
      case T_LSQUARE:
        bracketCount++;
        break;
      case T_RSQUARE:
        bracketCount--;
        break;
      default:
        break;
    }
    if (tokenSize + len + 1 > MAX_TOKEN_SIZE) {
      limitError("JSON token size limit exceeded");
      return;
    }
    if (tokenCount + 1 > MAX_TOKEN_COUNT) {
      limitError("JSON token count limit exceeded");
      return;
    }
    if (braceCount + bracketCount > MAX_NESTING) {
      limitError("JSON nesting depth limit exceeded");
      return;
    }
    tokenSize += len;
    tokenCount++;
    if (parseError == null) {
      parse(type);
    }
    if ((braceCount > 0 || bracketCount > 0) && braceCount >= 0 && bracketCount >= 0) {
      return;
    }
    // QEMU parses the message here.
    String error = parseError;
    JsonNode value = result;
    resetMessage();
    if (error != null) {
      emitError(JsonSyntaxException.Kind.PARSE, error);
    } else if (value != null) {
      handler.onValue(value);
    } else {
      emitError(JsonSyntaxException.Kind.PARSE, PARSE_ERROR + "premature EOI");
    }
  }

  private void limitError(String desc) {
    resetMessage();
    emitError(JsonSyntaxException.Kind.LIMIT, desc);
  }

  private void resetMessage() {
    braceCount = 0;
    bracketCount = 0;
    tokenSize = 0;
    tokenCount = 0;
    Arrays.fill(stackNode, 0, depth, null);
    Arrays.fill(stackKey, 0, depth, null);
    depth = 0;
    result = null;
    parseError = null;
  }

  private void emitError(JsonSyntaxException.Kind kind, String desc) {
    handler.onError(new JsonSyntaxException(kind, desc));
  }

  // ---------------------------------------------------------------------------------------------
  // Parser: QEMU's recursive descent, driven one token at a time.

  private void parse(int type) {
    if (depth == 0) {
      if (result == null) {
        value(type);
      }
      return;
    }
    int top = depth - 1;
    switch (stackState[top]) {
      case OBJ_FIRST:
        if (type == T_RCURLY) {
          endContainer();
        } else {
          key(type);
        }
        break;
      case OBJ_KEY:
        key(type);
        break;
      case OBJ_COLON:
        if (type == T_COLON) {
          stackState[top] = OBJ_VALUE;
        } else {
          fail("missing : in object pair");
        }
        break;
      case OBJ_VALUE:
      case ARR_VALUE:
        value(type);
        break;
      case OBJ_NEXT:
        if (type == T_RCURLY) {
          endContainer();
        } else if (type == T_COMMA) {
          stackState[top] = OBJ_KEY;
        } else {
          fail("expected separator in dict");
        }
        break;
      case ARR_FIRST:
        if (type == T_RSQUARE) {
          endContainer();
        } else {
          value(type);
        }
        break;
      case ARR_NEXT:
        if (type == T_RSQUARE) {
          endContainer();
        } else if (type == T_COMMA) {
          stackState[top] = ARR_VALUE;
        } else {
          fail("expected separator in list");
        }
        break;
      default:
        throw new IllegalStateException("parser state " + stackState[top]);
    }
  }

  /** A member key: QEMU parses any value there and then insists it was a string. */
  private void key(int type) {
    switch (type) {
      case T_STRING:
        String key = parseString();
        if (key != null) {
          stackKey[depth - 1] = key;
          stackState[depth - 1] = OBJ_COLON;
        }
        break;
      case T_LCURLY:
        push(NODES.objectNode(), OBJ_FIRST, true);
        break;
      case T_LSQUARE:
        push(NODES.arrayNode(), ARR_FIRST, true);
        break;
      case T_INTEGER:
      case T_FLOAT:
        fail("key is not a string in object");
        break;
      case T_KEYWORD:
        if (parseKeyword() != null) {
          fail("key is not a string in object");
        }
        break;
      default:
        fail("expecting value");
    }
  }

  private void value(int type) {
    switch (type) {
      case T_LCURLY:
        push(NODES.objectNode(), OBJ_FIRST, false);
        break;
      case T_LSQUARE:
        push(NODES.arrayNode(), ARR_FIRST, false);
        break;
      case T_STRING:
        String s = parseString();
        if (s != null) {
          complete(TextNode.valueOf(s));
        }
        break;
      case T_INTEGER:
        complete(parseInteger());
        break;
      case T_FLOAT:
        complete(DoubleNode.valueOf(Double.parseDouble(tokenText())));
        break;
      case T_KEYWORD:
        JsonNode k = parseKeyword();
        if (k != null) {
          complete(k);
        }
        break;
      default:
        fail("expecting value");
    }
  }

  private void push(JsonNode container, int frameState, boolean isKey) {
    if (depth == stackNode.length) {
      int n = depth * 2;
      stackNode = Arrays.copyOf(stackNode, n);
      stackState = Arrays.copyOf(stackState, n);
      stackKey = Arrays.copyOf(stackKey, n);
      stackIsKey = Arrays.copyOf(stackIsKey, n);
    }
    stackNode[depth] = container;
    stackState[depth] = frameState;
    stackKey[depth] = null;
    stackIsKey[depth] = isKey;
    depth++;
  }

  private void endContainer() {
    int top = --depth;
    JsonNode node = stackNode[top];
    boolean isKey = stackIsKey[top];
    stackNode[top] = null;
    stackKey[top] = null;
    if (isKey) {
      fail("key is not a string in object");
    } else {
      complete(node);
    }
  }

  private void complete(JsonNode value) {
    if (depth == 0) {
      result = value;
      return;
    }
    int top = depth - 1;
    if (stackState[top] == OBJ_VALUE) {
      ObjectNode object = (ObjectNode) stackNode[top];
      String key = stackKey[top];
      if (object.has(key)) {
        fail("duplicate key");
        return;
      }
      object.set(key, value);
      stackKey[top] = null;
      stackState[top] = OBJ_NEXT;
    } else {
      ((ArrayNode) stackNode[top]).add(value);
      stackState[top] = ARR_NEXT;
    }
  }

  private void fail(String message) {
    if (message.length() > PARSE_MESSAGE_MAX) {
      message = truncateUtf8(message, PARSE_MESSAGE_MAX);
    }
    parseError = PARSE_ERROR + message;
    Arrays.fill(stackNode, 0, depth, null);
    Arrays.fill(stackKey, 0, depth, null);
    depth = 0;
  }

  /** Keeps at most {@code max} bytes of the message's UTF-8 form, as a C buffer would. */
  private static String truncateUtf8(String message, int max) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= max) {
      return message;
    }
    return ModifiedUtf8.toDisplayString(bytes, 0, max);
  }

  private String tokenText() {
    return new String(tok, 0, tokLen, StandardCharsets.ISO_8859_1);
  }

  private JsonNode parseKeyword() {
    if (tokLen == 4 && tok[0] == 't' && tok[1] == 'r' && tok[2] == 'u' && tok[3] == 'e') {
      return BooleanNode.TRUE;
    }
    if (tokLen == 5
        && tok[0] == 'f'
        && tok[1] == 'a'
        && tok[2] == 'l'
        && tok[3] == 's'
        && tok[4] == 'e') {
      return BooleanNode.FALSE;
    }
    if (tokLen == 4 && tok[0] == 'n' && tok[1] == 'u' && tok[2] == 'l' && tok[3] == 'l') {
      return NullNode.getInstance();
    }
    // The keyword is ASCII; only its first ~1 KiB can survive QEMU's message buffer.
    int shown = Math.min(tokLen, PARSE_MESSAGE_MAX);
    fail("invalid keyword '" + new String(tok, 0, shown, StandardCharsets.ISO_8859_1) + "'");
    return null;
  }

  /** An integer token: int64 if it fits, else uint64 if it fits, else a double (QEMU's rule). */
  private JsonNode parseInteger() {
    boolean negative = tok[0] == '-';
    int digits = negative ? tokLen - 1 : tokLen;
    if (digits <= 18) {
      long v = 0;
      for (int k = negative ? 1 : 0; k < tokLen; k++) {
        v = v * 10 + (tok[k] - '0');
      }
      if (negative) {
        v = -v;
      }
      return v == (int) v ? IntNode.valueOf((int) v) : LongNode.valueOf(v);
    }
    String text = tokenText();
    BigInteger big = new BigInteger(text);
    if (big.bitLength() <= 63) {
      return LongNode.valueOf(big.longValue());
    }
    if (!negative && big.bitLength() <= 64) {
      return BigIntegerNode.valueOf(big);
    }
    return DoubleNode.valueOf(Double.parseDouble(text));
  }

  /** The string token's value, or {@code null} after recording QEMU's error for it. */
  private String parseString() {
    int end = tokLen - 1; // the closing quote
    if (tokPlain) {
      return new String(tok, 1, end - 1, StandardCharsets.ISO_8859_1);
    }
    byte[] s = tok;
    StringBuilder out = new StringBuilder(end);
    int p = 1;
    while (p < end) {
      int c = s[p];
      if (c == '\\') {
        int beg = p;
        int e = s[p + 1];
        p += 2;
        switch (e) {
          case '"':
          case '\'':
          case '\\':
          case '/':
            out.append((char) e);
            break;
          case 'b':
            out.append('\b');
            break;
          case 'f':
            out.append('\f');
            break;
          case 'n':
            out.append('\n');
            break;
          case 'r':
            out.append('\r');
            break;
          case 't':
            out.append('\t');
            break;
          case 'u':
            int cp = hex4(p);
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && at(p) == '\\' && at(p + 1) == 'u') {
              cp = 0x10000 + ((cp & 0x3FF) << 10);
              int trailing = hex4(p + 2);
              if (trailing >= 0xDC00 && trailing <= 0xDFFF) {
                cp |= trailing & 0x3FF;
                p += 6;
              } else {
                cp = -1;
              }
            }
            if (!ModifiedUtf8.isValidCodePoint(cp)) {
              String text = ModifiedUtf8.toDisplayString(s, beg, Math.min(p, tokLen));
              fail(text + " is not a valid Unicode character");
              return null;
            }
            out.appendCodePoint(cp);
            break;
          default:
            fail("invalid escape sequence in string");
            return null;
        }
      } else if (c >= 0) {
        out.append((char) c);
        p++;
      } else {
        long d = ModifiedUtf8.decode(s, p, tokLen);
        int cp = ModifiedUtf8.codePoint(d);
        if (cp < 0) {
          fail("invalid UTF-8 sequence in string");
          return null;
        }
        out.appendCodePoint(cp);
        p = ModifiedUtf8.end(d);
      }
    }
    return out.toString();
  }

  private int at(int index) {
    return index < tokLen ? tok[index] : 0;
  }

  private int hex4(int p) {
    int cp = 0;
    for (int k = 0; k < 4; k++) {
      int c = at(p + k);
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        return -1;
      }
      cp = (cp << 4) | d;
    }
    return cp;
  }
}
