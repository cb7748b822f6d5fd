package org.qmp4j.client;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.qmp4j.protocol.QmpEvent;

/** The behaviour suite through the async API: futures, waited for here. */
class AsyncClientBehaviourTest extends ClientBehaviourSuite {

  static <T> T get(CompletableFuture<T> f) {
    try {
      return f.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException) {
        throw (RuntimeException) e.getCause();
      }
      throw new AssertionError(e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError(e);
    }
  }

  @Override
  JsonNode run(QmpClient client, QmpCommand command) {
    return get(client.executeAsync(command));
  }

  @Override
  <T> T run(QmpClient client, QmpCommand command, Class<T> type) {
    return get(client.executeAsync(command, type));
  }

  @Override
  <T> T run(QmpClient client, QmpCommand command, TypeReference<T> type) {
    return get(client.executeAsync(command, type));
  }

  @Override
  ObjectNode raw(QmpClient client, String request) {
    return get(client.executeRawAsync(request));
  }

  @Override
  QmpEvent runAndAwait(QmpClient client, QmpCommand command, EventFilter filter, Duration timeout) {
    return get(client.executeAndAwaitEventAsync(command, filter, timeout));
  }
}
