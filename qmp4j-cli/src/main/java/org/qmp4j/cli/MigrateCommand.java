package org.qmp4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.qmp4j.client.EventStream;
import org.qmp4j.client.EventSubscription;
import org.qmp4j.client.QmpClient;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.transport.QmpAddress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code qmp4j migrate}: the state of a migration; start one, watch it, cancel it. */
@Command(
    name = "migrate",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    header = "Show, start, watch or cancel a migration.",
    description = {
      "With ADDR only, prints the state of the migration (query-migrate) in one line.",
      "migrate watch draws a progress bar until the migration ends and says how it ended: exit"
          + " status 0 when it completed, 1 when it failed or was cancelled.",
      "migrate start URI sends migrate and watches it (--no-watch: returns at once);"
          + " migrate cancel sends migrate_cancel."
    },
    synopsisSubcommandLabel = "[COMMAND]",
    subcommands = {
      MigrateCommand.Watch.class,
      MigrateCommand.Start.class,
      MigrateCommand.Cancel.class
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  qmp4j migrate /tmp/qmp.sock",
      "      the state of the migration, in one line",
      "  qmp4j migrate start /tmp/qmp.sock tcp:dest.example:4444",
      "      start a migration and watch it until it ends",
      "  qmp4j migrate start /tmp/qmp.sock 'exec:gzip >vm.gz' --max-bandwidth 100M",
      "      save the machine's state to a file, at most 100 MiB/s",
      "  qmp4j migrate watch /tmp/qmp.sock --json",
      "  qmp4j migrate cancel /tmp/qmp.sock"
    })
final class MigrateCommand implements Callable<Integer> {

