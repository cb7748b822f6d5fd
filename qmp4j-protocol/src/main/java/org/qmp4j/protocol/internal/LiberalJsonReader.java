package org.qmp4j.protocol.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.protocol.QmpMessageTooLargeException;
import org.qmp4j.protocol.QmpProtocolException;
import org.qmp4j.protocol.QmpReader;

/**
 * The client-side reader: frames the stream into JSON values by hand, then parses each value with
 * Jackson.
 *
 * <p>Framing: a value starts at the first byte that is not whitespace. An object or array ends
 * where its brackets balance (brackets inside strings do not count); a top-level string ends at its
 * closing quote; any other top-level token (a number, {@code true}, a stray byte...) ends at the
 * next whitespace, bracket, quote, comma or colon. CRLF or LF, pretty output and whitespace between
 * values are all fine.
 *
 * <p>A 0xFF byte (the guest agent's sync marker; never part of UTF-8) discards the value being
 * framed and reports {@link Handler#onSync()}. A value longer than the limit is reported once as a
 * {@link QmpMessageTooLargeException} as soon as it passes the limit; the rest of it is scanned
 * without being kept, so memory stays bounded by the limit whatever arrives.
 */
public final class LiberalJsonReader implements QmpReader {

  private static final int INITIAL_BUFFER = 512;

  /** A buffer grown past this is dropped after its value, so idle connections stay small. */
  private static final int KEPT_BUFFER = 64 * 1024;

  /** Bytes copied at a time out of a buffer without an accessible array. */
  private static final int DIRECT_CHUNK = 8192;

  // Framing states.
  /** Between values. */
  private static final int IDLE = 0;

  /** In an object or array (or before a top-level string's opening quote), outside strings. */
  private static final int CONTAINER = 1;

  /** Inside a string. */
  private static final int STRING = 2;

  /** After a backslash inside a string. */
  private static final int ESCAPE = 3;

  /** Inside a top-level token that is not an object, array or string. */
  private static final int TOKEN = 4;

  /** At a stray top-level {@code } ] , :}, a value of one byte. */
  private static final int STRAY = 5;

  private final int maxMessageSize;

  private int state = IDLE;

  /** Bracket depth of the value being framed; 0 for a top-level string. */
  private int depth;

  /** Whether the value being framed passed the limit and is being skipped. */
  private boolean skipping;

  /** Bytes of the current value seen so far, kept or skipped. */
  private int size;

  /** The start of a value that began in an earlier chunk. */
  private byte[] buffer = new byte[0];

  private int buffered;
  private byte[] directChunk;

  public LiberalJsonReader() {
    this(DEFAULT_MAX_MESSAGE_SIZE);
  }

  public LiberalJsonReader(int maxMessageSize) {
    if (maxMessageSize <= 0) {
      throw new IllegalArgumentException("maxMessageSize must be positive: " + maxMessageSize);
    }
    this.maxMessageSize = maxMessageSize;
  }

  /** The largest value, in bytes, this reader accepts. */
  public int maxMessageSize() {
    return maxMessageSize;
  }

  /** How many bytes the reader holds on to for a value split across chunks (for tests). */
  public int bufferCapacity() {
    return buffer.length;
  }

  /**
   * Whether the reader is between top-level values: nothing of a value framed, held or being
   * skipped, so the next byte that is not whitespace starts a new value. Framing restarts at every
   * value, so a caller that finds a complete, well-formed JSON object at the start of its input (at
   * most {@link #maxMessageSize()} bytes) may take that object itself and feed the reader only what
   * follows: the reader then reports the rest as it would have, and is between values again right
   * after the object's closing brace. The client's fast reply path relies on this; a constant-time
   * field read.
   */
  public boolean betweenValues() {
    return state == IDLE;
  }

  @Override
  public void feed(ByteBuffer bytes, Handler handler) {
    if (bytes.hasArray()) {
      int base = bytes.arrayOffset();
      scan(bytes.array(), base + bytes.position(), base + bytes.limit(), handler, base, bytes);
      return;
    }
    if (directChunk == null) {
      directChunk = new byte[DIRECT_CHUNK];
    }
    byte[] chunk = directChunk;
    while (bytes.hasRemaining()) {
      int n = Math.min(chunk.length, bytes.remaining());
      int position = bytes.position();
      bytes.get(chunk, 0, n);
      ByteBuffer view = ByteBuffer.wrap(chunk, 0, n);
      try {
        scan(chunk, 0, n, handler, 0, view);
      } finally {
        // If a handler threw, leave the caller's buffer just after the last byte dealt with.
        bytes.position(position + view.position());
      }
    }
  }

  @Override
  public void reset() {
    state = IDLE;
    depth = 0;
    skipping = false;
    size = 0;
    buffered = 0;
    releaseBuffer();
  }

