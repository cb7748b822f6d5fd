package org.qmp4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.qmp4j.client.QmpClient;
import org.qmp4j.client.QmpCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code qmp4j bench}: commands per second and latency over one connection. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    header = "Measure client throughput and latency.",
    description = {
      "Sends COMMAND (query-status unless told) COUNT times over one connection, with at most"
          + " CONCURRENCY in flight (pipelined), after a warm-up of a tenth as many, and prints"
          + " commands per second and latency percentiles.",
      "Mind that QEMU runs in-band commands one at a time: concurrency measures pipelining, not"
          + " parallel execution."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  qmp4j bench /tmp/qmp.sock --count 100000 --concurrency 8",
      "  qmp4j bench /tmp/qmp.sock --command query-block --count 1000"
    })
final class BenchCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ADDR", description = "The QMP monitor to connect to.")
  String address;

  @Option(
      names = "--count",
      paramLabel = "N",
      defaultValue = "10000",
      description = "How many commands to send (default: ${DEFAULT-VALUE}).")
  int count;

  @Option(
      names = "--concurrency",
      paramLabel = "C",
      defaultValue = "1",
      description = "How many commands may be in flight at once (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(
      names = "--command",
      paramLabel = "COMMAND",
      defaultValue = "query-status",
      description = "The command to send (default: ${DEFAULT-VALUE}).")
  String command;

  @Parameters(
      index = "1..*",
      paramLabel = "ARG",
      description = "Arguments of the command: key=value pairs, or one JSON object.")
  List<String> arguments;

  @Override
  public Integer call() throws InterruptedException {
    if (count < 1 || concurrency < 1) {
      throw new Cli.Failure(
          Main.EXIT_USAGE, "qmp4j bench: --count and --concurrency must be at least 1");
    }
    ObjectNode args = ArgumentSyntax.arguments(arguments == null ? List.of() : arguments);
    QmpCommand cmd = QmpCommand.of(command, args);
    PrintWriter out = spec.commandLine().getOut();
    try (QmpClient client = Cli.connect("bench", address)) {
      client.execute(cmd); // fails early, with the server's error, if the command is wrong
      run(client, cmd, Math.max(1, count / 10), concurrency);
      long[] latencies = new long[count];
      long start = System.nanoTime();
      run(client, cmd, count, concurrency, latencies);
      long elapsed = System.nanoTime() - start;
      Arrays.sort(latencies);
      out.printf(
          "%s: %d commands, concurrency %d, %.2f s%n", command, count, concurrency, elapsed / 1e9);
      out.printf("%.0f ops/s%n", count / (elapsed / 1e9));
      out.printf(
          "latency p50 %s  p90 %s  p99 %s  max %s%n",
          micros(latencies, 0.50),
          micros(latencies, 0.90),
          micros(latencies, 0.99),
          micros(latencies, 1.0));
      out.flush();
      return Main.EXIT_OK;
    }
  }

  private static void run(QmpClient client, QmpCommand cmd, int n, int concurrency)
      throws InterruptedException {
    run(client, cmd, n, concurrency, new long[n]);
  }

  private static void run(
      QmpClient client, QmpCommand cmd, int n, int concurrency, long[] latencies)
      throws InterruptedException {
    Semaphore window = new Semaphore(concurrency);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicInteger done = new AtomicInteger();
    CompletableFuture<Void> all = new CompletableFuture<>();
    for (int i = 0; i < n && failure.get() == null; i++) {
      window.acquire();
      int slot = i;
      long t0 = System.nanoTime();
      client
          .executeAsync(cmd)
          .whenComplete(
              (r, e) -> {
                latencies[slot] = System.nanoTime() - t0;
                if (e != null) {
                  failure.compareAndSet(null, e);
                }
                window.release();
                if (done.incrementAndGet() == n) {
                  all.complete(null);
                }
              });
    }
    if (failure.get() == null) {
      all.join();
    }
    Throwable f = failure.get();
    if (f != null) {
      Throwable cause = f instanceof java.util.concurrent.CompletionException ? f.getCause() : f;
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(cause);
    }
  }

  private static String micros(long[] sorted, double q) {
    int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
    double us = sorted[Math.max(0, i)] / 1000.0;
    return us >= 1000 ? String.format("%.2f ms", us / 1000) : String.format("%.0f µs", us);
  }
}
