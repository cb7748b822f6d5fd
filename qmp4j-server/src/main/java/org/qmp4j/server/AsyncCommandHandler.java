package org.qmp4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.CompletionStage;

/**
 * Starts one command and completes later. Called on the server's I/O thread: it must return quickly
 * and never block. The stage completes with the return value ({@code null} for none), or
 * exceptionally with a {@link org.qmp4j.protocol.QmpErrorException} for an error reply. The next
 * in-band command of the same session waits until the stage completes, as in QEMU.
 */
@FunctionalInterface
public interface AsyncCommandHandler {
  CompletionStage<JsonNode> execute(CommandContext context, ObjectNode arguments);
}
