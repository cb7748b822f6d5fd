package org.qmp4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Executes one command. Receives the arguments already validated and coerced against the command's
 * schema; returns the command's return value, or {@code null} for a command without one (the reply
 * is then {@code {"return": {}}}).
 *
 * <p>To fail, throw a {@link org.qmp4j.protocol.QmpErrorException}: its class and description
 * become the error reply. Any other exception becomes a {@code GenericError} and is logged.
 *
 * <p>Where it runs depends on how it was registered: {@link QmpServer.Builder#command} runs it on
 * the server's worker executor (it may block); {@link QmpServer.Builder#commandInline} runs it on
 * the I/O thread (it must not block, and is the fastest path).
 */
@FunctionalInterface
public interface CommandHandler {
  JsonNode execute(CommandContext context, ObjectNode arguments) throws Exception;
}
