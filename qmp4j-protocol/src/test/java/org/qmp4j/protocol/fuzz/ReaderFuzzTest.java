package org.qmp4j.protocol.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.qmp4j.protocol.JsonSyntaxException;
import org.qmp4j.protocol.QmpProtocolException;
import org.qmp4j.protocol.QmpReader;
import org.qmp4j.protocol.QmpWriter;
import org.qmp4j.protocol.ReaderHarness.Error;
import org.qmp4j.protocol.ReaderHarness.Recorder;

/**
 * Fuzz targets for the codec (Jazzer): the strict reader, the liberal reader, and a write/read
 * round trip. In a normal build each runs once per seed file under {@code
 * src/test/resources/org/qmp4j/protocol/fuzz/ReaderFuzzTestInputs/<target>/} (regression mode);
 * with {@code JAZZER_FUZZ=1} the one target selected with {@code -Dtest=ReaderFuzzTest#<target>} is
 * fuzzed for {@value #FUZZ_DURATION} (see {@code docs/benchmarks.md}, "Fuzzing"). New findings land
 * in that target's seed directory and become regression tests once committed.
 *
 * <p>Input layout: the <b>last byte</b> chooses how the stream is cut into chunks; the liberal
 * target takes the byte before it to choose its size limit; the rest is the stream. So a seed is
 * plain QMP text followed by one layout byte. At most {@value #MAX_INPUT} stream bytes are used and
 * libFuzzer's default {@code -max_len} is 4096: the strict reader legitimately buffers up to 64 MiB
 * per token, and small inputs keep every execution fast and its memory small.
 *
 * <p>The reader targets assert: {@code feed} never throws and consumes all bytes; errors reach the
 * handler as {@link QmpProtocolException}s with a message (the strict reader's are {@link
 * JsonSyntaxException}s); the results are the same whether the bytes come whole, in the fuzzer's
 * chunks (heap or direct buffers), one at a time, again after {@code reset()}, or (strict reader)
 * with a {@code pause()} after every result.
 *
 * <p>Hangs: {@code @Timeout} bounds each input. JUnit enforces it per seed in regression mode; when
 * fuzzing, Jazzer hands it to libFuzzer as {@code -timeout}, and JUnit's own enforcement must be
 * switched off ({@code -Djunit.jupiter.execution.timeout.mode=disabled}) because JUnit would
 * otherwise apply it to the whole fuzzing run, which is a single test invocation.
 */
class ReaderFuzzTest {

  /**
   * How long one target is fuzzed with {@code JAZZER_FUZZ=1}: three targets make about 45 s; under
   * {@code CI=true} the build fuzzes each (profile {@code ci-fuzz}). Longer local runs: add {@code
   * -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-max_total_time=SECONDS} (libFuzzer flags
   * given last win).
   */
  static final String FUZZ_DURATION = "15s";

  /**
   * Time one input may take. An input takes microseconds; the margin is for class loading under
   * Jazzer's agent on a busy machine, most of which {@link #warmUp()} moves out of the timed runs.
   */
  static final int INPUT_TIMEOUT_SECONDS = 30;

  /** Longest stream a target reads; the rest of a longer input is ignored. */
  static final int MAX_INPUT = 1 << 14;

  /** Loads (and lets Jazzer's agent instrument) the codec's classes before any input is timed. */
  @BeforeAll
  static void warmUp() {
    byte[] sample =
        "{\"a\": [1, -2.5e3, 18446744073709551615, 1e400, \"\\u00e9\\n\", true, null]} @ {,}\n"
            .getBytes(StandardCharsets.UTF_8);
    for (QmpReader reader : new QmpReader[] {QmpReader.strict(), QmpReader.liberal()}) {
      for (Object r : feed(reader, sample, new int[] {sample.length}, false)) {
        if (r instanceof JsonNode value) {
          QmpWriter.compact().writeMessage(value);
          QmpWriter.pretty().writeMessage(value);
        }
      }
    }
  }

  @FuzzTest(maxDuration = FUZZ_DURATION)
  @Timeout(value = INPUT_TIMEOUT_SECONDS, unit = TimeUnit.SECONDS)
  void strictReader(FuzzedDataProvider data) {
    int layout = data.consumeInt(0, 255);
    byte[] input = data.consumeBytes(MAX_INPUT);
    List<Object> results = readAllWays(QmpReader::strict, input, layout);
    for (Object r : results) {
      if (r instanceof Error f) {
        // The strict reader speaks QEMU's texts only.
        assertEquals(JsonSyntaxException.class, f.type(), () -> "strict reader error " + f);
      }
    }
    // Pausing after every result and feeding the rest again changes nothing.
    check(results, readPausing(QmpReader.strict(), input), input, "pausing after each result");
  }

