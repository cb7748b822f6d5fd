package org.qmp4j.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import org.qmp4j.protocol.internal.LiberalJsonReader;
import org.qmp4j.protocol.internal.StrictJsonReader;

/**
 * A push-fed reader of the QMP byte stream: bytes in, JSON values and errors out. No blocking, no
 * threads, no I/O. Feed it whatever arrives, in chunks of any size; it calls the handler once per
 * complete value or error, in stream order, before {@code feed} returns.
 *
 * <p>A reader is not thread-safe: one connection, one reader, one thread at a time.
 *
 * <p>Two flavours share this contract:
 *
 * <ul>
 *   <li>{@link #strict()}, for servers: QEMU's input language, framing, limits, error texts and
 *       error recovery, exactly.
 *   <li>{@link #liberal()}, for clients: anything a real QEMU or guest agent sends (CRLF or LF,
 *       pretty output, a leading 0xFF sync byte), with a bounded message size.
 * </ul>
 *
 * <p>Bad input never makes {@code feed} throw: it becomes a {@link QmpProtocolException} passed to
 * {@link Handler#onError}, and the reader keeps its place.
 */
public interface QmpReader {

  /** Default maximum message size of the liberal reader: 10 MiB, as libvirt and qemu.qmp use. */
  int DEFAULT_MAX_MESSAGE_SIZE = 10 << 20;

  /** Receives what a reader finds. Called on the thread that calls {@code feed}. */
  interface Handler {
    /** One complete JSON value (for QMP, normally an object). */
    void onValue(JsonNode value);

    /**
     * Input that is not a JSON value, or that broke a limit. For the strict reader this is a {@link
     * JsonSyntaxException} whose message is QEMU's {@code desc}.
     */
    void onError(QmpProtocolException error);

    /**
     * The liberal reader saw a 0xFF sync byte (sent by the guest agent ahead of the reply to {@code
     * guest-sync-delimited}) and discarded any partial input before it. Default: nothing.
     */
    default void onSync() {}
  }

  /**
   * Feeds the remaining bytes of {@code bytes}. Consumes all of them, unless a handler callback
   * calls {@link #pause()}: then the buffer's position is left at the first byte not read.
   */
  void feed(ByteBuffer bytes, Handler handler);

  /**
   * Feeds {@code len} bytes of {@code bytes} from {@code off}; returns how many were consumed
   * (fewer than {@code len} only if a handler callback called {@link #pause()}).
   */
  default int feed(byte[] bytes, int off, int len, Handler handler) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes, off, len);
    feed(buffer, handler);
    return buffer.position() - off;
  }

  /** Feeds all of {@code bytes}. */
  default void feed(byte[] bytes, Handler handler) {
    feed(bytes, 0, bytes.length, handler);
  }

  /**
   * Called from a {@link Handler} callback: makes the running {@code feed} return right after the
   * value or error being delivered, leaving the rest of the input unread. A server uses this for
   * flow control, as QEMU's monitor stops reading when its request queue is full. Readers that do
   * not support it throw {@link UnsupportedOperationException}.
   */
  default void pause() {
    throw new UnsupportedOperationException("this reader cannot pause");
  }

  /** Forgets any partial input, as QEMU does when a client disconnects. */
  void reset();

  /** A new reader with QEMU 7.2's input language and behaviour exactly. */
  static QmpReader strict() {
    return new StrictJsonReader();
  }

  /** A new client-side reader with the default maximum message size. */
  static QmpReader liberal() {
    return liberal(DEFAULT_MAX_MESSAGE_SIZE);
  }

  /** A new client-side reader that rejects messages longer than {@code maxMessageSize} bytes. */
  static QmpReader liberal(int maxMessageSize) {
    return new LiberalJsonReader(maxMessageSize);
  }
}
