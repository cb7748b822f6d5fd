package org.qmp4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.Locale;

/**
 * How {@code job watch} and {@code migrate watch} show progress: a bar redrawn in place on a
 * terminal, plain time-stamped lines at most every interval (and when the state changes) when the
 * output is not a terminal, or one JSON object per line.
 */
final class Progress {

  /** How progress is shown. */
  enum Mode {
    /** One line redrawn in place with a carriage return: for a terminal. */
    BAR,
    /** Time-stamped lines: for logs and pipes. */
    PLAIN,
    /** One JSON object per line: for programs. */
    JSON
  }

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

  private final PrintWriter out;
  private final Mode mode;
  private final int width;
  private final long intervalNanos;
  private final ArrayDeque<long[]> samples = new ArrayDeque<>();
  private long lastPrinted = Long.MIN_VALUE;
  private String lastState;
  private int drawn;

  /**
   * @param out where to write
   * @param mode how
   * @param width the terminal's width, for the bar
   * @param intervalNanos the least time between two plain or JSON lines in the same state
   */
  Progress(PrintWriter out, Mode mode, int width, long intervalNanos) {
    this.out = out;
    this.mode = mode;
    this.width = Math.max(40, width);
    this.intervalNanos = intervalNanos;
  }

  /** The mode for these options: JSON if asked, a bar on a terminal, lines otherwise. */
  static Mode mode(boolean json, Boolean bar) {
    if (json) {
      return Mode.JSON;
    }
    if (bar != null) {
      return bar ? Mode.BAR : Mode.PLAIN;
    }
    return System.console() != null ? Mode.BAR : Mode.PLAIN;
  }