  @FuzzTest(maxDuration = FUZZ_DURATION)
  @Timeout(value = INPUT_TIMEOUT_SECONDS, unit = TimeUnit.SECONDS)
  void liberalReader(FuzzedDataProvider data) {
    int layout = data.consumeInt(0, 255);
    // Second byte from the end: below 128 the default limit, else a small one (8 to 1024 bytes)
    // so that the too-large path is fuzzed too.
    int limitChoice = data.consumeInt(0, 255);
    int limit = limitChoice < 128 ? QmpReader.DEFAULT_MAX_MESSAGE_SIZE : (limitChoice - 127) * 8;
    byte[] input = data.consumeBytes(MAX_INPUT);
    readAllWays(() -> QmpReader.liberal(limit), input, layout);
  }

  /**
   * Whatever the strict reader accepts, the writer writes in each of its forms, and both readers
   * read that back as the same value. Numbers compare by value, since QEMU's output form turns
   * {@code 1.0} into {@code 1}; values holding an infinite double are skipped, since QEMU writes
   * those as {@code inf}, which no JSON reader reads.
   */
  @FuzzTest(maxDuration = FUZZ_DURATION)
  @Timeout(value = INPUT_TIMEOUT_SECONDS, unit = TimeUnit.SECONDS)
  void writerRoundTrip(FuzzedDataProvider data) {
    data.consumeInt(0, 255); // the layout byte, unused: keeps the seed format of the readers
    byte[] input = data.consumeBytes(MAX_INPUT);
    for (Object r : feed(QmpReader.strict(), input, new int[] {input.length}, false)) {
      if (r instanceof JsonNode value && isFinite(value)) {
        for (QmpWriter writer :
            new QmpWriter[] {
              QmpWriter.compact(), QmpWriter.pretty(), QmpWriter.guestAgent(), QmpWriter.request()
            }) {
          roundTrip(writer, value);
        }
      }
    }
  }

  private static void roundTrip(QmpWriter writer, JsonNode value) {
    byte[] written = writer.writeMessage(value);
    String terminator = writer.dialect() == QmpWriter.Dialect.QMP ? "\r\n" : "\n";
    String text = new String(written, StandardCharsets.ISO_8859_1);
    assertTrue(text.endsWith(terminator), () -> writer + " wrote no terminator: " + text);
    for (int i = 0; i < written.length; i++) {
      int b = written[i] & 0xFF;
      assertTrue(b >= 0x20 && b < 0x7F || b == '\r' || b == '\n', () -> writer + " wrote " + text);
    }
    if (writer.style() != QmpWriter.Style.PRETTY) {
      assertEquals(
          text.length() - terminator.length(),
          text.replace("\r", "").replace("\n", "").length(),
          () -> writer + " broke a compact line: " + text);
    }
    for (QmpReader reader : new QmpReader[] {QmpReader.strict(), QmpReader.liberal()}) {
      List<Object> back = feed(reader, written, new int[] {written.length}, false);
      assertEquals(1, back.size(), () -> "read back " + back + " from " + writer + ": " + text);
      assertTrue(
          back.get(0) instanceof JsonNode node && sameValue(value, node),
          () -> "read back " + back.get(0) + " from " + writer + ": " + text + " of " + value);
    }
  }

  /** Whether no number in {@code value} is an infinite double. */
  static boolean isFinite(JsonNode value) {
    if (value.isContainerNode()) {
      for (JsonNode child : value) {
        if (!isFinite(child)) {
          return false;
        }
      }
      return true;
    }
    return !value.isFloatingPointNumber() || Double.isFinite(value.doubleValue());
  }

