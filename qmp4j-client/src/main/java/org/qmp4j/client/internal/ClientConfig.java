package org.qmp4j.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.qmp4j.client.ConnectionState;
import org.qmp4j.client.QmpCommand;
import org.qmp4j.client.ReconnectPolicy;
import org.qmp4j.transport.QmpAddress;
import org.qmp4j.transport.QmpConnection;
import org.qmp4j.transport.QmpListener;
import org.qmp4j.transport.TransportOptions;

/** A client's configuration, as its builder collected it. */
public record ClientConfig(
    QmpAddress address,
    QmpListener listener,
    QmpConnection connection,
    Duration connectTimeout,
    Duration commandTimeout,
    ReconnectPolicy reconnect,
    boolean oob,
    TransportOptions transportOptions,
    int maxMessageSize,
    Executor executor,
    boolean validateArguments,
    boolean wireLogging,
    Duration heartbeatInterval,
    Duration heartbeatTimeout,
    Consumer<JsonNode> unmatchedReplyHandler,
    Consumer<String> featureWarningHandler,
    String name,
    Map<String, Duration> commandTimeouts,
    boolean waitForSocket,
    Consumer<ConnectionState> stateListener,
    int inBandWindow) {

  /**
   * The timeout of {@code command} unless it has its own: the per-command table, else the default.
   */
  Duration timeoutFor(QmpCommand command) {
    java.util.Optional<Duration> own = command.timeout();
    return own.isPresent() ? own.get() : timeoutFor(command.name());
  }

  /** The per-command table's timeout of {@code command}, else the default. */
  Duration timeoutFor(String command) {
    if (commandTimeouts.isEmpty()) {
      return commandTimeout;
    }
    return commandTimeouts.getOrDefault(command, commandTimeout);
  }
}