  /** The terminal's width from {@code $COLUMNS}, else {@code stty}, else 80. */
  static int terminalWidth() {
    String columns = System.getenv("COLUMNS");
    if (columns != null) {
      try {
        return Integer.parseInt(columns.strip());
      } catch (NumberFormatException e) {
        // fall through
      }
    }
    try {
      Process p =
          new ProcessBuilder("stty", "size")
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/tty")))
              .redirectErrorStream(true)
              .start();
      String s =
          new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (p.waitFor() == 0) {
        String[] parts = s.strip().split("\\s+");
        if (parts.length == 2) {
          return Integer.parseInt(parts[1]);
        }
      }
    } catch (java.io.IOException | NumberFormatException e) {
      // fall through
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 80;
  }

  /**
   * Shows where the work stands.
   *
   * @param label what is being watched (a job id, "migration")
   * @param state its state as the server names it
   * @param done work done, in bytes if {@code bytes}
   * @param total work in all, 0 if unknown
   * @param bytes whether the amounts are bytes
   * @param extra more words for people (may be empty), e.g. {@code "pass 2"}
   * @param json the JSON line's object (mode JSON), to which the common members are added
   */
  void update(
      String label,
      String state,
      long done,
      long total,
      boolean bytes,
      String extra,
      ObjectNode json) {
    long now = System.nanoTime();
    double rate = rate(now, done);
    boolean changed = !state.equals(lastState);
    lastState = state;
    if (mode != Mode.BAR && !changed && now - lastPrinted < intervalNanos) {
      return;
    }
    lastPrinted = now;
    String percent = total > 0 ? String.format(Locale.ROOT, "%3d%%", percent(done, total)) : "";
    StringBuilder words = new StringBuilder();
    if (total > 0) {
      words.append(bytes ? size(done) + " of " + size(total) : done + " of " + total);
    }
    if (rate > 0 && bytes) {
      words.append(words.length() > 0 ? "  " : "").append(size((long) rate)).append("/s");
    }
    if (rate > 0 && total > done && (state.equals("running") || state.equals("active"))) {
      words.append(words.length() > 0 ? "  " : "");
      words.append(duration((long) ((total - done) / rate))).append(" left");
    }
    if (!extra.isEmpty()) {
      words.append(words.length() > 0 ? "  " : "").append(extra);
    }
    switch (mode) {
      case JSON -> {
        timestamp(json);
        json.put("status", state);
        json.put("done", done);
        json.put("total", total);
        if (total > 0) {
          json.put("percent", Math.round(done * 1000.0 / total) / 10.0);
        }
        if (rate > 0) {
          json.put("rate", Math.round(rate));
        }
        out.println(Cli.json(json, false));
      }
      case PLAIN ->
          out.println(
              (LocalTime.now().format(TIME)
                      + " "
                      + label
                      + " "
                      + state
                      + (percent.isEmpty() ? "" : " " + percent.strip())
                      + (words.length() > 0 ? "  " + words : ""))
                  .stripTrailing());
      case BAR -> {
        // label [=====>    ] 42%  state  words: the bar takes 10 to 40 columns, the words what is
        // left, cut at the terminal's edge.
        String head = label + " ";
        String middle = " " + percent + "  " + state;
        String rest = words.length() > 0 ? "  " + words : "";
        int room = width - 1 - head.length() - 2 - middle.length();
        int barWidth = Math.max(10, Math.min(40, room - rest.length()));
        int filled =
            total > 0 ? (int) Math.min(barWidth, (long) barWidth * percent(done, total) / 100) : 0;
        String bar =
            "=".repeat(filled)
                + (filled > 0 && filled < barWidth ? ">" : "")
                + " "
                    .repeat(
                        Math.max(0, barWidth - filled - (filled > 0 && filled < barWidth ? 1 : 0)));
        String text = head + "[" + bar + "]" + middle + rest;
        if (text.length() >= width) {
          text = text.substring(0, width - 1);
        }
        out.print("\r" + text + " ".repeat(Math.max(0, drawn - text.length())));
        drawn = text.length();
      }
    }
    out.flush();
  }

  /** Adds QMP's form of the time, {@code "timestamp": {"seconds": S, "microseconds": U}}. */
  static ObjectNode timestamp(ObjectNode json) {
    java.time.Instant now = java.time.Instant.now();
    json.putObject("timestamp")
        .put("seconds", now.getEpochSecond())
        .put("microseconds", now.getNano() / 1000);
    return json;
  }

  /** A line of its own (an event worth saying), above the bar. */
  void note(String text, ObjectNode json) {
    line(text, json);
    lastPrinted = Long.MIN_VALUE;
  }

  /** The final line: how it ended. */
  void finish(String text, ObjectNode json) {
    line(text, json);
  }

  /** A line of its own in the mode's form, with the bar taken away first. */
  private void line(String text, ObjectNode json) {
    clearBar();
    if (mode == Mode.JSON) {
      out.println(Cli.json(timestamp(json), false));
    } else if (mode == Mode.PLAIN) {
      out.println(LocalTime.now().format(TIME) + " " + text);
    } else {
      out.println(text);
    }
    out.flush();
  }

  /** Removes the bar, if one is drawn (before a message on another stream). */
  void clear() {
    clearBar();
    out.flush();
  }

  private void clearBar() {
    if (mode == Mode.BAR && drawn > 0) {
      out.print("\r" + " ".repeat(drawn) + "\r");
      drawn = 0;
    }
  }

  /** Bytes per second over the last few seconds; 0 until there are two samples apart. */
  private double rate(long now, long done) {
    samples.addLast(new long[] {now, done});
    while (samples.size() > 2 && now - samples.peekFirst()[0] > 5_000_000_000L) {
      samples.removeFirst();
    }
    long[] first = samples.peekFirst();
    long dt = now - first[0];
    if (dt < 200_000_000L || done < first[1]) {
      return 0;
    }
    return (done - first[1]) * 1e9 / dt;
  }

  static int percent(long done, long total) {
    if (total <= 0) {
      return 0;
    }
    return (int) Math.max(0, Math.min(100, done * 100 / total));
  }

  /** A size for people: {@code 512 bytes}, {@code 1.5 KiB}, {@code 20.0 MiB}, {@code 1.0 GiB}. */
  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " bytes";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = bytes / 1024.0;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  /** Seconds as {@code 0:05} or {@code 1:02:03}. */
  static String duration(long seconds) {
    if (seconds >= 3600) {
      return String.format(
          Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
    }
    return String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
  }
}
