package org.qmp4j.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.qmp4j.protocol.ReaderHarness.error;
import static org.qmp4j.protocol.ReaderHarness.json;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The harness itself: it must agree with a correct reader and catch chunk-dependent ones. */
class ReaderHarnessTest {

  /** A correct toy reader: one JSON value per LF-terminated line. */
  static final class LineReader implements QmpReader {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    @Override
    public void feed(ByteBuffer bytes, Handler handler) {
      while (bytes.hasRemaining()) {
        byte b = bytes.get();
        if (b == (byte) 0xFF) {
          line.reset();
          handler.onSync();
        } else if (b != '\n') {
          line.write(b);
        } else {
          try {
            handler.onValue(MAPPER.readTree(line.toByteArray()));
          } catch (IOException e) {
            handler.onError(new QmpProtocolException("bad line"));
          }
          line.reset();
        }
      }
    }

    @Override
    public void reset() {
      line.reset();
    }
  }

  /** A broken toy reader: treats every chunk as a whole message. */
  static final class ChunkReader implements QmpReader {
    @Override
    public void feed(ByteBuffer bytes, Handler handler) {
      bytes.position(bytes.limit());
      handler.onError(new QmpProtocolException("chunk"));
    }

    @Override
    public void reset() {}
  }

  /** A broken toy reader: keeps the fed buffer and reads it later. */
  static final class RetainingReader implements QmpReader {
    private ByteBuffer kept;

    @Override
    public void feed(ByteBuffer bytes, Handler handler) {
      if (kept != null) {
        handler.onError(new QmpProtocolException("kept " + (char) kept.get(0)));
      }
      kept = bytes.duplicate();
      bytes.position(bytes.limit());
    }

    @Override
    public void reset() {
      kept = null;
    }
  }

  @Test
  void agreesWithACorrectReader() {
    byte[] input = "{\"a\": 1}\nnope\n?[2]\n".getBytes(StandardCharsets.US_ASCII);
    input[14] = (byte) 0xFF;
    List<Object> got = ReaderHarness.readAllWays(LineReader::new, input);
    assertEquals(
        List.of(json("{\"a\": 1}"), error(QmpProtocolException.class, "bad line"), json("[2]")),
        got.stream().filter(o -> o != ReaderHarness.SYNC).toList());
    assertEquals(4, got.size());
    assertEquals(ReaderHarness.SYNC, got.get(2));
  }

  @Test
  void catchesAChunkDependentReader() {
    assertThrows(AssertionError.class, () -> ReaderHarness.readAllWays(ChunkReader::new, "{}\n"));
  }

  @Test
  void catchesAReaderThatKeepsFedBuffers() {
    assertThrows(AssertionError.class, () -> ReaderHarness.readAllWays(RetainingReader::new, "ab"));
  }
}
