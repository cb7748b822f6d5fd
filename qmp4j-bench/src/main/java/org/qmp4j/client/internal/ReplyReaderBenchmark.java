package org.qmp4j.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.qmp4j.protocol.QmpProtocolException;
import org.qmp4j.protocol.QmpReader;

/**
 * The client's per-reply parse cost: {@link ReplyReader} fed a typical reply from a direct buffer,
 * as the connection's reader does, either whole in one read ({@code whole}) or split across two
 * reads in the middle of its {@code "return"} member ({@code split}, which goes to the liberal
 * reader). {@code fast=false} is the liberal reader alone behind the same class.
 *
 * <p>The class sits in the client's internal package (in this module's jar, on the same class path)
 * because {@code ReplyReader} is package-private; nothing else of the client is used.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 3,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class ReplyReaderBenchmark {

  static final String REPLY =
      "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true},"
          + " \"id\": \"qmp4j-123\"}\r\n";

  @Param({"true", "false"})
  public boolean fast;

  private ReplyReader reader;
  private ByteBuffer buffer;
  private int length;
  private int splitAt;
  private QmpReader.Handler sink;

  @Setup
  public void setUp(Blackhole blackhole) {
    byte[] bytes = REPLY.getBytes(StandardCharsets.US_ASCII);
    length = bytes.length;
    splitAt = REPLY.indexOf("\"singlestep\"");
    buffer = ByteBuffer.allocateDirect(4096);
    buffer.put(bytes);
    reader = new ReplyReader(QmpReader.liberal(), QmpReader.DEFAULT_MAX_MESSAGE_SIZE, 4096, fast);
    JsonNode[] got = new JsonNode[1];
    sink =
        new QmpReader.Handler() {
          @Override
          public void onValue(JsonNode value) {
            got[0] = value;
            blackhole.consume(value);
          }

          @Override
          public void onError(QmpProtocolException error) {
            throw new IllegalStateException("benchmark input rejected", error);
          }
        };
    whole();
    check(got[0]);
    got[0] = null;
    split();
    check(got[0]);
  }

  private static void check(JsonNode value) {
    if (value == null || !"qmp4j-123".equals(value.path("id").asText())) {
      throw new IllegalStateException("reply not read: " + value);
    }
  }

  @Benchmark
  public void whole() {
    buffer.limit(length).position(0);
    reader.feed(buffer, sink);
  }

  @Benchmark
  public void split() {
    buffer.limit(splitAt).position(0);
    reader.feed(buffer, sink);
    buffer.limit(length).position(splitAt);
    reader.feed(buffer, sink);
  }
}
