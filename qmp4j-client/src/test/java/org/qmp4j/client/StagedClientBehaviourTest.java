package org.qmp4j.client;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.qmp4j.protocol.QmpEvent;

/**
 * The behaviour suite through the async API, waited for the way async code does: a {@code
 * whenComplete} stage counts down a latch. The test thread never calls {@code get()} or {@code
 * join()}, so it never reads the socket itself (as {@link AsyncClientBehaviourTest}'s timed {@code
 * get} may, leading the connection): every reply is read and every future completed by the client's
 * reader thread, and the stage runs on the client's executor.
 */
class StagedClientBehaviourTest extends ClientBehaviourSuite {

  static <T> T await(CompletableFuture<T> f) {
    CountDownLatch done = new CountDownLatch(1);
    AtomicReference<T> value = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicReference<String> stageThread = new AtomicReference<>();
    String me = Thread.currentThread().getName();
    f.whenComplete(
        (v, err) -> {
          stageThread.set(Thread.currentThread().getName());
          value.set(v);
          failure.set(err);
          done.countDown();
        });
    try {
      if (!done.await(30, TimeUnit.SECONDS)) {
        throw new AssertionError("the future did not complete within 30 s");
      }
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
    // a stage added to a pending future runs on the executor; one added to a future completed
    // already (a failure found before sending) runs right here
    if (!stageThread.get().equals(me) && stageThread.get().contains("-reader-")) {
      throw new AssertionError("a stage ran on the reader thread " + stageThread.get());
    }
    Throwable t = failure.get();
    if (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof RuntimeException) {
      throw (RuntimeException) t;
    }
    if (t != null) {
      throw new AssertionError(t);
    }
    return value.get();
  }

  @Override
  JsonNode run(QmpClient client, QmpCommand command) {
    return await(client.executeAsync(command));
  }

  @Override
  <T> T run(QmpClient client, QmpCommand command, Class<T> type) {
    return await(client.executeAsync(command, type));
  }

  @Override
  <T> T run(QmpClient client, QmpCommand command, TypeReference<T> type) {
    return await(client.executeAsync(command, type));
  }

  @Override
  ObjectNode raw(QmpClient client, String request) {
    return await(client.executeRawAsync(request));
  }

  @Override
  QmpEvent runAndAwait(QmpClient client, QmpCommand command, EventFilter filter, Duration timeout) {
    return await(client.executeAndAwaitEventAsync(command, filter, timeout));
  }
}