  /** Equality as QEMU sees it after a write and a read: numbers by value, members in any order. */
  static boolean sameValue(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) {
      if (a.isIntegralNumber() && b.isIntegralNumber()) {
        return a.bigIntegerValue().equals(b.bigIntegerValue());
      }
      return a.doubleValue() == b.doubleValue();
    }
    if (a.getNodeType() != b.getNodeType() || a.size() != b.size()) {
      return false;
    }
    if (a.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode other = b.get(e.getKey());
        if (other == null || !sameValue(e.getValue(), other)) {
          return false;
        }
      }
      return true;
    }
    if (a.isArray()) {
      for (int i = 0; i < a.size(); i++) {
        if (!sameValue(a.get(i), b.get(i))) {
          return false;
        }
      }
      return true;
    }
    return a.equals(b);
  }

  /**
   * Feeds {@code input} whole to a reader whose handler pauses it after every result, feeding the
   * unread rest again each time.
   */
  static List<Object> readPausing(QmpReader reader, byte[] input) {
    Recorder recorder =
        new Recorder() {
          @Override
          public void onValue(JsonNode value) {
            super.onValue(value);
            reader.pause();
          }

          @Override
          public void onError(QmpProtocolException error) {
            super.onError(error);
            reader.pause();
          }
        };
    ByteBuffer buffer = ByteBuffer.wrap(input);
    int rounds = 0;
    while (buffer.hasRemaining()) {
      int before = buffer.position();
      int resultsBefore = recorder.results().size();
      reader.feed(buffer, recorder);
      if (buffer.hasRemaining()) {
        // Only a pause may leave bytes unread, and only right after a result was delivered.
        assertTrue(
            recorder.results().size() > resultsBefore,
            "feed stopped at " + buffer.position() + " without delivering a result");
      }
      assertTrue(rounds++ <= input.length, "pausing made no progress at " + before);
    }
    return recorder.results();
  }

  /** Feeds {@code input} several ways, asserts that all agree and returns the common result. */
  static List<Object> readAllWays(Supplier<QmpReader> readers, byte[] input, int layout) {
    List<Object> whole = feed(readers.get(), input, new int[] {input.length}, false);
    List<Object> chunked = feed(readers.get(), input, chunks(input.length, layout), layout >= 128);
    check(whole, chunked, input, "chunked (layout " + layout + ")");
    int[] ones = new int[input.length];
    Arrays.fill(ones, 1);
    check(whole, feed(readers.get(), input, ones, false), input, "one byte at a time");

    QmpReader reused = readers.get();
    feed(reused, input, new int[] {input.length}, false);
    reused.reset();
    check(whole, feed(reused, input, new int[] {input.length}, false), input, "after reset()");
    return whole;
  }

  /**
   * Chunk lengths from the layout byte: bits 0-2 choose the largest chunk (1 to 128 bytes), bit 3
   * allows empty chunks, bits 4-6 seed the sizes; bit 7 (checked by the caller) feeds direct
   * buffers.
   */
  static int[] chunks(int length, int layout) {
    int max = 1 << (layout & 7);
    boolean empties = (layout & 8) != 0;
    Random random = new Random(layout >>> 4);
    List<Integer> sizes = new ArrayList<>();
    int left = length;
    while (left > 0) {
      int n = Math.min(left, empties ? random.nextInt(max + 1) : 1 + random.nextInt(max));
      sizes.add(n);
      left -= n;
    }
    return sizes.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Feeds {@code input} in chunks of the given lengths, each from a buffer of its own. */
  static List<Object> feed(QmpReader reader, byte[] input, int[] chunkLengths, boolean direct) {
    Recorder recorder = new Recorder();
    int off = 0;
    for (int len : chunkLengths) {
      ByteBuffer buffer;
      if (direct) {
        buffer = ByteBuffer.allocateDirect(len);
        buffer.put(input, off, len).flip();
      } else {
        byte[] own = new byte[len + 2];
        System.arraycopy(input, off, own, 1, len);
        buffer = ByteBuffer.wrap(own, 1, len);
      }
      reader.feed(buffer, recorder); // an exception here is a finding
      if (buffer.hasRemaining()) {
        fail("feed left " + buffer.remaining() + " of " + len + " bytes at " + off + " unread");
      }
      if (!direct) {
        // A reader that keeps a reference to fed bytes would now see different ones.
        Arrays.fill(buffer.array(), (byte) '{');
      }
      off += len;
    }
    assertEquals(input.length, off);
    return recorder.results();
  }

  private static void check(List<Object> expected, List<Object> actual, byte[] input, String how) {
    assertTrue(
        expected.equals(actual),
        () ->
            "reading "
                + how
                + " differs from reading whole "
                + preview(input)
                + "\n  whole: "
                + expected
                + "\n  "
                + how
                + ": "
                + actual);
  }

  static String preview(byte[] input) {
    return org.qmp4j.protocol.ReaderHarness.preview(input, 300);
  }
}
