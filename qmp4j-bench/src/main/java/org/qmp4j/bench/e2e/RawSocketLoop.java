package org.qmp4j.bench.e2e;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * The floor of QMP round-trip cost: a raw socket loop with no JSON library at all. It negotiates,
 * then sends the same command again and again and counts reply lines (a compact QMP peer ends each
 * message with one line break and has none inside), so what it measures is the peer plus the
 * kernel.
 *
 * <p>Two modes per run: <b>sequential</b> (one request in flight: send, wait for the reply, repeat)
 * and <b>pipelined</b> (a window of requests in flight; each reply lets one more go). It prints
 * operations per second and the latency percentiles of single round trips (send to reply).
 *
 * <pre>
 * java -cp benchmarks.jar org.qmp4j.bench.e2e.RawSocketLoop ADDR [--count N] [--warmup N]
 *     [--window W] [--mode sequential|pipelined|both] [--command JSON]
 * ADDR: unix:PATH | PATH | tcp:HOST:PORT | HOST:PORT
 * </pre>
 *
 * <p>The peer must send no events while it runs (QEMU started with {@code -S -machine none} does
 * not) and must answer in order, as QMP does for in-band commands.
 */
public final class RawSocketLoop implements AutoCloseable {

  private final SocketChannel channel;
  private final ByteBuffer in = ByteBuffer.allocateDirect(1 << 16);
  private final ByteBuffer out = ByteBuffer.allocateDirect(1 << 16);
  private final byte[] request;
  private int pendingLines; // line breaks read but not yet consumed

  private RawSocketLoop(SocketChannel channel, byte[] request) {
    this.channel = channel;
    this.request = request;
    in.flip();
  }

  /** Options of one run. */
  record Options(String address, int count, int warmup, int window, String mode, String command) {}

  public static void main(String[] args) throws IOException {
    Options o = parse(args);
    byte[] request = (o.command() + "\r\n").getBytes(StandardCharsets.UTF_8);
    System.out.printf(
        Locale.ROOT,
        "peer %s, command %s, %d round trips per mode after %d warm-up%n",
        o.address(),
        o.command(),
        o.count(),
        o.warmup());
    if (!o.mode().equals("pipelined")) {
      try (RawSocketLoop loop = connect(o.address(), request)) {
        loop.sequential(o.warmup());
        report("sequential", loop.sequential(o.count()));
      }
    }
    if (!o.mode().equals("sequential")) {
      try (RawSocketLoop loop = connect(o.address(), request)) {
        loop.pipelined(o.warmup(), o.window());
        report("pipelined window " + o.window(), loop.pipelined(o.count(), o.window()));
      }
    }
  }

