package org.qmp4j.server;

import com.fasterxml.jackson.databind.JsonNode;

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
}
