package org.qmp4j.client.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The futures a client hands out. The connection's reader thread completes them, so every stage
 * added with a non-async method is made async on the client's executor: user code never runs on the
 * reader thread. Waiting with {@code get()} or {@code join()} adds no stage.
 *
 * <p>A command's future knows the connection that answers it ({@link #readBy}). A thread that waits
 * for it with {@code get()} or {@code join()} while no stage hangs on it reads the socket itself
 * when no one else does (leader/follower reading, see {@link ReplySource}): the reply wakes the
 * waiting thread directly, as in a plain socket loop, instead of waking the reader thread that
 * would then wake the caller.
 */
public final class ClientFuture<T> extends CompletableFuture<T> {

  /**
   * How long a waiting caller spins before parking. A reply usually comes within a few microseconds
   * of the request on a local socket; spinning that long saves the wake-up of a parked thread,
   * which costs about as much again. Zero on a single processor.
   */
  static final long SPIN_NANOS = Runtime.getRuntime().availableProcessors() > 1 ? 20_000 : 0;

  private final Executor executor;
  private final RoundTrip roundTrip;

  /** The connection whose reading a waiting caller may take over; null: wait only. */
  private volatile ReplySource source;

  /** A dependent stage was made from this future (see {@link #newIncompleteFuture()}). */
  private volatile boolean staged;

  /** The thread waiting in {@link ReplySource#awaitReply}, woken when this future completes. */
  volatile Thread waiter;

  /** The connection that answers this future, which a waiting caller may read for. */
  void readBy(ReplySource s) {
    this.source = s;
  }

  /**
   * Whether completing this future runs nothing but the completion itself: no stage was made from
   * it and no thread waits in {@code get()}. Such a future may be completed by any thread reading
   * for the connection, a caller included, without running anyone's code there.
   */
  boolean completesQuietly() {
    return !staged && getNumberOfDependents() == 0;
  }

  /** Claims the right to wait as a reader for this future; false if another thread has it. */
  boolean claimWaiter(Thread t) {
    return WAITER.compareAndSet(this, null, t);
  }

  private static final java.lang.invoke.VarHandle WAITER;