  private static Options parse(String[] args) {
    if (args.length == 0) {
      usage();
    }
    String address = null;
    int count = 100_000;
    int warmup = 20_000;
    int window = 64;
    String mode = "both";
    String command = "{\"execute\":\"query-status\"}";
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.startsWith("--") && i + 1 >= args.length) {
        usage();
      }
      switch (a) {
        case "--count":
          count = Integer.parseInt(args[++i]);
          break;
        case "--warmup":
          warmup = Integer.parseInt(args[++i]);
          break;
        case "--window":
          window = Integer.parseInt(args[++i]);
          break;
        case "--mode":
          mode = args[++i];
          break;
        case "--command":
          command = args[++i];
          break;
        default:
          if (a.startsWith("--") || address != null) {
            usage();
          }
          address = a;
      }
    }
    if (address == null
        || count < 1
        || warmup < 0
        || window < 1
        || !(mode.equals("both") || mode.equals("sequential") || mode.equals("pipelined"))) {
      usage();
    }
    return new Options(address, count, warmup, window, mode, command);
  }

  private static void usage() {
    System.err.println(
        "usage: RawSocketLoop ADDR [--count N] [--warmup N] [--window W]"
            + " [--mode sequential|pipelined|both] [--command JSON]\n"
            + "ADDR: unix:PATH | PATH | tcp:HOST:PORT | HOST:PORT");
    System.exit(2);
  }

  static SocketAddress address(String text) {
    if (text.startsWith("unix:")) {
      return UnixDomainSocketAddress.of(text.substring(5));
    }
    String hostPort = text.startsWith("tcp:") ? text.substring(4) : text;
    int colon = hostPort.lastIndexOf(':');
    if (!text.startsWith("tcp:") && (colon < 0 || hostPort.contains("/"))) {
      return UnixDomainSocketAddress.of(text);
    }
    return new InetSocketAddress(
        hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }

  private static RawSocketLoop connect(String text, byte[] request) throws IOException {
    SocketAddress address = address(text);
    SocketChannel channel = SocketChannel.open(address);
    if (address instanceof InetSocketAddress) {
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    }
    RawSocketLoop loop = new RawSocketLoop(channel, request);
    loop.awaitLines(1); // greeting
    loop.write("{\"execute\":\"qmp_capabilities\"}\r\n".getBytes(StandardCharsets.UTF_8), 1);
    loop.awaitLines(1);
    return loop;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** One request at a time; returns per-request latencies in nanoseconds and the elapsed time. */
  private Result sequential(int count) throws IOException {
    long[] latencies = new long[count];
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      long t0 = System.nanoTime();
      write(request, 1);
      awaitLines(1);
      latencies[i] = System.nanoTime() - t0;
    }
    return new Result(count, System.nanoTime() - start, latencies);
  }

  /**
   * Keeps {@code window} requests in flight. Replies come in order, so the n-th reply answers the
   * n-th request and its latency is measured from that request's send time.
   */
  private Result pipelined(int count, int window) throws IOException {
    long[] sent = new long[count];
    long[] latencies = new long[count];
    int issued = 0;
    int answered = 0;
    long start = System.nanoTime();
    while (answered < count) {
      int batch = Math.min(window - (issued - answered), count - issued);
      if (batch > 0) {
        long now = System.nanoTime();
        for (int k = 0; k < batch; k++) {
          sent[issued + k] = now;
        }
        write(request, batch);
        issued += batch;
      }
      int got = readLines();
      long now = System.nanoTime();
      for (int k = 0; k < got; k++) {
        latencies[answered] = now - sent[answered];
        answered++;
      }
    }
    return new Result(count, System.nanoTime() - start, latencies);
  }

  /** Writes {@code times} copies of {@code bytes} in as few system calls as the buffer allows. */
  private void write(byte[] bytes, int times) throws IOException {
    out.clear();
    for (int k = 0; k < times; k++) {
      if (out.remaining() < bytes.length) {
        flush();
      }
      out.put(bytes);
    }
    flush();
  }

  private void flush() throws IOException {
    out.flip();
    while (out.hasRemaining()) {
      channel.write(out);
    }
    out.clear();
  }

  private void awaitLines(int lines) throws IOException {
    while (pendingLines < lines) {
      fill();
    }
    pendingLines -= lines;
  }

  /** Blocks until at least one full line is available; returns and consumes all full lines. */
  private int readLines() throws IOException {
    while (pendingLines == 0) {
      fill();
    }
    int n = pendingLines;
    pendingLines = 0;
    return n;
  }

  private void fill() throws IOException {
    in.clear();
    int n = channel.read(in);
    if (n < 0) {
      throw new IOException("peer closed the connection");
    }
    in.flip();
    while (in.hasRemaining()) {
      if (in.get() == '\n') {
        pendingLines++;
      }
    }
  }

  /** Outcome of one mode. */
  record Result(int count, long elapsedNanos, long[] latencies) {}

  private static void report(String mode, Result r) {
    long[] sorted = r.latencies().clone();
    Arrays.sort(sorted);
    double seconds = r.elapsedNanos() / 1e9;
    System.out.printf(
        Locale.ROOT,
        "%-22s %10.0f ops/s   p50 %8.1f us   p99 %8.1f us   p99.9 %8.1f us   max %8.1f us%n",
        mode,
        r.count() / seconds,
        percentile(sorted, 0.50) / 1e3,
        percentile(sorted, 0.99) / 1e3,
        percentile(sorted, 0.999) / 1e3,
        sorted[sorted.length - 1] / 1e3);
  }

  private static long percentile(long[] sorted, double p) {
    int index = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }
}
