package org.qmp4j.bench.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.qmp4j.client.EventStream;
import org.qmp4j.client.QmpClient;
import org.qmp4j.client.QmpCommand;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.protocol.QmpWriter;
import org.qmp4j.transport.QmpAddress;

/**
 * End-to-end client benchmark: the qmp4j client next to a raw socket loop, against one peer, in one
 * run. For each mode it prints operations per second and, for sequential modes, the p50 and p99
 * round-trip latency; then the ratios client/raw.
 *
 * <ul>
 *   <li><b>raw-seq</b> / <b>client-seq</b>: one command in flight (blocking {@code execute});
 *       <b>client-seq-reader</b>: the same with the client's leader/follower reading off.
 *   <li><b>raw-pipe</b> / <b>client-pipe</b>: a window of commands in flight ({@code executeAsync}
 *       futures; each reply lets one more go).
 *   <li><b>events-server</b> (with {@code --emit}): the peer's {@code __org.qmp4j_bench-emit}
 *       command (qmp4j's BenchServer) sends N events into one subscription.
 *   <li><b>events-blast</b> (with {@code --blast N}): an in-process fake peer writes N pre-encoded
 *       events as fast as the socket takes them into one subscription; measures what the client can
 *       ingest.
 * </ul>
 *
 * <pre>
 * java -cp benchmarks.jar org.qmp4j.bench.client.ClientBench ADDR [--count N] [--warmup N]
 *     [--window W] [--rounds R] [--command NAME] [--emit N] [--blast N] [--oob true|false]
 *     [--raw-request spaced|dense|client] [--seq-only true] [--in-band-window N]
 * </pre>
 *
 * The peer must answer {@code --command} (default {@code query-status}) and send no events of its
 * own while the command modes run (QEMU {@code -S -machine none} does not).
 */
public final class ClientBench {

  record Options(
      String address,
      int count,
      int warmup,
      int window,
      int rounds,
      String command,
      int emit,
      int blast) {}

  record Result(String mode, int count, long elapsedNanos, long[] latencies) {
    double opsPerSecond() {
      return count * 1e9 / elapsedNanos;
    }

    long percentile(double p) {
      if (latencies == null) {
        return -1;
      }
      long[] sorted = latencies.clone();
      Arrays.sort(sorted);
      int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
  }

  private ClientBench() {}

  public static void main(String[] args) throws Exception {
    Options o = parse(args);
    System.out.printf(
        Locale.ROOT,
        "peer %s, command %s, %d operations per mode after %d warm-up, window %d, best of %d"
            + " rounds%n",
        o.address(),
        o.command(),
        o.count(),
        o.warmup(),
        o.window(),
        o.rounds());
    Result rawSeq = null;
    Result cliSeq = null;
    Result rdSeq = null;
    Result cbSeq = null;
    Result rawPipe = null;
    Result cliPipe = null;
    Result cbPipe = null;
    List<double[]> roundRatios = new ArrayList<>();
    for (int r = 0; r < o.rounds(); r++) {
      Result raw = rawSequential(o);
      Result cli = clientSequential(o, true);
      Result rd = clientSequential(o, false);
      double[] ratio = {
        cli.percentile(50) / (double) raw.percentile(50),
        cli.percentile(99) / (double) raw.percentile(99),
        rd.percentile(50) / (double) raw.percentile(50),
        rd.percentile(99) / (double) raw.percentile(99)
      };
      roundRatios.add(ratio);
      System.out.printf(
          Locale.ROOT,
          "round %d: raw-seq p50 %.1f p99 %.1f us; client-seq p50 %.1f p99 %.1f us (%.2fx, %.2fx);"
              + " client-seq-reader p50 %.1f p99 %.1f us (%.2fx, %.2fx)%n",
          r + 1,
          raw.percentile(50) / 1e3,
          raw.percentile(99) / 1e3,
          cli.percentile(50) / 1e3,
          cli.percentile(99) / 1e3,
          ratio[0],
          ratio[1],
          rd.percentile(50) / 1e3,
          rd.percentile(99) / 1e3,
          ratio[2],
          ratio[3]);
      rawSeq = best(rawSeq, raw, true);
      cliSeq = best(cliSeq, cli, true);
      rdSeq = best(rdSeq, rd, true);
      if (seqOnly) {
        continue;
      }
      cbSeq = best(cbSeq, clientChained(o, 1), true);
      rawPipe = best(rawPipe, rawPipelined(o), false);
      cliPipe = best(cliPipe, clientPipelined(o), false);
      cbPipe = best(cbPipe, clientChained(o, o.window()), false);
    }
    if (seqOnly) {
      for (Result r : List.of(rawSeq, cliSeq, rdSeq)) {
        report(r);
      }
      printMedianRatios(roundRatios);
      return;
    }
    List<Result> all =
        new ArrayList<>(List.of(rawSeq, cliSeq, rdSeq, cbSeq, rawPipe, cliPipe, cbPipe));
    if (o.emit() > 0) {
      Result e = null;
      for (int r = 0; r < o.rounds(); r++) {
        e = best(e, serverEvents(o), false);
      }
      all.add(e);
    }
    if (o.blast() > 0) {
      Result e = null;
      for (int r = 0; r < o.rounds(); r++) {
        e = best(e, blastEvents(o.blast()), false);
      }
      all.add(e);
    }
    for (Result r : all) {
      report(r);
    }
    printMedianRatios(roundRatios);
    System.out.printf(
        Locale.ROOT,
        "ratios: client-seq/raw-seq p50 %.2fx, p99 %.2fx; client-seq-reader/raw-seq p50 %.2fx,"
            + " p99 %.2fx; chained-seq/raw-seq p50 %.2fx, p99"
            + " %.2fx; client-pipe/raw-pipe %.1f%%; chained-pipe/raw-pipe %.1f%%%n",
        cliSeq.percentile(50) / (double) rawSeq.percentile(50),
        cliSeq.percentile(99) / (double) rawSeq.percentile(99),
        rdSeq.percentile(50) / (double) rawSeq.percentile(50),
        rdSeq.percentile(99) / (double) rawSeq.percentile(99),
        cbSeq.percentile(50) / (double) rawSeq.percentile(50),
        cbSeq.percentile(99) / (double) rawSeq.percentile(99),
        100 * cliPipe.opsPerSecond() / rawPipe.opsPerSecond(),
        100 * cbPipe.opsPerSecond() / rawPipe.opsPerSecond());
  }

