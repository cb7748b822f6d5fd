package org.qmp4j.client.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The futures a client hands out. The connection's reader thread completes them, so every stage
 * added with a non-async method is made async on the client's executor: user code never runs on the
 * reader thread. Waiting with {@code get()} or {@code join()} adds no stage and costs no thread
 * hop.
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
  public T get() throws java.lang.InterruptedException, java.util.concurrent.ExecutionException {
    spin();
    return super.get();
  }

  @Override
  public T get(long timeout, java.util.concurrent.TimeUnit unit)
      throws java.lang.InterruptedException,
          java.util.concurrent.ExecutionException,
          java.util.concurrent.TimeoutException {
    spin();
    return super.get(timeout, unit);
  }

  @Override
  public T join() {
    spin();
    return super.join();
  }

  @Override
  public Executor defaultExecutor() {
    return executor;
  }

  @Override
  public <U> CompletableFuture<U> newIncompleteFuture() {
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
