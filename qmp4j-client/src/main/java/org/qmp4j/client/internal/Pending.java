package org.qmp4j.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.qmp4j.protocol.QmpErrorReply;

/** A command sent (or about to be) and not answered yet. */
final class Pending {
  final long id;
  final String command;
  final boolean oob;
  final CompletableFuture<Object> future;
  final Function<JsonNode, ?> binder; // null: raw reply
  final JsonNode rawId; // for raw requests: the caller's own id, or null
  final long deadline; // System.nanoTime() based; Long.MAX_VALUE: none
  final Duration timeout;

  /** Admitted to the wire (in-band commands only); under the connection's admission lock. */
  boolean onWire;

  /** Admitted with descriptors; under the connection's admission lock. */
  boolean carriesFds;

  /** Order in which the command went on the wire; written under the write lock. */
  volatile long writeSeq = Long.MAX_VALUE;

  @SuppressWarnings("unchecked")
  Pending(
      long id,
      String command,
      boolean oob,
      CompletableFuture<?> future,
      Function<JsonNode, ?> binder,
      JsonNode rawId,
      long deadline,
      Duration timeout) {
    this.id = id;
    this.command = command;
    this.oob = oob;
    this.future = (CompletableFuture<Object>) future;
    this.binder = binder;
    this.rawId = rawId;
    this.deadline = deadline;
    this.timeout = timeout;
  }

  /** Completes with the reply {@code message} (a return or an error reply). */
  void complete(ObjectNode message, JsonNode returnValue, QmpErrorReply error) {
    if (binder == null) {
      ObjectNode copy = message.deepCopy();
      if (rawId != null) {
        copy.set("id", rawId);
      } else {
        copy.remove("id");
      }
      future.complete(copy);
      return;
    }
    if (error != null) {
      future.completeExceptionally(Exceptions.errorReply(error, command));
      return;
    }
    Object value;
    try {
      value = binder.apply(returnValue);
    } catch (RuntimeException e) {
      future.completeExceptionally(e);
      return;
    }
    future.complete(value);
  }

  void fail(Throwable cause) {
    future.completeExceptionally(cause);
  }
}
