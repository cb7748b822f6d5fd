package org.qmp4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletableFuture;

/** What a command handler may know about the request it serves. */
public interface CommandContext {
  /** The server executing the command (to emit events, for example). */
  QmpServer server();

  /** The session the request came from. */
  QmpSession session();

  /** The command's name. */
  String command();

  /** The request's {@code id}, or {@code null} if it had none. */
  JsonNode id();

  /** Whether the request was {@code exec-oob}. */
  boolean outOfBand();

  /**
   * Asks that the server end right behind this command's reply, as QEMU does after {@code quit}:
   * once the handler has returned (or its stage completed) and its reply, success or error, is
   * queued behind whatever was queued before it (such as an event the handler emitted), nothing
   * else is dispatched and the server proceeds as {@link QmpServer#closeAfterOutput()}: every
   * connection, not just this one, ends once its peer has received all of its output. May be called
   * from the handler's thread at any time before it returns.
   *
   * @return a future completing once the server is closed
   */
  CompletableFuture<Void> closeServerAfterReply();
}
