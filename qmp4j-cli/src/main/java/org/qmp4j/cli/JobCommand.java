package org.qmp4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.qmp4j.client.EventStream;
import org.qmp4j.client.EventSubscription;
import org.qmp4j.client.QmpClient;
import org.qmp4j.protocol.QmpCommunicationException;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.transport.QmpAddress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code qmp4j job}: background jobs (block jobs and others): list, watch, act on one. */
@Command(
    name = "job",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    header = "List background jobs, watch one until it ends, or act on one.",
    description = {
      "With ADDR only, lists the jobs (query-jobs, with the speed from query-block-jobs).",
      "job watch draws a progress bar until the job ends and says how it ended: exit status 0"
          + " when it completed, 1 when it failed or was cancelled.",
      "cancel, pause, resume, complete, finalize and dismiss send the matching job-* command."
    },
    synopsisSubcommandLabel = "[COMMAND]",
    subcommands = {
      JobCommand.Watch.class,
      JobCommand.Cancel.class,
      JobCommand.Pause.class,
      JobCommand.Resume.class,
      JobCommand.Complete.class,
      JobCommand.Finalize.class,
      JobCommand.Dismiss.class
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  qmp4j job /tmp/qmp.sock",
      "      the jobs, one line each",
      "  qmp4j job watch /tmp/qmp.sock",
      "      a progress bar for the only job, until it ends",
      "  qmp4j job watch /tmp/qmp.sock backup0 --json",
      "      one JSON line per second, and one saying how it ended",
      "  qmp4j job watch /tmp/qmp.sock mirror0 --until-ready &&",
      "  qmp4j job complete /tmp/qmp.sock mirror0",
      "      wait until a mirror is in sync, then switch over",
      "  qmp4j job cancel /tmp/qmp.sock backup0"
    })
final class JobCommand implements Callable<Integer> {

  /** The events that tell about jobs. */
  static final String[] EVENTS = {
    "JOB_STATUS_CHANGE",
    "BLOCK_JOB_COMPLETED",
    "BLOCK_JOB_CANCELLED",
    "BLOCK_JOB_ERROR",
    "BLOCK_JOB_READY",
    "BLOCK_JOB_PENDING"
  };

