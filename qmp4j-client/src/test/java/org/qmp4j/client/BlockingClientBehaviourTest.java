package org.qmp4j.client;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import org.qmp4j.protocol.QmpEvent;

/** The behaviour suite through the blocking API. */
class BlockingClientBehaviourTest extends ClientBehaviourSuite {

  @Override
  JsonNode run(QmpClient client, QmpCommand command) {
    return client.execute(command);
  }

  @Override
  <T> T run(QmpClient client, QmpCommand command, Class<T> type) {
    return client.execute(command, type);
  }

  @Override
  <T> T run(QmpClient client, QmpCommand command, TypeReference<T> type) {
    return client.execute(command, type);
  }

  @Override
  ObjectNode raw(QmpClient client, String request) {
    return client.executeRaw(request);
  }

  @Override
  QmpEvent runAndAwait(QmpClient client, QmpCommand command, EventFilter filter, Duration timeout) {
    return client.executeAndAwaitEvent(command, filter, timeout);
  }
}
