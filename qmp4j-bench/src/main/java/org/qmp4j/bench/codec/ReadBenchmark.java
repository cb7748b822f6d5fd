package org.qmp4j.bench.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;
import org.qmp4j.protocol.QmpProtocolException;
import org.qmp4j.protocol.QmpReader;

/**
 * Reading one whole message: the strict (server) reader, the liberal (client) reader, and Jackson's
 * own parser on the same bytes as the baseline. Each reader lives for the whole trial, as it would
 * for one connection, and is fed one complete message per operation.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(
    value = 2,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class ReadBenchmark {

  @Param({"request", "event", "schema"})
  public String message;

  private byte[] bytes;
  private QmpReader strict;
  private QmpReader liberal;
  private final ObjectMapper mapper = new ObjectMapper();
  private Sink sink;

  /** Passes values to the blackhole; an error means the benchmark measures the wrong thing. */
  static final class Sink implements QmpReader.Handler {
    private final Blackhole blackhole;

    Sink(Blackhole blackhole) {
      this.blackhole = blackhole;
    }

    @Override
    public void onValue(JsonNode value) {
      blackhole.consume(value);
    }

    @Override
    public void onError(QmpProtocolException error) {
      throw new IllegalStateException("benchmark input rejected: " + error.getMessage(), error);
    }
  }

  @Setup(Level.Trial)
  public void setUp(Blackhole blackhole, BenchmarkParams params) throws IOException {
    bytes = Messages.bytes(message);
    strict = QmpReader.strict();
    liberal = QmpReader.liberal();
    sink = new Sink(blackhole);
    // Every reader must see exactly the value Jackson sees, or the comparison is void.
    JsonNode expected = mapper.readTree(bytes);
    // (Only the reader this trial measures, so one unfinished reader does not stop the others.)
    String benchmark = params.getBenchmark();
    if (benchmark.endsWith(".strict")) {
      check("strict", QmpReader.strict(), expected);
    } else if (benchmark.endsWith(".liberal")) {
      check("liberal", QmpReader.liberal(), expected);
    }
  }

  private void check(String name, QmpReader reader, JsonNode expected) {
    JsonNode[] got = new JsonNode[1];
    reader.feed(
        bytes,
        new QmpReader.Handler() {
          @Override
          public void onValue(JsonNode value) {
            got[0] = value;
          }

          @Override
          public void onError(QmpProtocolException error) {
            throw new IllegalStateException(name + " reader rejected " + message, error);
          }
        });
    if (!expected.equals(got[0])) {
      throw new IllegalStateException(name + " reader read " + message + " differently");
    }
  }

  @Benchmark
  public void strict() {
    strict.feed(bytes, sink);
  }

  @Benchmark
  public void liberal() {
    liberal.feed(bytes, sink);
  }

  @Benchmark
  public JsonNode jackson() throws IOException {
    return mapper.readTree(bytes);
  }
}