  /** The median over rounds of each per-round client/raw ratio. */
  private static void printMedianRatios(List<double[]> roundRatios) {
    System.out.printf(
        Locale.ROOT,
        "median of per-round ratios (%d rounds): client-seq/raw-seq p50 %.2fx, p99 %.2fx;"
            + " client-seq-reader/raw-seq p50 %.2fx, p99 %.2fx%n",
        roundRatios.size(),
        median(roundRatios, 0),
        median(roundRatios, 1),
        median(roundRatios, 2),
        median(roundRatios, 3));
  }

  private static double median(List<double[]> rows, int column) {
    double[] v = rows.stream().mapToDouble(r -> r[column]).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** For sequential modes the run with the lower p50 wins, otherwise the faster one. */
  private static Result best(Result a, Result b, boolean latency) {
    if (a == null) {
      return b;
    }
    if (latency) {
      return b.percentile(50) < a.percentile(50) ? b : a;
    }
    return b.opsPerSecond() > a.opsPerSecond() ? b : a;
  }

  private static void report(Result r) {
    if (r.latencies() == null) {
      System.out.printf(
          Locale.ROOT,
          "%-14s %10.0f ops/s  (%d in %.3f s)%n",
          r.mode(),
          r.opsPerSecond(),
          r.count(),
          r.elapsedNanos() / 1e9);
    } else {
      System.out.printf(
          Locale.ROOT,
          "%-14s %10.0f ops/s  p50 %7.1f us  p99 %7.1f us%n",
          r.mode(),
          r.opsPerSecond(),
          r.percentile(50) / 1e3,
          r.percentile(99) / 1e3);
    }
  }

  // ------------------------------------------------------------------ the client

  /** Whether the client and the raw loop negotiate OOB when offered ({@code --oob false}: not). */
  private static boolean oob = true;

  /** The client's in-band window while OOB is on ({@code --in-band-window N}; default QMP's 8). */
  private static int inBandWindow = QmpClient.DEFAULT_IN_BAND_WINDOW;

  /**
   * The raw loop's request ({@code --raw-request}): {@code spaced} (default), QEMU's own spacing
   * without an id, {@code {"execute": "query-status"}} and CRLF; {@code dense}, the same without
   * whitespace and with a bare LF; {@code client}, the bytes the client sends for that command with
   * a six-digit id ({@code --raw-id true} is the same). QEMU reads requests one byte per main-loop
   * iteration, so against QEMU the form decides the raw loop's rate.
   */
  private static String rawRequest = "spaced";

  /** Only the sequential modes raw-seq, client-seq, client-seq-reader ({@code --seq-only true}). */
  private static boolean seqOnly;

  private static QmpClient connect(String address) {
    return QmpClient.newBuilder()
        .address(address)
        .oob(oob)
        .inBandWindow(inBandWindow)
        .connectTimeout(Duration.ofSeconds(30))
        .connect();
  }

  /**
   * Blocking {@code execute} in a loop. {@code leaderFollower} false: with the client's
   * leader/follower reading switched off (its system property, read when a connection opens), the
   * reader thread reads every reply and wakes the caller: mode client-seq-reader.
   */
  private static Result clientSequential(Options o, boolean leaderFollower) {
    String property = "qmp4j.client.leaderFollower";
    System.setProperty(property, String.valueOf(leaderFollower));
    QmpClient client;
    try {
      client = connect(o.address());
    } finally {
      System.clearProperty(property);
    }
    try (QmpClient c = client) {
      QmpCommand cmd = QmpCommand.of(o.command());
      for (int i = 0; i < o.warmup(); i++) {
        c.execute(cmd);
      }
      long[] lat = new long[o.count()];
      long start = System.nanoTime();
      for (int i = 0; i < o.count(); i++) {
        long t = System.nanoTime();
        c.execute(cmd);
        lat[i] = System.nanoTime() - t;
      }
      return new Result(
          leaderFollower ? "client-seq" : "client-seq-reader",
          o.count(),
          System.nanoTime() - start,
          lat);
    }
  }

  private static Result clientPipelined(Options o) {
    try (QmpClient c = connect(o.address())) {
      QmpCommand cmd = QmpCommand.of(o.command());
      runWindow(c, cmd, o.warmup(), o.window());
      long start = System.nanoTime();
      runWindow(c, cmd, o.count(), o.window());
      return new Result("client-pipe" + o.window(), o.count(), System.nanoTime() - start, null);
    }
  }

  @SuppressWarnings("unchecked")
  private static void runWindow(QmpClient c, QmpCommand cmd, int count, int window) {
    CompletableFuture<JsonNode>[] ring = new CompletableFuture[window];
    for (int i = 0; i < count; i++) {
      int slot = i % window;
      if (ring[slot] != null) {
        ring[slot].join();
      }
      ring[slot] = c.executeAsync(cmd);
    }
    for (CompletableFuture<JsonNode> f : ring) {
      if (f != null) {
        f.join();
      }
    }
  }

  /** Runs stages in the thread that completes the future: the caller's explicit choice. */
  private static final java.util.concurrent.Executor DIRECT = Runnable::run;

  /**
   * Callback-chained: each completion sends the next command from the completing thread (the
   * connection's reader, through an explicit direct executor), keeping {@code window} in flight.
   * With window 1 it records each round trip.
   */
  private static Result clientChained(Options o, int window) throws InterruptedException {
    try (QmpClient c = connect(o.address())) {
      QmpCommand cmd = QmpCommand.of(o.command());
      chain(c, cmd, o.warmup(), window, null);
      long[] lat = window == 1 ? new long[o.count()] : null;
      long start = System.nanoTime();
      chain(c, cmd, o.count(), window, lat);
      return new Result(
          window == 1 ? "chained-seq" : "chained-pipe" + window,
          o.count(),
          System.nanoTime() - start,
          lat);
    }
  }

  private static void chain(QmpClient c, QmpCommand cmd, int count, int window, long[] lat)
      throws InterruptedException {
    java.util.concurrent.atomic.AtomicInteger sent =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger done =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicReference<Throwable> failure =
        new java.util.concurrent.atomic.AtomicReference<>();
    Runnable[] next = new Runnable[1];
    next[0] =
        () -> {
          int i = sent.getAndIncrement();
          if (i >= count) {
            return;
          }
          long t = System.nanoTime();
          c.executeAsync(cmd)
              .whenCompleteAsync(
                  (r, e) -> {
                    if (lat != null) {
                      lat[i] = System.nanoTime() - t;
                    }
                    if (e != null) {
                      failure.set(e);
                      finished.countDown();
                      return;
                    }
                    if (done.incrementAndGet() == count) {
                      finished.countDown();
                    } else {
                      next[0].run();
                    }
                  },
                  DIRECT);
        };
    for (int i = 0; i < window; i++) {
      next[0].run();
    }
    finished.await();
    if (failure.get() != null) {
      throw new IllegalStateException(failure.get());
    }
  }

  private static Result serverEvents(Options o) {
    try (QmpClient c = connect(o.address());
        EventStream events = c.events().capacity(o.emit()).stream()) {
      long start = System.nanoTime();
      c.execute(QmpCommand.of("__org.qmp4j_bench-emit", Map.of("count", o.emit())));
      for (int i = 0; i < o.emit(); i++) {
        events.poll(Duration.ofSeconds(30)).orElseThrow();
      }
      return new Result("events-server", o.emit(), System.nanoTime() - start, null);
    }
  }

  /** A fake peer that greets, negotiates, then writes {@code n} events as fast as it can. */
  private static Result blastEvents(int n) throws Exception {
    Path dir = Files.createTempDirectory("qmp4j-blast");
    Path sock = dir.resolve("blast.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(sock));
      byte[] events = encodeEvents(n);
      Thread peer =
          new Thread(
              () -> {
                try (SocketChannel ch = server.accept()) {
                  write(
                      ch,
                      "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\":"
                          + " 7}, \"package\": \"\"}, \"capabilities\": []}}\r\n");
                  String caps = readLine(ch);
                  String id = caps.replaceAll(".*\"id\": *(\"[^\"]*\"|[0-9]+).*", "$1");
                  write(ch, "{\"return\": {}, \"id\": " + id + "}\r\n");
                  ByteBuffer b = ByteBuffer.wrap(events);
                  while (b.hasRemaining()) {
                    ch.write(b);
                  }
                  readLine(ch); // until the client goes
                } catch (IOException e) {
                  // client closed
                }
              },
              "blast-peer");
      peer.setDaemon(true);
      peer.start();
      try (QmpClient c = QmpClient.newBuilder().address(QmpAddress.unix(sock)).build();
          EventStream stream = c.events().capacity(n).stream()) {
        c.connect();
        QmpEvent first = stream.poll(Duration.ofSeconds(30)).orElseThrow();
        long start = System.nanoTime();
        for (int i = 1; i < n; i++) {
          stream.poll(Duration.ofSeconds(30)).orElseThrow();
        }
        long elapsed = System.nanoTime() - start;
        if (first.data().get("n").asInt() != 0) {
          throw new IllegalStateException("events out of order");
        }
        return new Result("events-blast", n - 1, elapsed, null);
      }
    } finally {
      Files.deleteIfExists(sock);
      Files.deleteIfExists(dir);
    }
  }

  private static byte[] encodeEvents(int n) {
    StringBuilder sb = new StringBuilder(n * 110);
    for (int i = 0; i < n; i++) {
      sb.append("{\"timestamp\": {\"seconds\": 1795285026, \"microseconds\": ")
          .append(100000 + i % 900000)
          .append("}, \"event\": \"BLOCK_JOB_PENDING\", \"data\": {\"type\": \"backup\", \"n\": ")
          .append(i)
          .append("}}\r\n");
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  // ------------------------------------------------------------------ the raw loop

  /** No JSON library: writes fixed bytes, counts line breaks (compact QMP: one per message). */
  private static final class Raw implements AutoCloseable {
    final SocketChannel ch;
    final ByteBuffer in = ByteBuffer.allocateDirect(1 << 16);
    final ByteBuffer out;
    int pendingLines;

    Raw(String address, String command) throws IOException {
      SocketAddress a = socketAddress(address);
      ch = SocketChannel.open(a);
      String greeting = readLine(ch);
      // Negotiated as the client does (--oob): with OOB on, QEMU reads requests ahead of running
      // them (up to eight), without it one at a time, which halves its pipelined rate.
      boolean enableOob = oob && greeting.contains("\"oob\"");
      write(
          ch,
          enableOob
              ? "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}\r\n"
              : "{\"execute\": \"qmp_capabilities\"}\r\n");
      readLine(ch);
      byte[] req = rawRequestBytes(command);
      out = ByteBuffer.allocateDirect(req.length);
      out.put(req).flip();
      in.flip();
    }

    static byte[] rawRequestBytes(String command) {
      switch (rawRequest) {
        case "spaced":
          return ("{\"execute\": \"" + command + "\"}\r\n").getBytes(StandardCharsets.US_ASCII);
        case "dense":
          return ("{\"execute\":\"" + command + "\"}\n").getBytes(StandardCharsets.US_ASCII);
        case "client":
          ObjectNode request = QmpJson.objectNode();
          request.put("execute", command);
          request.put("id", 123456);
          return QmpWriter.request().writeMessage(request);
        default:
          throw new IllegalArgumentException(
              "--raw-request: spaced, dense or client, not " + rawRequest);
      }
    }

    void send() throws IOException {
      out.rewind();
      while (out.hasRemaining()) {
        ch.write(out);
      }
    }

    void awaitLine() throws IOException {
      while (pendingLines == 0) {
        in.clear();
        if (ch.read(in) < 0) {
          throw new IOException("peer closed");
        }
        in.flip();
        while (in.hasRemaining()) {
          if (in.get() == '\n') {
            pendingLines++;
          }
        }
      }
      pendingLines--;
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }

  private static Result rawSequential(Options o) throws IOException {
    try (Raw raw = new Raw(o.address(), o.command())) {
      for (int i = 0; i < o.warmup(); i++) {
        raw.send();
        raw.awaitLine();
      }
      long[] lat = new long[o.count()];
      long start = System.nanoTime();
      for (int i = 0; i < o.count(); i++) {
        long t = System.nanoTime();
        raw.send();
        raw.awaitLine();
        lat[i] = System.nanoTime() - t;
      }
      return new Result("raw-seq", o.count(), System.nanoTime() - start, lat);
    }
  }

  private static Result rawPipelined(Options o) throws IOException {
    try (Raw raw = new Raw(o.address(), o.command())) {
      rawWindow(raw, o.warmup(), o.window());
      long start = System.nanoTime();
      rawWindow(raw, o.count(), o.window());
      return new Result("raw-pipe" + o.window(), o.count(), System.nanoTime() - start, null);
    }
  }

  private static void rawWindow(Raw raw, int count, int window) throws IOException {
    int sent = 0;
    int done = 0;
    while (done < count) {
      while (sent < count && sent - done < window) {
        raw.send();
        sent++;
      }
      raw.awaitLine();
      done++;
    }
  }

  // ------------------------------------------------------------------ helpers

  private static SocketAddress socketAddress(String text) {
    QmpAddress a = QmpAddress.parse(text);
    if (a instanceof QmpAddress.Unix) {
      return UnixDomainSocketAddress.of(((QmpAddress.Unix) a).path());
    }
    QmpAddress.Tcp t = (QmpAddress.Tcp) a;
    return new InetSocketAddress(t.host().isEmpty() ? "127.0.0.1" : t.host(), t.port());
  }

  private static void write(SocketChannel ch, String s) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  /** Reads one line byte by byte (only for handshakes). */
  private static String readLine(SocketChannel ch) throws IOException {
    StringBuilder sb = new StringBuilder();
    ByteBuffer one = ByteBuffer.allocate(1);
    while (true) {
      one.clear();
      if (ch.read(one) < 0) {
        throw new IOException("peer closed");
      }
      char c = (char) one.get(0);
      if (c == '\n') {
        return sb.toString();
      }
      sb.append(c);
    }
  }

  private static Options parse(String[] args) {
    if (args.length == 0) {
      System.err.println(
          "usage: ClientBench ADDR [--count N] [--warmup N] [--window W] [--rounds R]"
              + " [--command NAME] [--emit N] [--blast N] [--oob true|false]"
              + " [--seq-only true]");
      System.exit(2);
    }
    String address = args[0];
    int count = 100_000;
    int warmup = 20_000;
    int window = 64;
    int rounds = 3;
    String command = "query-status";
    int emit = 0;
    int blast = 0;
    for (int i = 1; i < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--count":
          count = Integer.parseInt(v);
          break;
        case "--warmup":
          warmup = Integer.parseInt(v);
          break;
        case "--window":
          window = Integer.parseInt(v);
          break;
        case "--rounds":
          rounds = Integer.parseInt(v);
          break;
        case "--command":
          command = v;
          break;
        case "--emit":
          emit = Integer.parseInt(v);
          break;
        case "--blast":
          blast = Integer.parseInt(v);
          break;
        case "--raw-id":
          rawRequest = Boolean.parseBoolean(v) ? "client" : "spaced";
          break;
        case "--in-band-window":
          inBandWindow = Integer.parseInt(v);
          break;
        case "--raw-request":
          rawRequest = v;
          break;
        case "--oob":
          oob = Boolean.parseBoolean(v);
          break;
        case "--seq-only":
          seqOnly = Boolean.parseBoolean(v);
          break;
        default:
          throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    return new Options(address, count, warmup, window, rounds, command, emit, blast);
  }
}