  /**
   * Frames {@code array[from, to)}. {@code source} is the buffer the bytes came from, at array
   * offset {@code base}; its position is kept just past the bytes dealt with, so that a handler
   * that throws leaves the reader and the buffer consistent.
   */
  private void scan(byte[] array, int from, int to, Handler handler, int base, ByteBuffer source) {
    // Where the part of the current value that is not in `buffer` starts.
    int valueStart = from;
    int i = from;
    while (i < to) {
      byte b = array[i];
      if (b == (byte) 0xFF) {
        i++;
        reset();
        source.position(i - base);
        handler.onSync();
        continue;
      }
      if (state == IDLE) {
        if (b == ' ' || b == '\n' || b == '\r' || b == '\t') {
          i++;
          continue;
        }
        valueStart = i;
        size = 0;
        depth = 0;
        if (b == '{' || b == '[' || b == '"') {
          state = CONTAINER;
        } else if (b == '}' || b == ']' || b == ',' || b == ':') {
          state = STRAY;
        } else {
          state = TOKEN;
        }
      }
      boolean ends = false;
      boolean consumed = true;
      switch (state) {
        case CONTAINER:
          if (b == '"') {
            state = STRING;
          } else if (b == '{' || b == '[') {
            depth++;
          } else if ((b == '}' || b == ']') && --depth <= 0) {
            ends = true;
          }
          break;
        case STRING:
          if (b == '\\') {
            state = ESCAPE;
          } else if (b == '"') {
            if (depth == 0) {
              ends = true;
            } else {
              state = CONTAINER;
            }
          }
          break;
        case ESCAPE:
          state = STRING;
          break;
        case TOKEN:
          if (b == ' ' || b == '\n' || b == '\r' || b == '\t' || b == '{' || b == '[' || b == '}'
              || b == ']' || b == '"' || b == ',' || b == ':') {
            // The delimiter is not part of the token; it is looked at again between values.
            consumed = false;
            ends = true;
          }
          break;
        case STRAY:
        default:
          ends = true;
          break;
      }
      if (consumed) {
        i++;
        if (++size > maxMessageSize && !skipping) {
          skipping = true;
          buffered = 0;
          releaseBuffer();
          source.position(i - base);
          handler.onError(new QmpMessageTooLargeException(maxMessageSize));
        }
      }
      if (ends) {
        complete(array, valueStart, i, handler, base, source);
      }
    }
    // End of the chunk: keep the unfinished part of the value for the next one.
    if (state != IDLE && !skipping) {
      append(array, valueStart, to);
    }
    source.position(to - base);
  }

  /** The value ending just before {@code end} is framed: parse and report it, then go idle. */
  private void complete(
      byte[] array, int valueStart, int end, Handler handler, int base, ByteBuffer source) {
    boolean skipped = skipping;
    byte[] bytes = array;
    int off = valueStart;
    int len = end - valueStart;
    if (!skipped && buffered > 0) {
      append(array, valueStart, end);
      bytes = buffer;
      off = 0;
      len = buffered;
    }
    state = IDLE;
    depth = 0;
    skipping = false;
    size = 0;
    source.position(end - base);
    if (skipped) {
      return;
    }
    if (hasNulInFirstFour(bytes, off, len)) {
      // Jackson would guess UTF-16 or UTF-32 from the NUL bytes and describe the failure with an
      // offset into our buffer, which depends on how the input arrived. QMP is UTF-8.
      buffered = 0;
      releaseBuffer();
      handler.onError(new QmpProtocolException("Malformed JSON: NUL byte in a message"));
      return;
    }
    JsonNode value;
    try {
      value = QmpJson.parse(bytes, off, len);
    } catch (QmpProtocolException e) {
      buffered = 0;
      releaseBuffer();
      handler.onError(e);
      return;
    }
    buffered = 0;
    releaseBuffer();
    handler.onValue(value);
  }

  private static boolean hasNulInFirstFour(byte[] bytes, int off, int len) {
    for (int i = off, end = off + Math.min(len, 4); i < end; i++) {
      if (bytes[i] == 0) {
        return true;
      }
    }
    return false;
  }

  private void append(byte[] array, int from, int to) {
    int n = to - from;
    if (n <= 0) {
      return;
    }
    if (buffered + n > buffer.length) {
      // Never more than the limit: a value that passes it is skipped, not kept.
      long wanted = Math.max((long) buffered + n, Math.max(INITIAL_BUFFER, 2L * buffer.length));
      buffer =
          Arrays.copyOf(buffer, (int) Math.min(wanted, Math.max(maxMessageSize, buffered + n)));
    }
    System.arraycopy(array, from, buffer, buffered, n);
    buffered += n;
  }

  private void releaseBuffer() {
    if (buffer.length > KEPT_BUFFER) {
      buffer = new byte[0];
    }
  }
}
