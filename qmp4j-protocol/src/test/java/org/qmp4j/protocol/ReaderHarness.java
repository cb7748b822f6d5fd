package org.qmp4j.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Feeds a {@link QmpReader} the same input cut into chunks in many ways and checks that every way
 * yields the same sequence of results.
 *
 * <p>A result list holds, in stream order: {@link JsonNode} values, {@link Error} records (class
 * and message of each {@link QmpProtocolException}) and {@link #SYNC} for each {@link
 * QmpReader.Handler#onSync()}. Values are compared with {@link JsonNode#equals}.
 *
 * <p>Chunkings: the whole input at once (as a direct buffer too), one byte at a time, every two-way
 * split (for inputs longer than {@value #ALL_SPLITS_LIMIT} bytes only the 64 first and last and 63
 * evenly spaced ones), and {@value #RANDOM_CHUNKINGS} random chunkings with a fixed seed. Every
 * chunk is fed from its own array that is overwritten after {@code feed} returns, so a reader that
 * keeps a reference to fed bytes fails. A {@code feed} that throws, or that leaves bytes
 * unconsumed, fails the test.
 */
public final class ReaderHarness {

  /** Inputs up to this length get every two-way split; longer ones a sample. */
  public static final int ALL_SPLITS_LIMIT = 4096;

  /** How many random chunkings each input gets. */
  public static final int RANDOM_CHUNKINGS = 8;

  private static final long SEED = 0x516d7034L;

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** One error reported through {@link QmpReader.Handler#onError}. */
  public record Error(Class<? extends QmpProtocolException> type, String message) {
    @Override
    public String toString() {
      return type.getSimpleName() + "(" + message + ")";
    }
  }

  /** Marker for one {@link QmpReader.Handler#onSync()} call. */
  public static final Object SYNC =
      new Object() {
        @Override
        public String toString() {
          return "SYNC";
        }
      };

  private ReaderHarness() {}

  /**
   * Feeds {@code input} to fresh readers from {@code readers} in every chunking described above,
   * asserts that all agree, and returns the common result.
   */
  public static List<Object> readAllWays(Supplier<QmpReader> readers, byte[] input) {
    List<Object> expected = readChunked(readers.get(), input, new int[] {input.length});
    check(expected, readDirect(readers.get(), input), input, "whole input, direct buffer");

    int[] single = new int[input.length];
    Arrays.fill(single, 1);
    check(expected, readChunked(readers.get(), input, single), input, "one byte at a time");

    for (int split : splitPoints(input.length)) {
      int[] cuts = {split, input.length - split};
      check(expected, readChunked(readers.get(), input, cuts), input, "split at " + split);
    }

    Random random = new Random(SEED ^ input.length);
    for (int i = 0; i < RANDOM_CHUNKINGS; i++) {
      int[] cuts = randomChunks(random, input.length);
      check(expected, readChunked(readers.get(), input, cuts), input, "chunks " + describe(cuts));
    }

    // The same reader fed the input twice after reset() must answer the same both times.
    QmpReader reused = readers.get();
    readChunked(reused, input, new int[] {input.length});
    reused.reset();
    check(expected, readChunked(reused, input, new int[] {input.length}), input, "after reset()");
    return expected;
  }

  /** {@link #readAllWays(Supplier, byte[])} for UTF-8 text. */
  public static List<Object> readAllWays(Supplier<QmpReader> readers, String input) {
    return readAllWays(readers, input.getBytes(StandardCharsets.UTF_8));
  }

  /** Feeds {@code input} once, whole, and returns what the reader reported. */
  public static List<Object> readOnce(QmpReader reader, byte[] input) {
    return readChunked(reader, input, new int[] {input.length});
  }

  /** Convenience for expectations: a JSON value parsed by plain Jackson. */
  public static JsonNode json(String text) {
    try {
      return MAPPER.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Convenience for expectations: an {@link Error} entry. */
  public static Error error(Class<? extends QmpProtocolException> type, String message) {
    return new Error(type, message);
  }

  /**
   * Collects reader callbacks into a result list; fails on a null value, a null error, or an error
   * without a message.
   */
  public static class Recorder implements QmpReader.Handler {
    private final List<Object> results = new ArrayList<>();

    @Override
    public void onValue(JsonNode value) {
      if (value == null) {
        fail("onValue(null)");
      }
      results.add(value);
    }

    @Override
    public void onError(QmpProtocolException error) {
      if (error == null) {
        fail("onError(null)");
      }
      String message = error.getMessage();
      if (message == null || message.isEmpty()) {
        fail("error without a message: " + error.getClass().getName());
      }
      results.add(new Error(error.getClass(), message));
    }

    @Override
    public void onSync() {
      results.add(SYNC);
    }

    public List<Object> results() {
      return results;
    }
  }

  private static List<Object> readChunked(QmpReader reader, byte[] input, int[] chunkLengths) {
    Recorder recorder = new Recorder();
    int off = 0;
    for (int len : chunkLengths) {
      // Each chunk lives at a non-zero offset of its own array, which is scribbled on afterwards.
      byte[] own = new byte[len + 3];
      System.arraycopy(input, off, own, 2, len);
      ByteBuffer buffer = ByteBuffer.wrap(own, 2, len).slice();
      feed(reader, buffer, recorder, off, len);
      Arrays.fill(own, (byte) '{');
      off += len;
    }
    assertEquals(input.length, off, "harness bug: chunks do not cover the input");
    return recorder.results();
  }

  private static List<Object> readDirect(QmpReader reader, byte[] input) {
    Recorder recorder = new Recorder();
    ByteBuffer buffer = ByteBuffer.allocateDirect(input.length);
    buffer.put(input).flip();
    feed(reader, buffer, recorder, 0, input.length);
    return recorder.results();
  }

  private static void feed(
      QmpReader reader, ByteBuffer buffer, Recorder recorder, int off, int len) {
    try {
      reader.feed(buffer, recorder);
    } catch (RuntimeException | AssertionError e) {
      throw new AssertionError("feed threw on chunk [" + off + ", " + (off + len) + "): " + e, e);
    }
    if (buffer.hasRemaining()) {
      fail("feed left " + buffer.remaining() + " bytes unconsumed of chunk at " + off);
    }
  }

  private static void check(List<Object> expected, List<Object> actual, byte[] input, String how) {
    if (!expected.equals(actual)) {
      fail(
          "reading "
              + how
              + " differs from reading the whole input "
              + preview(input)
              + "\n  whole: "
              + expected
              + "\n  "
              + how
              + ": "
              + actual);
    }
  }

  private static List<Integer> splitPoints(int length) {
    List<Integer> points = new ArrayList<>();
    if (length <= ALL_SPLITS_LIMIT) {
      for (int i = 1; i < length; i++) {
        points.add(i);
      }
      return points;
    }
    for (int i = 1; i <= 64; i++) {
      points.add(i);
      points.add(length - i);
    }
    for (int i = 1; i < 64; i++) {
      points.add((int) ((long) length * i / 64));
    }
    return points;
  }

  private static int[] randomChunks(Random random, int length) {
    List<Integer> lengths = new ArrayList<>();
    int left = length;
    while (left > 0) {
      int max = random.nextInt(4) == 0 ? 64 : 8;
      int n = Math.min(left, 1 + random.nextInt(max));
      lengths.add(n);
      left -= n;
    }
    return lengths.stream().mapToInt(Integer::intValue).toArray();
  }

  private static String describe(int[] cuts) {
    if (cuts.length > 40) {
      return Arrays.toString(Arrays.copyOf(cuts, 40)) + "...";
    }
    return Arrays.toString(cuts);
  }

  /** The first bytes of {@code input} as readable text, for failure messages. */
  public static String preview(byte[] input) {
    return preview(input, 200);
  }

  /** The first {@code max} bytes of {@code input} as readable text, for failure messages. */
  public static String preview(byte[] input, int max) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < Math.min(input.length, max); i++) {
      int b = input[i] & 0xFF;
      if (b >= 0x20 && b < 0x7F && b != '\\' && b != '"') {
        sb.append((char) b);
      } else {
        sb.append(String.format("\\x%02x", b));
      }
    }
    if (input.length > max) {
      sb.append("...(").append(input.length).append(" bytes)");
    }
    return sb.append('"').toString();
  }
}
