package org.qmp4j.client;

import java.time.Duration;
import java.util.Objects;

/**
 * Whether and how a {@link QmpClient} connects again after losing its connection. Immutable.
 *
 * <p>When a connection is lost, every pending command fails at once with {@link
 * QmpConnectionLostException} and is never sent again (the client cannot know whether it ran, and
 * most commands change state). Then, with a policy other than {@link #NEVER}, the client waits
 * {@link #delay(int) delay(1)}, connects, waits for the greeting and negotiates again; on failure
 * it waits {@code delay(2)}, and so on, until it succeeds or {@link #maxAttempts()} attempts
 * failed. While it reconnects, new commands fail at once with {@link QmpConnectionLostException}.
 * When it is back, every event subscription receives a {@link EventSubscription#GAP_EVENT} marker:
 * events may have been missed in between. If it gives up, the client is closed and subscriptions
 * end with the connection exception.
 *
 * <p>Only clients made from an address or a listener can reconnect; one built on an adopted channel
 * cannot.
 */
public final class ReconnectPolicy {

  /** Never reconnect (the default). */
  public static final ReconnectPolicy NEVER = new ReconnectPolicy(Duration.ZERO, Duration.ZERO, 0);

  /** First delay of {@link #backoff()}: 100 ms. */
  public static final Duration DEFAULT_INITIAL_DELAY = Duration.ofMillis(100);

  /** Longest delay of {@link #backoff()}: 5 s. */
  public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(5);

  private final Duration initialDelay;
  private final Duration maxDelay;
  private final int maxAttempts;

  private ReconnectPolicy(Duration initialDelay, Duration maxDelay, int maxAttempts) {
    this.initialDelay = initialDelay;
    this.maxDelay = maxDelay;
    this.maxAttempts = maxAttempts;
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
    return new ReconnectPolicy(initial, max, Integer.MAX_VALUE);
  }

  /** This policy, giving up after {@code attempts} failed attempts (at least 1). */
  public ReconnectPolicy maxAttempts(int attempts) {
    if (this == NEVER) {
      throw new IllegalStateException("NEVER has no attempts");
    }
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1: " + attempts);
    }
    return new ReconnectPolicy(initialDelay, maxDelay, attempts);
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
    return enabled()
        ? "ReconnectPolicy[backoff "
            + initialDelay
            + ".."
            + maxDelay
            + ", attempts "
            + (maxAttempts == Integer.MAX_VALUE ? "unlimited" : maxAttempts)
            + "]"
        : "ReconnectPolicy[NEVER]";
  }
}
