package org.qmp4j.client.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.qmp4j.client.EventFilter;
import org.qmp4j.client.EventOverflowException;
import org.qmp4j.client.EventStream;
import org.qmp4j.client.EventSubscription;
import org.qmp4j.client.OverflowPolicy;
import org.qmp4j.client.QmpInterruptedException;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.protocol.QmpJson;

/**
 * One subscription: a bounded queue that the reader thread offers to without ever waiting, and
 * either a pulling consumer ({@link EventStream}) or a pushing one (a {@link Flow.Subscriber}
 * driven on an executor, one event at a time).
 */
final class Subscription implements EventStream, Flow.Subscription {

  /** Events delivered per executor task before yielding the thread to others. */
  private static final int BATCH = 256;

  /** Where events were dropped: turned into a {@link EventSubscription#DROPPED_EVENT}. */
  private static final class DropMarker {
    long count;
    final Instant since = Instant.now();
  }

  private final DefaultQmpClient client;
  private final EventFilter filter;
  private final int capacity;
  private final OverflowPolicy policy;
  private final Executor executor;
  private final Flow.Subscriber<? super QmpEvent> subscriber; // null: pulling
  private final CompletableFuture<Void> closeFuture;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  private final ArrayDeque<Object> items = new ArrayDeque<>();
  private int eventCount;
  private long dropped;
  private long demand;
  private boolean scheduled;
  private boolean closed; // no more offers
  private boolean cancelled; // consumer gone: deliver nothing more
  private boolean terminated; // terminal signal delivered
  private Throwable failure; // terminal error, delivered after the queue drains

  Subscription(
      DefaultQmpClient client,
      EventFilter filter,
      int capacity,
      OverflowPolicy policy,
      Executor executor,
      Flow.Subscriber<? super QmpEvent> subscriber) {
    this.client = client;
    this.filter = filter;
    this.capacity = capacity;
    this.policy = policy;
    this.executor = executor;
    this.subscriber = subscriber;
    this.closeFuture = new ClientFuture<>(client.callbackExecutor());
  }

  // ------------------------------------------------------------------ producer side

  /** Set when events were queued without waking the consumer; see {@link #wake()}. */
  private volatile boolean wakePending;

