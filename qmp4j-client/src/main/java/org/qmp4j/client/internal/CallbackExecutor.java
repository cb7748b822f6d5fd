package org.qmp4j.client.internal;

import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where a client runs user code: the executor given to the builder, or a cached pool of daemon
 * threads created on first use and shut down with the client. Tasks submitted after shutdown run on
 * the common pool, so a stage added to a future of a closed client still runs.
 */
final class CallbackExecutor implements Executor {
  private final Executor given;
  private final String name;
  private final AtomicInteger threads = new AtomicInteger();
  private volatile ThreadPoolExecutor own;
  private volatile boolean shutdown;

  CallbackExecutor(Executor given, String name) {
    this.given = given;
    this.name = name;
  }

  @Override
  public void execute(Runnable task) {
    if (given != null) {
      given.execute(task);
      return;
    }
    ThreadPoolExecutor pool = own;
    if (pool == null) {
      pool = create();
    }
    if (pool != null) {
      try {
        pool.execute(task);
        return;
      } catch (RejectedExecutionException e) {
        // shut down meanwhile
      }
    }
    ForkJoinPool.commonPool().execute(task);
  }

  private synchronized ThreadPoolExecutor create() {
    if (own == null && !shutdown) {
      ThreadPoolExecutor pool =
          new ThreadPoolExecutor(
              0,
              Integer.MAX_VALUE,
              10,
              TimeUnit.SECONDS,
              new SynchronousQueue<>(),
              r -> {
                Thread t =
                    new Thread(r, "qmp4j-client-" + name + "-cb-" + threads.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
      own = pool;
    }
    return own;
  }

  /** Stops the own pool (running tasks finish; idle threads end at once). */
  void shutdown() {
    ThreadPoolExecutor pool;
    synchronized (this) {
      shutdown = true;
      pool = own;
    }
    if (pool != null) {
      pool.shutdown();
    }
  }

  /** Waits up to {@code millis} for the own pool's threads to end (for tidy shutdown). */
  void awaitTermination(long millis) {
    ThreadPoolExecutor pool = own;
    if (pool != null) {
      try {
        pool.awaitTermination(millis, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
