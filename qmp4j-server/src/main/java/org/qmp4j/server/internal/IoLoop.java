package org.qmp4j.server.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.qmp4j.protocol.QmpWriter;

/**
 * One thread, one selector: all socket I/O of a server and all session state changes happen here.
 * Other threads hand work in with {@link #execute} and timers with {@link #schedule}.
 */
final class IoLoop implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(IoLoop.class.getName());

  /** Reacts to readiness of a registered channel. */
  interface Readiness {
    void ready(SelectionKey key) throws IOException;
  }

  private final Selector selector;
  private final Thread thread;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private final PriorityQueue<Timer> timers = new PriorityQueue<>();
  private final AtomicLong timerSequence = new AtomicLong();
  private final List<Runnable> afterBatch = new ArrayList<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;
  // Sessions read into and write from this one direct buffer (loop thread only), copying to and
  // from their own heap buffers: a heap buffer handed to a channel makes the JDK go through a
  // temporary direct buffer of its own, and a direct buffer per session would cost memory.
  private final ByteBuffer ioBuffer = ByteBuffer.allocateDirect(64 * 1024);
  // Where sessions serialise a message before appending it to their output (loop thread only).
  private final QmpWriter.Buffer scratch = new QmpWriter.Buffer(1024);

  IoLoop(String name) {
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a selector", e);
    }
    thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  Selector selector() {
    return selector;
  }

  /** The loop's direct I/O buffer; call from the loop thread, and do not keep it. */
  ByteBuffer ioBuffer() {
    return ioBuffer;
  }

  /** The loop's serialisation buffer; call from the loop thread, and do not keep it. */
  QmpWriter.Buffer scratch() {
    return scratch;
  }

  /** Runs {@code task} on the loop thread, after what is already queued. */
  void execute(Runnable task) {
    tasks.add(task);
    if (!inLoop() && wakeupPending.compareAndSet(false, true)) {
      selector.wakeup();
    }
  }

  /** Runs {@code task} now if on the loop thread, else queues it. */
  void run(Runnable task) {
    if (inLoop()) {
      task.run();
    } else {
      execute(task);
    }
  }

  /** Runs {@code task} on the loop thread once the current batch of readiness events is done. */
  void afterBatch(Runnable task) {
    afterBatch.add(task);
  }

  /** Runs {@code task} on the loop thread after {@code delayNanos}. Call from the loop thread. */
  Timer schedule(long delayNanos, Runnable task) {
    Timer t = new Timer(System.nanoTime() + delayNanos, timerSequence.incrementAndGet(), task);
    if (inLoop()) {
      timers.add(t);
    } else {
      execute(() -> timers.add(t));
    }
    return t;
  }

  /** A pending timer; {@link #cancel()} it to skip its task. */
  static final class Timer implements Comparable<Timer> {
    final long due;
    final long sequence;
    final Runnable task;
    volatile boolean cancelled;

    Timer(long due, long sequence, Runnable task) {
      this.due = due;
      this.sequence = sequence;
      this.task = task;
    }

    void cancel() {
      cancelled = true;
    }

    @Override
    public int compareTo(Timer o) {
      int c = Long.compare(due, o.due);
      return c != 0 ? c : Long.compare(sequence, o.sequence);
    }
  }

  private void run() {
    try {
      while (running) {
        long timeoutMillis = runDueTimers();
        // The consumer forms of select() hand each ready key over directly, without the
        // selected-key set and its iterator.
        if (tasks.isEmpty() && afterBatch.isEmpty()) {
          selector.select(dispatcher, timeoutMillis < 0 ? 0 : Math.max(1, timeoutMillis));
        } else {
          selector.selectNow(dispatcher);
        }
        if (wakeupPending.get()) {
          wakeupPending.set(false);
        }
        Runnable task;
        while ((task = tasks.poll()) != null) {
          safely(task);
        }
        if (!afterBatch.isEmpty()) {
          Runnable[] batch = afterBatch.toArray(new Runnable[0]);
          afterBatch.clear();
          for (Runnable r : batch) {
            safely(r);
          }
        }
      }
    } catch (ClosedSelectorException e) {
      // closed underneath us: stop
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "QMP server I/O loop failed", e);
    } finally {
      try {
        selector.close();
      } catch (IOException e) {
        LOG.log(System.Logger.Level.DEBUG, "closing selector", e);
      }
      stopped.countDown();
    }
  }

  private final java.util.function.Consumer<SelectionKey> dispatcher = this::dispatch;

  private void dispatch(SelectionKey key) {
    Object attachment = key.attachment();
    if (!(attachment instanceof Readiness)) {
      return;
    }
    try {
      ((Readiness) attachment).ready(key);
    } catch (CancelledKeyException e) {
      // the channel was closed while we looked at it
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "QMP server channel failed", e);
      key.cancel();
    }
  }

  /** Runs the due timers; returns milliseconds until the next one, or -1 if none. */
  private long runDueTimers() {
    while (!timers.isEmpty()) {
      Timer t = timers.peek();
      long wait = t.due - System.nanoTime();
      if (wait > 0) {
        return TimeUnit.NANOSECONDS.toMillis(wait + 999_999);
      }
      timers.poll();
      if (!t.cancelled) {
        safely(t.task);
      }
    }
    return -1;
  }

  private static void safely(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "QMP server task failed", e);
    }
  }

  @Override
  public void close() {
    running = false;
    selector.wakeup();
    if (!inLoop()) {
      try {
        stopped.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
