package org.qmp4j.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Whether and how a {@link QmpClient} connects again after losing its connection. Immutable.
 *
 * <p>When a connection is lost, every pending command fails at once with {@link
 * QmpConnectionLostException} and is never sent again (the client cannot know whether it ran, and
 * most commands change state); the only exception is a read-only query when {@link
 * #retryQueries(boolean) retryQueries(true)} is set. Then, with a policy other than {@link #NEVER},
 * the client waits {@link #delay(int) delay(1)}, connects, waits for the greeting and negotiates
 * again; on failure it waits {@code delay(2)}, and so on, until it succeeds or {@link
 * #maxAttempts()} attempts failed. While it reconnects, new commands fail at once with {@link
 * QmpConnectionLostException}. When it is back, it runs the {@link #resync(String...) resync}
 * commands, if any, and every event subscription receives a {@link EventSubscription#GAP_EVENT}
 * marker (with their results): events may have been missed in between. If it gives up, the client
 * is closed and subscriptions end with the connection exception.
 *
 * <p>Only clients made from an address or a listener can reconnect; one built on an adopted channel
 * cannot.
 */
public final class ReconnectPolicy {

  /** Never reconnect (the default). */
  public static final ReconnectPolicy NEVER =
      new ReconnectPolicy(Duration.ZERO, Duration.ZERO, 0, List.of(), false, Set.of());

  /** First delay of {@link #backoff()}: 100 ms. */
  public static final Duration DEFAULT_INITIAL_DELAY = Duration.ofMillis(100);

  /** Longest delay of {@link #backoff()}: 5 s. */
  public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(5);

  /**
   * Commands besides {@code query-*} and {@code x-query-*} that {@link #retryQueries(boolean)}
   * retries: QEMU's other read-only introspection commands ({@code qom-get}, {@code qom-list},
   * {@code qom-list-types}, {@code qom-list-properties}, {@code device-list-properties}).
   */
  public static final Set<String> DEFAULT_RETRYABLE =
      Set.of(
          "qom-get", "qom-list", "qom-list-types", "qom-list-properties", "device-list-properties");

  private final Duration initialDelay;
  private final Duration maxDelay;
  private final int maxAttempts;
  private final List<QmpCommand> resync;
  private final boolean retryQueries;
  private final Set<String> retryAlso;

  private ReconnectPolicy(
      Duration initialDelay,
      Duration maxDelay,
      int maxAttempts,
      List<QmpCommand> resync,
      boolean retryQueries,
      Set<String> retryAlso) {
    this.initialDelay = initialDelay;
    this.maxDelay = maxDelay;
    this.maxAttempts = maxAttempts;
    this.resync = resync;
    this.retryQueries = retryQueries;
    this.retryAlso = retryAlso;
  }

  /** Exponential backoff from 100 ms, doubling up to 5 s, without limit on attempts. */
  public static ReconnectPolicy backoff() {
    return backoff(DEFAULT_INITIAL_DELAY, DEFAULT_MAX_DELAY);
  }

  /** Exponential backoff: {@code initial}, doubling each attempt up to {@code max}, no limit. */
  public static ReconnectPolicy backoff(Duration initial, Duration max) {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    if (initial.isNegative() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("need 0 <= initial <= max: " + initial + ", " + max);
    }
    return new ReconnectPolicy(
        initial, max, Integer.MAX_VALUE, List.of(), false, DEFAULT_RETRYABLE);
  }

  /** This policy, giving up after {@code attempts} failed attempts (at least 1). */
  public ReconnectPolicy maxAttempts(int attempts) {
    requireEnabled("attempts");
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1: " + attempts);
    }
    return new ReconnectPolicy(initialDelay, maxDelay, attempts, resync, retryQueries, retryAlso);
  }

  /**
   * This policy, re-reading state after each reconnect: once negotiated, and before the {@link
   * EventSubscription#GAP_EVENT} marker goes to subscribers, the client sends these commands
   * (pipelined, each with its timeout) on the new connection and puts their answers into the
   * marker's data under {@code "resync"}, keyed by command name, in QMP's own reply shape:
   *
   * <pre>{@code
   * "resync": {"query-status": {"return": {"status": "running", "running": true}},
   *            "query-jobs":   {"return": []},
   *            "query-foo":    {"error": {"class": "CommandNotFound", "desc": "..."}}}
   * }</pre>
   *
   * An error reply, or no reply within the command's timeout ({@code "class": "Timeout"}), is
   * recorded so and does not fail the reconnect; losing the new connection meanwhile makes the
   * attempt fail (the next attempt runs them again).
   *
   * <p>Ordering: the marker precedes every event of the new connection. Events that arrive while
   * the commands run are held and delivered right after the marker, in the order they came; the
   * snapshot may therefore already reflect them (a {@code STOP} delivered after a marker whose
   * {@code query-status} says {@code "paused"}). Commands sent while the client reconnects fail
   * (the client is {@code RECONNECTING} until the marker is ready).
   *
   * @param commands command names without arguments, e.g. {@code "query-status"}, {@code
   *     "query-jobs"}, {@code "query-block-jobs"}; replaces any set before
   * @throws IllegalArgumentException if a name repeats
   */
  public ReconnectPolicy resync(String... commands) {
    QmpCommand[] cmds = new QmpCommand[commands.length];
    for (int i = 0; i < commands.length; i++) {
      cmds[i] = QmpCommand.of(Objects.requireNonNull(commands[i], "command"));
    }
    return resync(cmds);
  }

  /**
   * As {@link #resync(String...)}, with arguments or timeouts (e.g. {@code
   * QmpCommand.of("query-named-block-nodes", Map.of("flat", true))}). Out-of-band commands and
   * commands with descriptors are refused.
   */
  public ReconnectPolicy resync(QmpCommand... commands) {
    requireEnabled("resync commands");
    List<QmpCommand> list = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (QmpCommand c : commands) {
      Objects.requireNonNull(c, "command");
      if (!names.add(c.name())) {
        throw new IllegalArgumentException("resync command given twice: " + c.name());
      }
      if (c.oob() || !c.fds().isEmpty()) {
        throw new IllegalArgumentException(
            "a resync command cannot be out-of-band or carry descriptors: " + c);
      }
      list.add(c);
    }
    return new ReconnectPolicy(
        initialDelay, maxDelay, maxAttempts, List.copyOf(list), retryQueries, retryAlso);
  }

  /** The commands run after each reconnect (see {@link #resync(String...)}); empty by default. */
  public List<QmpCommand> resyncCommands() {
    return resync;
  }

  /**
   * This policy, re-sending read-only queries that were pending when the connection was lost
   * (default false). With true, a pending command whose name starts with {@code query-} or {@code
   * x-query-}, or is in {@link #DEFAULT_RETRYABLE} or {@link #retryAlso}, that carries no file
   * descriptors and is not out-of-band, is kept when the connection is lost and sent again on the
   * new connection once negotiated, instead of failing with {@link QmpConnectionLostException}. Its
   * timeout keeps counting from the original call: if it runs out while reconnecting, the command
   * fails with {@link QmpTimeoutException}; if the client gives up or is closed, with {@link
   * QmpConnectionLostException}. Every other command still fails at once and is never sent again.
   * Raw requests ({@link QmpClient#executeRawAsync}) and {@link
   * QmpClient#executeAndAwaitEventAsync} are never retried.
   */
  public ReconnectPolicy retryQueries(boolean retry) {
    requireEnabled("retried queries");
    return new ReconnectPolicy(initialDelay, maxDelay, maxAttempts, resync, retry, retryAlso);
  }

  /**
   * This policy, with {@code commands} added to those {@link #retryQueries(boolean)
   * retryQueries(true)} re-sends: commands of your own (or of a newer QEMU) that only read. Adding
   * a command that changes state defeats the point: it may then run twice.
   */
  public ReconnectPolicy retryAlso(String... commands) {
    requireEnabled("retried commands");
    Set<String> s = new LinkedHashSet<>(retryAlso);
    for (String c : commands) {
      s.add(Objects.requireNonNull(c, "command"));
    }
    return new ReconnectPolicy(
        initialDelay, maxDelay, maxAttempts, resync, retryQueries, Collections.unmodifiableSet(s));
  }

  /** Whether pending read-only queries are re-sent after a reconnect. */
  public boolean retriesQueries() {
    return retryQueries;
  }

  /**
   * Whether a pending {@code command} (in-band, without descriptors) is re-sent after a reconnect
   * under this policy.
   */
  public boolean retries(String command) {
    return retryQueries
        && (command.startsWith("query-")
            || command.startsWith("x-query-")
            || retryAlso.contains(command));
  }

  private void requireEnabled(String what) {
    if (this == NEVER || maxAttempts == 0) {
      throw new IllegalStateException("NEVER reconnects: it has no " + what);
    }
  }

  /** Whether this policy reconnects at all. */
  public boolean enabled() {
    return maxAttempts > 0;
  }

  /** Attempts before giving up ({@link Integer#MAX_VALUE}: never gives up; 0: {@link #NEVER}). */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** The wait before attempt {@code attempt} (1-based). */
  public Duration delay(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt is 1-based: " + attempt);
    }
    Duration d = initialDelay;
    for (int i = 1; i < attempt && d.compareTo(maxDelay) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(maxDelay) > 0 ? maxDelay : d;
  }

  @Override
  public String toString() {
    if (!enabled()) {
      return "ReconnectPolicy[NEVER]";
    }
    StringBuilder b =
        new StringBuilder("ReconnectPolicy[backoff ")
            .append(initialDelay)
            .append("..")
            .append(maxDelay)
            .append(", attempts ")
            .append(maxAttempts == Integer.MAX_VALUE ? "unlimited" : maxAttempts);
    if (!resync.isEmpty()) {
      b.append(", resync ").append(resync.stream().map(QmpCommand::name).toList());
    }
    if (retryQueries) {
      b.append(", retrying queries");
    }
    return b.append(']').toString();
  }
}