  /** Statuses in which a migration is over. */
  static final Set<String> ENDED = Set.of("completed", "failed", "cancelled");

  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "ADDR",
      description = "The QMP monitor to connect to.")
  String address;

  @Option(names = "--json", description = "Print query-migrate's reply as JSON.")
  boolean json;

  @Override
  public Integer call() {
    if (address == null) {
      throw new Cli.Failure(
          Main.EXIT_USAGE,
          "qmp4j migrate: missing ADDR (qmp4j migrate ADDR shows the migration; qmp4j migrate"
              + " --help tells more)");
    }
    PrintWriter out = spec.commandLine().getOut();
    try (QmpClient client = Cli.connect("migrate", address)) {
      JsonNode info = client.execute("query-migrate");
      out.println(json ? Cli.json(info, Cli.pretty(null, null)) : summary(info));
      out.flush();
      return Main.EXIT_OK;
    }
  }

  /** The migration's state in one line for people. */
  static String summary(JsonNode info) {
    String status = info.path("status").asText("none");
    StringBuilder s = new StringBuilder("migration: ").append(status);
    JsonNode ram = info.path("ram");
    long total = ram.path("total").asLong();
    if (total > 0) {
      long done = Math.max(0, total - ram.path("remaining").asLong());
      s.append(", ")
          .append(Progress.percent(done, total))
          .append("% of ")
          .append(Progress.size(total))
          .append(" RAM, ")
          .append(Progress.size(ram.path("transferred").asLong()))
          .append(" sent");
      if (ram.path("dirty-sync-count").asLong() > 0) {
        s.append(", pass ").append(ram.path("dirty-sync-count").asLong());
      }
    }
    if (info.has("total-time")) {
      s.append(String.format(Locale.ROOT, ", %.1f s", info.path("total-time").asLong() / 1000.0));
    }
    if (info.has("downtime")) {
      s.append(", downtime ").append(info.path("downtime").asLong()).append(" ms");
    }
    if (info.has("error-desc")) {
      s.append(": ").append(info.path("error-desc").asText());
    }
    return s.toString();
  }

  /** Follows the migration until it ends; returns the exit status. */
  static int watch(
      String command,
      QmpClient client,
      EventStream events,
      Progress progress,
      Duration poll,
      QmpAddress target,
      boolean justStarted) {
    long started = System.nanoTime();
    while (true) {
      JsonNode info = client.execute("query-migrate");
      String status = info.path("status").asText("none");
      if (status.equals("none") && !justStarted) {
        progress.clear();
        throw new Cli.Failure(
            Main.EXIT_FAILURE,
            "qmp4j migrate watch: no migration on "
                + target
                + " (start one with: qmp4j migrate start "
                + target
                + " URI)");
      }
      JsonNode ram = info.path("ram");
      long total = ram.path("total").asLong();
      long done = Math.max(0, total - ram.path("remaining").asLong());
      if (ENDED.contains(status)) {
        String text = summary(info);
        ObjectNode result = QmpJson.objectNode().put("result", status);
        result.set("query-migrate", info);
        progress.finish(text, result);
        return status.equals("completed") ? Main.EXIT_OK : Main.EXIT_FAILURE;
      }
      StringBuilder extra = new StringBuilder();
      if (ram.path("dirty-sync-count").asLong() > 1) {
        extra.append("pass ").append(ram.path("dirty-sync-count").asLong());
      }
      if (ram.path("mbps").asDouble() > 0) {
        extra
            .append(extra.length() > 0 ? ", " : "")
            .append(String.format(Locale.ROOT, "wire %.0f Mbit/s", ram.path("mbps").asDouble()));
      }
      ObjectNode line = QmpJson.objectNode();
      line.put("transferred", ram.path("transferred").asLong());
      line.put("pass", ram.path("dirty-sync-count").asLong());
      progress.update("migration", status, done, total, true, extra.toString(), line);
      long deadline = System.nanoTime() + poll.toNanos();
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        Optional<QmpEvent> e = JobCommand.WatchOptions.poll(events, left, command, target);
        if (e.isEmpty()) {
          break;
        }
        QmpEvent ev = e.get();
        if (!EventSubscription.isMarker(ev)
            && ev.name().equals("MIGRATION")
            && ev.data() != null
            && ENDED.contains(ev.data().path("status").asText())) {
          break;
        }
      }
      if (justStarted && System.nanoTime() - started > 5_000_000_000L) {
        justStarted = false;
      }
    }
  }

  /** {@code qmp4j migrate watch ADDR}. */
  @Command(
      name = "watch",
      mixinStandardHelpOptions = true,
      versionProvider = Main.VersionProvider.class,
      header = "Show a migration's progress until it ends.",
      description = {
        "Follows the migration with query-migrate (and the MIGRATION and MIGRATION_PASS events,"
            + " which QEMU sends when the events migration capability is on), drawing a progress"
            + " bar of the RAM sent on a terminal (plain lines when the output is not one, JSON"
            + " lines with --json), and ends with a line saying how the migration ended.",
        "Exit status: 0 it completed; 1 it failed, was cancelled, or there is none; 2 a usage"
            + " error or the connection failed."
      },
      footerHeading = "%nExamples:%n",
      footer = {
        "  qmp4j migrate watch /tmp/qmp.sock",
        "  qmp4j migrate watch /tmp/qmp.sock --no-bar >> migration.log"
      })
  static final class Watch implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ADDR", description = "The QMP monitor to connect to.")
    String address;

    @Mixin JobCommand.WatchOptions options = new JobCommand.WatchOptions();

    @Override
    public Integer call() {
      return watchAt(spec, "migrate watch", address, options, null, null);
    }
  }

  /** Connects, optionally starts a migration, and watches it. */
  static int watchAt(
      CommandSpec spec,
      String command,
      String address,
      JobCommand.WatchOptions options,
      String uri,
      Long maxBandwidth) {
    return options.watch(
        spec,
        command,
        address,
        "migrate",
        new String[] {"MIGRATION", "MIGRATION_PASS"},
        (client, events, progress, poll, target) -> {
          if (uri != null) {
            start(client, uri, maxBandwidth);
          }
          return watch(command, client, events, progress, poll, target, uri != null);
        });
  }

  static void start(QmpClient client, String uri, Long maxBandwidth) {
    if (maxBandwidth != null) {
      client.execute(
          "migrate-set-parameters", QmpJson.objectNode().put("max-bandwidth", maxBandwidth));
    }
    client.execute("migrate", QmpJson.objectNode().put("uri", uri));
  }

  /** {@code 100M}, {@code 1G}, {@code 4096}: bytes. */
  static long bytes(String text) {
    String t = text.strip().toUpperCase(Locale.ROOT);
    long unit = 1;
    if (t.endsWith("IB")) {
      t = t.substring(0, t.length() - 2);
    } else if (t.endsWith("B")) {
      t = t.substring(0, t.length() - 1);
    }
    if (!t.isEmpty()) {
      switch (t.charAt(t.length() - 1)) {
        case 'K' -> unit = 1L << 10;
        case 'M' -> unit = 1L << 20;
        case 'G' -> unit = 1L << 30;
        case 'T' -> unit = 1L << 40;
        default -> unit = 1;
      }
      if (unit > 1) {
        t = t.substring(0, t.length() - 1);
      }
    }
    try {
      double v = Double.parseDouble(t);
      if (v < 0 || Double.isNaN(v) || Double.isInfinite(v)) {
        throw new NumberFormatException();
      }
      return (long) (v * unit);
    } catch (NumberFormatException e) {
      throw new Cli.Failure(
          Main.EXIT_USAGE,
          "qmp4j migrate: not an amount of bytes: '" + text + "' (e.g. 4096, 512K, 100M, 1G)");
    }
  }

  /** {@code qmp4j migrate start ADDR URI}. */
  @Command(
      name = "start",
      mixinStandardHelpOptions = true,
      versionProvider = Main.VersionProvider.class,
      header = "Start a migration (migrate) and watch it until it ends.",
      description = {
        "URI is where to, as QEMU's migrate command takes it: tcp:HOST:PORT, unix:PATH,"
            + " exec:COMMAND (the state is written to the command's input), fd:NAME.",
        "The destination must be waiting (qemu-system-... -incoming URI), except for exec:.",
        "Exit status as for migrate watch; with --no-watch, 0 once the migration has started."
      },
      footerHeading = "%nExamples:%n",
      footer = {
        "  qmp4j migrate start /tmp/qmp.sock tcp:dest.example:4444",
        "  qmp4j migrate start /tmp/qmp.sock 'exec:cat > /var/tmp/vm.state' --max-bandwidth 50M",
        "  qmp4j migrate start /tmp/qmp.sock unix:/tmp/incoming.sock --no-watch"
      })
  static final class Start implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ADDR", description = "The QMP monitor to connect to.")
    String address;

    @Parameters(index = "1", paramLabel = "URI", description = "Where to migrate.")
    String uri;

    @Option(
        names = "--max-bandwidth",
        paramLabel = "BYTES",
        description = "First set the max-bandwidth parameter to BYTES per second (e.g. 100M, 1G).")
    String maxBandwidth;

    @Option(names = "--no-watch", description = "Return once the migration has started.")
    boolean noWatch;

    @Mixin JobCommand.WatchOptions options = new JobCommand.WatchOptions();

    @Override
    public Integer call() {
      Long bw = maxBandwidth == null ? null : bytes(maxBandwidth);
      if (noWatch) {
        try (QmpClient client = Cli.connect("migrate start", address)) {
          start(client, uri, bw);
          return Main.EXIT_OK;
        }
      }
      return watchAt(spec, "migrate start", address, options, uri, bw);
    }
  }

  /** {@code qmp4j migrate cancel ADDR}. */
  @Command(
      name = "cancel",
      mixinStandardHelpOptions = true,
      versionProvider = Main.VersionProvider.class,
      header = "Cancel the migration (migrate_cancel).",
      footerHeading = "%nExample:%n",
      footer = "  qmp4j migrate cancel /tmp/qmp.sock")
  static final class Cancel implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ADDR", description = "The QMP monitor to connect to.")
    String address;

    @Override
    public Integer call() {
      try (QmpClient client = Cli.connect("migrate cancel", address)) {
        client.execute("migrate_cancel");
        spec.commandLine().getOut().println(summary(client.execute("query-migrate")));
        spec.commandLine().getOut().flush();
        return Main.EXIT_OK;
      }
    }
  }
}