  static {
    try {
      WAITER =
          java.lang.invoke.MethodHandles.lookup()
              .findVarHandle(ClientFuture.class, "waiter", Thread.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Wakes the thread waiting as a reader for this future, if it is not the completing thread. */
  private void signal() {
    Thread w = waiter;
    if (w != null && w != Thread.currentThread()) {
      LockSupport.unpark(w);
      ReplySource s = source;
      if (s != null) {
        s.wakeReader(w);
      }
    }
  }

  /** Wakes the waiting reader if {@code done} (this call completed the future); returns it. */
  private boolean signalIf(boolean done) {
    if (done) {
      signal();
    }
    return done;
  }

  /** Whether a waiting thread should read for this future rather than only wait. */
  private ReplySource readable() {
    ReplySource s = source;
    return s != null && !isDone() && completesQuietly() ? s : null;
  }

  @Override
  public boolean complete(T value) {
    return signalIf(super.complete(value));
  }

  @Override
  public boolean completeExceptionally(Throwable ex) {
    return signalIf(super.completeExceptionally(ex));
  }

  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    return signalIf(super.cancel(mayInterruptIfRunning));
  }

  @Override
  public void obtrudeValue(T value) {
    super.obtrudeValue(value);
    signal();
  }

  @Override
  public void obtrudeException(Throwable ex) {
    super.obtrudeException(ex);
    signal();
  }

  public ClientFuture(Executor executor) {
    this(executor, null);
  }

  ClientFuture(Executor executor, RoundTrip roundTrip) {
    this.executor = executor;
    this.roundTrip = roundTrip;
  }

  /**
   * Whether spinning pays on a connection: spins that saw the future complete raise the score,
   * spins that ran out lower it faster. Below zero, callers park at once, but one wait in 32 still
   * spins to notice when the peer gets fast again. Against a peer that answers within microseconds
   * (qmp4j's server) callers spin; against one that takes longer (QEMU's main loop) they do not
   * take processor time from it. Updated racily: it is a heuristic.
   */
  static final class RoundTrip {
    private volatile int score = 8;
    private int probes;

    boolean worthSpinning() {
      return score >= 0 || (++probes & 31) == 0;
    }

    void record(boolean success) {
      int s = score;
      score = success ? Math.min(16, s + 1) : Math.max(-16, s - 4);
    }
  }

  /** Spins briefly while the future is not done (see {@link #SPIN_NANOS}). */
  void spin() {
    if (SPIN_NANOS == 0 || isDone() || (roundTrip != null && !roundTrip.worthSpinning())) {
      return;
    }
    long until = System.nanoTime() + SPIN_NANOS;
    while (!isDone() && System.nanoTime() - until < 0) {
      Thread.onSpinWait();
    }
    if (roundTrip != null) {
      roundTrip.record(isDone());
    }
  }

  @Override
  public T get() throws InterruptedException, ExecutionException {
    ReplySource s = readable();
    if (s != null) {
      if (s.awaitReply(this, 0, false)) {
        throw new InterruptedException();
      }
    } else {
      spin();
    }
    return super.get();
  }

  @Override
  public T get(long timeout, TimeUnit unit)
      throws InterruptedException, ExecutionException, TimeoutException {
    ReplySource s = readable();
    if (s != null) {
      long deadline = System.nanoTime() + unit.toNanos(timeout);
      if (s.awaitReply(this, deadline, true)) {
        throw new InterruptedException();
      }
      return super.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
    spin();
    return super.get(timeout, unit);
  }

  @Override
  public T join() {
    ReplySource s = readable();
    if (s != null) {
      if (s.awaitReply(this, 0, false)) {
        Thread.currentThread().interrupt(); // join() is not interruptible: wait on, as it would
      }
    } else {
      spin();
    }
    return super.join();
  }

  @Override
  public Executor defaultExecutor() {
    return executor;
  }

  /**
   * Every dependent stage is made through this method, which marks this future as staged: its
   * completion may then run code (a stage's own, or its executor's), so only the connection's
   * reader thread completes it.
   */
  @Override
  public <U> CompletableFuture<U> newIncompleteFuture() {
    staged = true;
    return new ClientFuture<>(executor, roundTrip);
  }

  @Override
  public <U> CompletableFuture<U> thenApply(Function<? super T, ? extends U> fn) {
    return thenApplyAsync(fn, executor);
  }

  @Override
  public CompletableFuture<Void> thenAccept(Consumer<? super T> action) {
    return thenAcceptAsync(action, executor);
  }

  @Override
  public CompletableFuture<Void> thenRun(Runnable action) {
    return thenRunAsync(action, executor);
  }

  @Override
  public <U, V> CompletableFuture<V> thenCombine(
      CompletionStage<? extends U> other, BiFunction<? super T, ? super U, ? extends V> fn) {
    return thenCombineAsync(other, fn, executor);
  }

  @Override
  public <U> CompletableFuture<Void> thenAcceptBoth(
      CompletionStage<? extends U> other, BiConsumer<? super T, ? super U> action) {
    return thenAcceptBothAsync(other, action, executor);
  }

  @Override
  public CompletableFuture<Void> runAfterBoth(CompletionStage<?> other, Runnable action) {
    return runAfterBothAsync(other, action, executor);
  }

  @Override
  public <U> CompletableFuture<U> applyToEither(
      CompletionStage<? extends T> other, Function<? super T, U> fn) {
    return applyToEitherAsync(other, fn, executor);
  }

  @Override
  public CompletableFuture<Void> acceptEither(
      CompletionStage<? extends T> other, Consumer<? super T> action) {
    return acceptEitherAsync(other, action, executor);
  }

  @Override
  public CompletableFuture<Void> runAfterEither(CompletionStage<?> other, Runnable action) {
    return runAfterEitherAsync(other, action, executor);
  }

  @Override
  public <U> CompletableFuture<U> thenCompose(
      Function<? super T, ? extends CompletionStage<U>> fn) {
    return thenComposeAsync(fn, executor);
  }

  @Override
  public <U> CompletableFuture<U> handle(BiFunction<? super T, Throwable, ? extends U> fn) {
    return handleAsync(fn, executor);
  }

  @Override
  public CompletableFuture<T> whenComplete(BiConsumer<? super T, ? super Throwable> action) {
    return whenCompleteAsync(action, executor);
  }

  @Override
  public CompletableFuture<T> exceptionally(Function<Throwable, ? extends T> fn) {
    return exceptionallyAsync(fn, executor);
  }

  @Override
  public CompletableFuture<T> exceptionallyCompose(
      Function<Throwable, ? extends CompletionStage<T>> fn) {
    return exceptionallyComposeAsync(fn, executor);
  }
}
