package org.qmp4j.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.qmp4j.client.EventStream;
import org.qmp4j.client.EventSubscription;
import org.qmp4j.client.OverflowPolicy;
import org.qmp4j.client.QmpClient;
import org.qmp4j.client.ReconnectPolicy;
import org.qmp4j.protocol.QmpCommunicationException;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.transport.QmpAddress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code qmp4j events}: events as JSON lines. */
@Command(
    name = "events",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    header = "Print events as JSON lines.",
    description = {
      "Connects and prints each event the monitor sends as one line of JSON, as QEMU sends it:"
          + " {\"event\": ..., \"data\": ..., \"timestamp\": {...}}.",
      "With --count, exits after N events (status 0); with --timeout, exits after S seconds,"
          + " with status 1 if fewer than --count events came. With --follow, reconnects when the"
          + " peer goes away and comes back (a restarted QEMU), saying so on stderr."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  qmp4j events /tmp/qmp.sock",
      "  qmp4j events /tmp/qmp.sock --name BLOCK_JOB_COMPLETED --name BLOCK_JOB_ERROR --count 1",
      "  qmp4j events /tmp/qmp.sock --name SHUTDOWN --count 1 --timeout 60 && echo down",
      "  qmp4j events /tmp/qmp.sock --follow | jq -c 'select(.event == \"RESET\")'"
    })
final class EventsCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ADDR", description = "The QMP monitor to connect to.")
  String address;

  @Option(
      names = "--name",
      paramLabel = "EVENT",
      description = "Only events with this name; repeat for several. Default: all.")
  List<String> names;

  @Option(names = "--count", paramLabel = "N", description = "Stop after N events.")
  Integer count;

  @Option(
      names = "--timeout",
      paramLabel = "S",
      description = "Stop after S seconds; exit status 1 if fewer than --count events came.")
  Double timeoutSeconds;

  @Option(
      names = "--follow",
      description = "Reconnect when the connection is lost (with backoff, forever).")
  boolean follow;

  @Override
  public Integer call() {
    if (count != null && count < 1) {
      throw new Cli.Failure(Main.EXIT_USAGE, "qmp4j events: --count must be at least 1");
    }
    QmpAddress target = Cli.address("events", address);
    QmpClient.Builder b =
        QmpClient.newBuilder().address(target).connectTimeout(Cli.CONNECT_TIMEOUT).name("events");
    if (follow) {
      b.reconnect(
          ReconnectPolicy.backoff(Duration.ofMillis(100), Duration.ofSeconds(5))
              .maxAttempts(Integer.MAX_VALUE));
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    long deadline =
        timeoutSeconds == null
            ? Long.MAX_VALUE
            : System.nanoTime() + (long) (timeoutSeconds * 1_000_000_000L);
    try (QmpClient client = b.build()) {
      // Subscribe before connecting: not even an event sent with the greeting is missed.
      EventStream stream =
          client
              .events()
              .names(names == null ? new String[0] : names.toArray(String[]::new))
              .capacity(65536)
              .overflow(OverflowPolicy.DROP_OLDEST)
              .stream();
      Cli.connect("events", client, target);
      int seen = 0;
      while (count == null || seen < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        Optional<QmpEvent> e;
        try {
          e = stream.poll(Duration.ofNanos(Math.min(left, Duration.ofHours(1).toNanos())));
        } catch (QmpCommunicationException ex) {
          err.println("qmp4j events: " + ex.getMessage());
          return Main.EXIT_USAGE;
        }
        if (e.isEmpty()) {
          if (stream.isClosed()) {
            err.println("qmp4j events: the connection to " + target + " is closed");
            return Main.EXIT_USAGE;
          }
          continue;
        }
        QmpEvent event = e.get();
        if (EventSubscription.isMarker(event)) {
          err.println("qmp4j events: " + event.name() + " " + Cli.oneLine(event.data()));
          continue;
        }
        out.println(Cli.json(event.toJson(), false));
        out.flush();
        seen++;
      }
      if (count != null && seen < count) {
        err.println(
            "qmp4j events: " + seen + " of " + count + " events within " + timeoutSeconds + " s");
        return Main.EXIT_FAILURE;
      }
      return Main.EXIT_OK;
    }
  }
}