  /** Job types whose progress counts bytes. */
  private static final Set<String> BYTE_JOBS = Set.of("commit", "stream", "mirror", "backup");

  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "ADDR",
      description = "The QMP monitor to connect to.")
  String address;

  @Option(names = "--json", description = "Print query-jobs' reply as JSON.")
  boolean json;

  @Override
  public Integer call() {
    if (address == null) {
      throw new Cli.Failure(
          Main.EXIT_USAGE,
          "qmp4j job: missing ADDR (qmp4j job ADDR lists the jobs; qmp4j job --help tells more)");
    }
    PrintWriter out = spec.commandLine().getOut();
    try (QmpClient client = Cli.connect("job", address)) {
      JsonNode jobs = client.execute("query-jobs");
      JsonNode blockJobs = queryBlockJobs(client);
      if (json) {
        out.println(Cli.json(jobs, Cli.pretty(null, null)));
      } else if (jobs.size() == 0) {
        out.println("no jobs");
      } else {
        for (String line : table(jobs, blockJobs)) {
          out.println(line);
        }
      }
      out.flush();
      return Main.EXIT_OK;
    }
  }

  /** One line per job: id, type, status, progress, speed, error. */
  static List<String> table(JsonNode jobs, JsonNode blockJobs) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"ID", "TYPE", "STATUS", "PROGRESS"});
    for (JsonNode j : jobs) {
      String id = j.path("id").asText();
      long cur = j.path("current-progress").asLong();
      long total = j.path("total-progress").asLong();
      boolean bytes = BYTE_JOBS.contains(j.path("type").asText());
      StringBuilder p = new StringBuilder();
      if (total > 0) {
        p.append(Progress.percent(cur, total)).append("% (");
        p.append(bytes ? Progress.size(cur) + " of " + Progress.size(total) : cur + " of " + total);
        p.append(')');
      }
      JsonNode bj = find(blockJobs, "device", id);
      if (bj != null && bj.path("speed").asLong() > 0) {
        p.append(p.length() > 0 ? ", " : "")
            .append("speed limit ")
            .append(Progress.size(bj.path("speed").asLong()))
            .append("/s");
      }
      if (j.hasNonNull("error")) {
        p.append(p.length() > 0 ? ", " : "").append("error: ").append(j.get("error").asText());
      }
      rows.add(new String[] {id, j.path("type").asText(), j.path("status").asText(), p.toString()});
    }
    int[] w = new int[3];
    for (String[] r : rows) {
      for (int i = 0; i < 3; i++) {
        w[i] = Math.max(w[i], r[i].length());
      }
    }
    List<String> lines = new ArrayList<>();
    for (String[] r : rows) {
      lines.add(
          String.format("%-" + w[0] + "s  %-" + w[1] + "s  %-" + w[2] + "s  %s", (Object[]) r)
              .stripTrailing());
    }
    return lines;
  }

  /** query-block-jobs' reply, or an empty array if the server has no such command. */
  static JsonNode queryBlockJobs(QmpClient client) {
    try {
      return client.execute("query-block-jobs");
    } catch (QmpErrorException e) {
      return QmpJson.arrayNode();
    }
  }

  /** The element of {@code array} whose {@code key} is {@code value}, or null. */
  static JsonNode find(JsonNode array, String key, String value) {
    if (array != null) {
      for (JsonNode e : array) {
        if (e.path(key).asText().equals(value)) {
          return e;
        }
      }
    }
    return null;
  }

  /** The options of the watching commands. */
  static final class WatchOptions {
    @Option(
        names = "--json",
        description = "One JSON object per line instead of a bar or text lines.")
    boolean json;

    @Option(
        names = "--bar",
        negatable = true,
        description =
            "Draw a bar redrawn in place (--bar) or print plain lines (--no-bar). Default: a bar"
                + " on a terminal.")
    Boolean bar;

    @Option(
        names = "--interval",
        paramLabel = "S",
        description =
            "Ask for the progress every S seconds (default: 0.25 with a bar; lines are printed at"
                + " most every second unless the state changes).")
    Double interval;

    Progress progress(PrintWriter out) {
      Progress.Mode mode = Progress.mode(json, bar);
      return new Progress(
          out,
          mode,
          mode == Progress.Mode.BAR ? Progress.terminalWidth() : 80,
          interval != null ? (long) (interval * 1e9) : 1_000_000_000L);
    }

    Duration pollInterval(String command) {
      if (interval != null) {
        if (interval <= 0) {
          throw new Cli.Failure(
              Main.EXIT_USAGE, "qmp4j " + command + ": --interval must be more than 0 seconds");
        }
        return Duration.ofNanos((long) (interval * 1e9));
      }
      return Duration.ofMillis(250);
    }

    /** What a watching command does once connected. */
    interface Body {
      int run(
          QmpClient client,
          EventStream events,
          Progress progress,
          Duration poll,
          QmpAddress target);
    }

    /**
     * Connects to {@code address} with {@code eventNames} subscribed before the greeting (so no
     * event between the subscription and the first query is missed) and runs {@code body}; a
     * connection lost on the way ends with exit status 2, after the bar is cleared.
     */
    int watch(
        CommandSpec spec,
        String command,
        String address,
        String clientName,
        String[] eventNames,
        Body body) {
      QmpAddress target = Cli.address(command, address);
      Progress progress = progress(spec.commandLine().getOut());
      Duration poll = pollInterval(command);
      try (QmpClient client =
          QmpClient.newBuilder()
              .address(target)
              .connectTimeout(Cli.CONNECT_TIMEOUT)
              .name(clientName)
              .build()) {
        EventStream events = client.events().names(eventNames).capacity(4096).stream();
        Cli.connect(command, client, target);
        return body.run(client, events, progress, poll, target);
      } catch (QmpCommunicationException e) {
        progress.clear();
        throw new Cli.Failure(
            Main.EXIT_USAGE,
            "qmp4j " + command + ": lost the connection to " + target + ": " + e.getMessage());
      }
    }

    /**
     * Waits up to {@code nanos} for an event; empty if none came. A closed connection ends with
     * exit status 2.
     */
    static Optional<QmpEvent> poll(
        EventStream events, long nanos, String command, QmpAddress target) {
      Optional<QmpEvent> e = events.poll(Duration.ofNanos(nanos));
      if (e.isEmpty() && events.isClosed()) {
        throw new Cli.Failure(
            Main.EXIT_USAGE, "qmp4j " + command + ": the connection to " + target + " is closed");
      }
      return e;
    }
  }

  /** {@code qmp4j job watch ADDR [JOB]}. */
  @Command(
      name = "watch",
      mixinStandardHelpOptions = true,
      versionProvider = Main.VersionProvider.class,
      header = "Show a job's progress until it ends.",
      description = {
        "Follows JOB (or the only job, if JOB is left out) with query-jobs, query-block-jobs and"
            + " the JOB_STATUS_CHANGE and BLOCK_JOB_* events, drawing a progress bar on a terminal"
            + " (plain lines when the output is not one, JSON lines with --json), and ends with a"
            + " line saying how the job ended.",
        "Exit status: 0 the job completed (or, with --until-ready, is ready); 1 it failed, was"
            + " cancelled, or there is no such job; 2 a usage error or the connection failed."
      },
      footerHeading = "%nExamples:%n",
      footer = {
        "  qmp4j job watch /tmp/qmp.sock",
        "  qmp4j job watch /tmp/qmp.sock backup0",
        "  qmp4j job watch /tmp/qmp.sock backup0 --no-bar > backup.log",
        "  qmp4j job watch /tmp/qmp.sock mirror0 --until-ready"
      })
  static final class Watch implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ADDR", description = "The QMP monitor to connect to.")
    String address;

    @Parameters(
        index = "1",
        arity = "0..1",
        paramLabel = "JOB",
        description = "The job's id (for a block job, its device). Default: the only job.")
    String id;

    @Mixin WatchOptions options = new WatchOptions();

    @Option(
        names = "--until-ready",
        description =
            "End (status 0) when the job is ready to complete, e.g. a mirror that is in sync.")
    boolean untilReady;

    @Override
    public Integer call() {
      return options.watch(
          spec,
          "job watch",
          address,
          "job-watch",
          EVENTS,
          (client, events, progress, poll, target) -> {
            String job = pick(client.execute("query-jobs"), target);
            return watch(client, events, job, progress, poll, target);
          });
    }

    private String pick(JsonNode jobs, QmpAddress target) {
      if (id != null) {
        if (find(jobs, "id", id) == null) {
          throw new Cli.Failure(
              Main.EXIT_FAILURE,
              "qmp4j job watch: no job '" + id + "' on " + target + " (jobs: " + ids(jobs) + ")");
        }
        return id;
      }
      if (jobs.size() == 0) {
        throw new Cli.Failure(Main.EXIT_FAILURE, "qmp4j job watch: no jobs on " + target);
      }
      if (jobs.size() > 1) {
        throw new Cli.Failure(
            Main.EXIT_USAGE,
            "qmp4j job watch: "
                + jobs.size()
                + " jobs on "
                + target
                + " ("
                + ids(jobs)
                + "): name the one to watch");
      }
      return jobs.get(0).path("id").asText();
    }

    private static String ids(JsonNode jobs) {
      List<String> ids = new ArrayList<>();
      jobs.forEach(j -> ids.add(j.path("id").asText()));
      return ids.isEmpty() ? "none" : String.join(", ", ids);
    }

    /** What is known about the watched job. */
    private static final class State {
      String outcome; // completed, cancelled, failed, ready, ended; null while it runs
      String error;
      boolean aborting;
      boolean requery;
      String status = "";
      String type = "";
      long done;
      long total;
    }

    private int watch(
        QmpClient client,
        EventStream events,
        String job,
        Progress progress,
        Duration poll,
        QmpAddress target) {
      State st = new State();
      long started = System.nanoTime();
      while (st.outcome == null) {
        JsonNode j = find(client.execute("query-jobs"), "id", job);
        if (j != null) {
          st.type = j.path("type").asText();
          st.done = j.path("current-progress").asLong();
          st.total = j.path("total-progress").asLong();
        }
        if (j == null || j.path("status").asText().matches("concluded|null")) {
          // It ended. A block job's BLOCK_JOB_COMPLETED or _CANCELLED says how; it may still be
          // on its way through the client.
          drain(events, job, progress, st, BYTE_JOBS.contains(st.type) ? 500 : 0, target);
          if (st.outcome == null && j != null) {
            st.error = j.hasNonNull("error") ? j.get("error").asText() : null;
            st.outcome =
                st.error == null
                    ? "completed"
                    : st.error.equals("Operation canceled") ? "cancelled" : "failed";
          }
          if (st.outcome == null) {
            st.outcome = st.aborting ? "failed" : "ended";
          }
          break;
        }
        st.type = j.path("type").asText();
        st.status = j.path("status").asText();
        st.done = j.path("current-progress").asLong();
        st.total = j.path("total-progress").asLong();
        st.aborting |= st.status.equals("aborting");
        if (untilReady && st.status.equals("ready")) {
          st.outcome = "ready";
          break;
        }
        String extra = extra(client, job, st.status);
        ObjectNode line = QmpJson.objectNode().put("id", job).put("type", st.type);
        progress.update(
            job, st.status, st.done, st.total, BYTE_JOBS.contains(st.type), extra, line);
        // Wait for the next tick, or for an event that says more.
        long deadline = System.nanoTime() + poll.toNanos();
        st.requery = false;
        while (!st.requery && st.outcome == null) {
          long left = deadline - System.nanoTime();
          if (left <= 0 || !next(events, job, progress, st, left, target)) {
            break;
          }
        }
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      String outcome = st.outcome;
      StringBuilder text = new StringBuilder(job).append(": ").append(outcome);
      if (outcome.equals("ended")) {
        text.append(" (it is no longer listed; how it ended is not known)");
      } else if (outcome.equals("failed") && st.error != null) {
        text.append(": ").append(st.error);
      } else if (outcome.equals("cancelled") && st.total > 0) {
        text.append(" at ").append(Progress.percent(st.done, st.total)).append('%');
      } else if (outcome.equals("completed") || outcome.equals("ready")) {
        text.append(" (");
        if (BYTE_JOBS.contains(st.type) && st.total > 0) {
          text.append(Progress.size(st.total)).append(", ");
        }
        text.append(String.format(java.util.Locale.ROOT, "watched for %.1f s", seconds))
            .append(')');
      }
      ObjectNode result =
          QmpJson.objectNode().put("id", job).put("type", st.type).put("result", outcome);
      result.put("done", st.done).put("total", st.total);
      if (st.error != null) {
        result.put("error", st.error);
      }
      progress.finish(text.toString(), result);
      return outcome.equals("completed") || outcome.equals("ready") || outcome.equals("ended")
          ? Main.EXIT_OK
          : Main.EXIT_FAILURE;
    }

    /** Takes the events already there, and waits up to {@code millis} for one that ends the job. */
    private void drain(
        EventStream events,
        String job,
        Progress progress,
        State st,
        long millis,
        QmpAddress target) {
      long deadline = System.nanoTime() + millis * 1_000_000L;
      while (st.outcome == null) {
        long left = Math.max(0, deadline - System.nanoTime());
        if (!next(events, job, progress, st, left, target)) {
          return;
        }
      }
    }

    /** Waits up to {@code nanos} for one event and takes it in; false if none came. */
    private boolean next(
        EventStream events,
        String job,
        Progress progress,
        State st,
        long nanos,
        QmpAddress target) {
      Optional<QmpEvent> e = WatchOptions.poll(events, nanos, "job watch", target);
      if (e.isEmpty()) {
        return false;
      }
      QmpEvent ev = e.get();
      if (EventSubscription.isMarker(ev)) {
        return true;
      }
      ObjectNode d = ev.data() != null ? ev.data() : QmpJson.objectNode();
      String about = d.has("id") ? d.path("id").asText() : d.path("device").asText();
      if (!about.equals(job)) {
        return true;
      }
      switch (ev.name()) {
        case "JOB_STATUS_CHANGE" -> {
          String s = d.path("status").asText();
          st.aborting |= s.equals("aborting");
          st.requery = s.equals("concluded") || s.equals("null") || s.equals("ready");
        }
        case "BLOCK_JOB_COMPLETED" -> {
          long len = d.path("len").asLong();
          st.done = d.path("offset").asLong(st.done);
          st.total = len > 0 ? len : st.total;
          st.error = d.hasNonNull("error") ? d.get("error").asText() : null;
          st.outcome = st.error == null ? "completed" : "failed";
        }
        case "BLOCK_JOB_CANCELLED" -> {
          st.done = d.path("offset").asLong(st.done);
          st.total = d.path("len").asLong(st.total);
          st.outcome = "cancelled";
        }
        case "BLOCK_JOB_ERROR" ->
            progress.note(
                job
                    + ": I/O error on "
                    + d.path("operation").asText()
                    + " (action: "
                    + d.path("action").asText()
                    + ")",
                QmpJson.objectNode().put("id", job).put("event", ev.name()).setAll(d.deepCopy()));
        case "BLOCK_JOB_READY" -> {
          if (untilReady) {
            st.outcome = "ready";
          } else {
            progress.note(
                job
                    + ": ready; qmp4j job complete ADDR "
                    + job
                    + " finishes it, qmp4j job cancel ADDR "
                    + job
                    + " abandons it",
                QmpJson.objectNode().put("id", job).put("event", ev.name()));
          }
        }
        case "BLOCK_JOB_PENDING" ->
            progress.note(
                job + ": pending; qmp4j job finalize ADDR " + job + " finishes it",
                QmpJson.objectNode().put("id", job).put("event", ev.name()));
        default -> {}
      }
      return true;
    }

    /** Words about a block job's state for people: speed limit, paused, I/O status. */
    private static String extra(QmpClient client, String job, String status) {
      JsonNode bj = find(queryBlockJobs(client), "device", job);
      List<String> words = new ArrayList<>();
      if (bj != null) {
        long speed = bj.path("speed").asLong();
        if (speed > 0) {
          words.add("limit " + Progress.size(speed) + "/s");
        }
        String io = bj.path("io-status").asText("ok");
        if (!io.equals("ok")) {
          words.add("I/O " + io);
        }
      }
      if (status.equals("ready")) {
        words.add("waiting for complete or cancel");
      } else if (status.equals("pending")) {
        words.add("waiting for finalize");
      } else if (status.equals("paused") || status.equals("standby")) {
        words.add("resume to go on");
      }
      return String.join(", ", words);
    }
  }

  /** A job action: one {@code job-*} command on one job. */
  abstract static class Action implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ADDR", description = "The QMP monitor to connect to.")
    String address;

    @Parameters(index = "1", paramLabel = "JOB", description = "The job's id.")
    String id;

    @Override
    public Integer call() {
      String name = spec.name();
      try (QmpClient client = Cli.connect("job " + name, address)) {
        client.execute("job-" + name, QmpJson.objectNode().put("id", id));
      }
      spec.commandLine().getOut().println(id + ": job-" + name + " done");
      spec.commandLine().getOut().flush();
      return Main.EXIT_OK;
    }
  }

  /** {@code qmp4j job cancel}. */
  @Command(
      name = "cancel",
      mixinStandardHelpOptions = true,
      versionProvider = Main.VersionProvider.class,
      header = "Cancel a job (job-cancel).",
      description =
          "A ready mirror is cancelled too, without switching over (block-job-cancel would"
              + " complete it).",
      footerHeading = "%nExample:%n",
      footer = "  qmp4j job cancel /tmp/qmp.sock backup0")
  static final class Cancel extends Action {}

  /** {@code qmp4j job pause}. */
  @Command(
      name = "pause",
      mixinStandardHelpOptions = true,
      versionProvider = Main.VersionProvider.class,
      header = "Pause a job (job-pause); resume goes on.",
      footerHeading = "%nExample:%n",
      footer = "  qmp4j job pause /tmp/qmp.sock backup0")
  static final class Pause extends Action {}

  /** {@code qmp4j job resume}. */
  @Command(
      name = "resume",
      mixinStandardHelpOptions = true,
      versionProvider = Main.VersionProvider.class,
      header = "Resume a paused job (job-resume).",
      footerHeading = "%nExample:%n",
      footer = "  qmp4j job resume /tmp/qmp.sock backup0")
  static final class Resume extends Action {}

  /** {@code qmp4j job complete}. */
  @Command(
      name = "complete",
      mixinStandardHelpOptions = true,
      versionProvider = Main.VersionProvider.class,
      header = "Complete a ready job (job-complete): a mirror switches over.",
      footerHeading = "%nExample:%n",
      footer = "  qmp4j job complete /tmp/qmp.sock mirror0")
  static final class Complete extends Action {}

  /** {@code qmp4j job finalize}. */
  @Command(
      name = "finalize",
      mixinStandardHelpOptions = true,
      versionProvider = Main.VersionProvider.class,
      header = "Finalize a pending job (job-finalize; for jobs started with auto-finalize=false).",
      footerHeading = "%nExample:%n",
      footer = "  qmp4j job finalize /tmp/qmp.sock backup0")
  static final class Finalize extends Action {}

  /** {@code qmp4j job dismiss}. */
  @Command(
      name = "dismiss",
      mixinStandardHelpOptions = true,
      versionProvider = Main.VersionProvider.class,
      header = "Dismiss a concluded job (job-dismiss; for jobs started with auto-dismiss=false).",
      footerHeading = "%nExample:%n",
      footer = "  qmp4j job dismiss /tmp/qmp.sock backup0")
  static final class Dismiss extends Action {}
}
