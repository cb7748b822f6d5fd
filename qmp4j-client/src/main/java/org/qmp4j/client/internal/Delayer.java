package org.qmp4j.client.internal;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one timer thread of all clients in the JVM: command timeouts, awaited-event timeouts,
 * heartbeats. Started on first use, a daemon, never stopped. Tasks must be short.
 */
final class Delayer {
  private static final ScheduledThreadPoolExecutor TIMER = newTimer();

  private Delayer() {}

  private static ScheduledThreadPoolExecutor newTimer() {
    ScheduledThreadPoolExecutor t =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread th = new Thread(r, "qmp4j-client-timer");
              th.setDaemon(true);
              return th;
            });
    t.setRemoveOnCancelPolicy(true);
    return t;
  }

  static ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
    return TIMER.schedule(guard(task), Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
  }

  static ScheduledFuture<?> every(Runnable task, long periodNanos) {
    return TIMER.scheduleWithFixedDelay(
        guard(task), periodNanos, periodNanos, TimeUnit.NANOSECONDS);
  }

  private static Runnable guard(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        DefaultQmpClient.LOG.warn("timer task failed", e);
      }
    };
  }
}