  /**
   * Queues an event. Called by the reader thread (or a marker source); never blocks for long, never
   * waits. With {@code defer}, the consumer is not woken until {@link #wake()}: the reader queues a
   * whole read's worth of events, then wakes each consumer once.
   */
  void offer(QmpEvent event, boolean marker, boolean defer) {
    boolean schedule = false;
    Throwable failed = null;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      if (marker || eventCount < capacity) {
        items.addLast(event);
        if (!marker) {
          eventCount++;
        }
      } else {
        dropped++;
        switch (policy) {
          case DROP_OLDEST:
            dropOldest();
            items.addLast(event);
            break;
          case DROP_NEWEST:
            Object last = items.peekLast();
            if (last instanceof DropMarker) {
              ((DropMarker) last).count++;
            } else {
              DropMarker m = new DropMarker();
              m.count = 1;
              items.addLast(m);
            }
            break;
          default:
            failure = new EventOverflowException(capacity, event.name());
            failed = failure;
            closed = true;
            break;
        }
      }
      if (defer && failed == null) {
        wakePending = true;
      } else {
        notEmpty.signal();
        schedule = needsDrain();
      }
    } finally {
      lock.unlock();
    }
    if (schedule) {
      schedule();
    }
    if (failed != null && subscriber == null) {
      finish(failed);
    }
  }

  /** Wakes the consumer if events were queued with {@code defer}. */
  void wake() {
    if (!wakePending) {
      return;
    }
    boolean schedule;
    lock.lock();
    try {
      wakePending = false;
      notEmpty.signal();
      schedule = needsDrain();
    } finally {
      lock.unlock();
    }
    if (schedule) {
      schedule();
    }
  }

  private void dropOldest() {
    Iterator<Object> it = items.iterator();
    while (it.hasNext()) {
      Object o = it.next();
      if (o instanceof QmpEvent && !EventSubscription.isMarker((QmpEvent) o)) {
        it.remove();
        break;
      }
    }
    Object head = items.peekFirst();
    if (head instanceof DropMarker) {
      ((DropMarker) head).count++;
    } else {
      DropMarker m = new DropMarker();
      m.count = 1;
      items.addFirst(m);
    }
  }

  /** Ends the subscription from the client's side: normally ({@code cause == null}) or failed. */
  void end(Throwable cause) {
    boolean schedule;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      if (cause != null && failure == null) {
        failure = cause;
      }
      notEmpty.signalAll();
      schedule = needsDrain();
    } finally {
      lock.unlock();
    }
    if (schedule) {
      schedule();
    }
    if (subscriber == null) {
      finish(cause);
    }
  }

  /** Whether a push drain should be started now. Called with the lock held. */
  private boolean needsDrain() {
    if (subscriber == null || scheduled || cancelled || terminated) {
      return false;
    }
    boolean work = (demand > 0 && !items.isEmpty()) || (closed && items.isEmpty());
    if (work) {
      scheduled = true;
    }
    return work;
  }

  private void schedule() {
    try {
      executor.execute(this::drain);
    } catch (RejectedExecutionException e) {
      lock.lock();
      try {
        scheduled = false;
      } finally {
        lock.unlock();
      }
    }
  }

  private void drain() {
    for (int n = 0; ; n++) {
      Object item;
      Throwable terminal = null;
      boolean complete = false;
      lock.lock();
      try {
        if (cancelled || terminated) {
          scheduled = false;
          return;
        }
        if (items.isEmpty()) {
          if (!closed) {
            scheduled = false;
            return;
          }
          terminated = true;
          terminal = failure;
          complete = failure == null;
          item = null;
        } else if (demand == 0) {
          scheduled = false;
          return;
        } else if (n >= BATCH) {
          // yield the thread; go on in a new task
          item = null;
        } else {
          item = take();
          demand--;
        }
      } finally {
        lock.unlock();
      }
      if (terminal != null || complete) {
        finish(terminal);
        try {
          if (terminal != null) {
            subscriber.onError(terminal);
          } else {
            subscriber.onComplete();
          }
        } catch (RuntimeException e) {
          DefaultQmpClient.LOG.warn("event subscriber threw from a terminal signal", e);
        }
        return;
      }
      if (item == null) {
        schedule();
        return;
      }
      try {
        subscriber.onNext((QmpEvent) item);
      } catch (RuntimeException e) {
        DefaultQmpClient.LOG.warn("event subscriber threw; the subscription goes on", e);
      }
    }
  }

  /** Removes the head item as an event. Called with the lock held and items not empty. */
  private QmpEvent take() {
    Object o = items.pollFirst();
    if (o instanceof DropMarker) {
      DropMarker m = (DropMarker) o;
      ObjectNode data = QmpJson.objectNode();
      data.put("count", m.count);
      data.put("policy", policy == OverflowPolicy.DROP_OLDEST ? "drop-oldest" : "drop-newest");
      return QmpEvent.of(EventSubscription.DROPPED_EVENT, data, m.since);
    }
    QmpEvent e = (QmpEvent) o;
    if (!EventSubscription.isMarker(e)) {
      eventCount--;
    }
    return e;
  }

  private void finish(Throwable cause) {
    client.removeSubscription(this);
    if (cause == null) {
      closeFuture.complete(null);
    } else {
      closeFuture.completeExceptionally(cause);
    }
  }

  // ------------------------------------------------------------------ Flow.Subscription

  @Override
  public void request(long n) {
    if (n <= 0) {
      boolean schedule;
      lock.lock();
      try {
        if (closed && failure != null) {
          return;
        }
        failure = new IllegalArgumentException("request(n) needs n > 0 (Flow rule 3.9): " + n);
        closed = true;
        items.clear();
        schedule = needsDrain();
      } finally {
        lock.unlock();
      }
      client.removeSubscription(this);
      if (schedule) {
        schedule();
      }
      return;
    }
    boolean schedule;
    lock.lock();
    try {
      demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
      schedule = needsDrain();
    } finally {
      lock.unlock();
    }
    if (schedule) {
      schedule();
    }
  }

  @Override
  public void cancel() {
    close();
  }

  // ------------------------------------------------------------------ EventSubscription

  @Override
  public EventFilter filter() {
    return filter;
  }

  @Override
  public int capacity() {
    return capacity;
  }

  @Override
  public OverflowPolicy overflowPolicy() {
    return policy;
  }

  @Override
  public long droppedCount() {
    lock.lock();
    try {
      return dropped;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public int queued() {
    lock.lock();
    try {
      return eventCount;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean isClosed() {
    return closeFuture.isDone() || cancelledOrClosed();
  }

  private boolean cancelledOrClosed() {
    lock.lock();
    try {
      return cancelled || (closed && items.isEmpty());
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean isEnded() {
    return cancelledOrClosed();
  }

  @Override
  public CompletableFuture<Void> closeFuture() {
    return closeFuture;
  }

  @Override
  public void close() {
    lock.lock();
    try {
      if (cancelled) {
        return;
      }
      cancelled = true;
      closed = true;
      items.clear();
      eventCount = 0;
      notEmpty.signalAll();
    } finally {
      lock.unlock();
    }
    finish(null);
  }

  // ------------------------------------------------------------------ EventStream

  @Override
  public Optional<QmpEvent> poll(Duration timeout) {
    long nanos = timeout.toNanos();
    Throwable fail = null;
    lock.lock();
    try {
      while (items.isEmpty()) {
        if (closed || cancelled) {
          fail = cancelled ? null : failure;
          break;
        }
        if (nanos <= 0) {
          return Optional.empty();
        }
        nanos = notEmpty.awaitNanos(nanos);
      }
      if (!items.isEmpty()) {
        return Optional.of(take());
      }
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new QmpInterruptedException("interrupted while waiting for an event", ie);
    } finally {
      lock.unlock();
    }
    if (fail != null) {
      throw Futures.rethrow(fail);
    }
    return Optional.empty();
  }

  @Override
  public Iterator<QmpEvent> iterator() {
    return new Iterator<>() {
      private QmpEvent next;

      @Override
      public boolean hasNext() {
        while (next == null) {
          lock.lock();
          try {
            if (items.isEmpty() && (closed || cancelled) && (failure == null || cancelled)) {
              return false;
            }
          } finally {
            lock.unlock();
          }
          next = poll(Duration.ofSeconds(1)).orElse(null);
        }
        return true;
      }

      @Override
      public QmpEvent next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        QmpEvent e = next;
        next = null;
        return e;
      }
    };
  }

  @Override
  public String toString() {
    return "EventSubscription[" + filter + ", " + policy + ", capacity " + capacity + "]";
  }
}
