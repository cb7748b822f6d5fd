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
import org.qmp4j.protocol.QmpWriter;

/**
 * Writing one message in QEMU's compact form, with Jackson's own compact writer on the same tree as
 * the baseline. {@code compact} returns a fresh array (like Jackson's {@code writeValueAsBytes});
 * {@code compactBuffer} appends to a buffer kept across calls, as a connection would.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(
    value = 2,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class WriteBenchmark {

  @Param({"request", "event", "schema"})
  public String message;

  private JsonNode value;
  private final QmpWriter writer = QmpWriter.compact();
  private final QmpWriter.Buffer buffer = new QmpWriter.Buffer();
  private final ObjectMapper mapper = new ObjectMapper();

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    value = mapper.readTree(Messages.bytes(message));
    // The writer's output must read back as the same value, or the comparison is void.
    if (!mapper.readTree(writer.writeMessage(value)).equals(value)) {
      throw new IllegalStateException("QmpWriter changed " + message);
    }
  }

  @Benchmark
  public byte[] compact() {
    return writer.writeMessage(value);
  }

  @Benchmark
  public int compactBuffer() {
    buffer.clear();
    writer.writeMessage(value, buffer);
    return buffer.length();
  }

  @Benchmark
  public byte[] jackson() throws IOException {
    return mapper.writeValueAsBytes(value);
  }
}
