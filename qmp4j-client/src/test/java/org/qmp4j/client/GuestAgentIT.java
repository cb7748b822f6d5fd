package org.qmp4j.client;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.qmp4j.testing.GuestAgentProcess;

/**
 * The guest agent client against the real qemu-ga ({@code -m unix-listen}, no guest: it serves the
 * host, so guest-exec really runs here; only harmless programs are run). Skipped without qemu-ga;
 * fails under {@code CI=true}. {@link SimulatedGuestAgentTest} runs the same tests against the
 * simulated agent.
 */
class GuestAgentIT extends GuestAgentSuite {

  private GuestAgentProcess agent;

  @BeforeEach
  void start() {
    agent = GuestAgentProcess.start();
  }

  @AfterEach
  void stop() {
    agent.close();
  }

  @Override
  Path socket() {
    return agent.socket();
  }

  @Override
  String guestDirectory() {
    return agent.directory().toString();
  }

  @Override
  byte[] guestFile(String path) throws Exception {
    return Files.readAllBytes(Path.of(path));
  }

  @Override
  String diagnostics() {
    return "qemu-ga alive " + agent.process().isAlive() + ", output: " + agent.output();
  }
}
