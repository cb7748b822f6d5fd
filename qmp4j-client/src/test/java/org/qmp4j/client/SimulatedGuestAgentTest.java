package org.qmp4j.client;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.qmp4j.sim.SimulatedMachine;

/**
 * The tests {@link GuestAgentIT} runs against the real qemu-ga, against the simulated guest agent
 * of {@code qmp4j-sim} (its guest has an in-memory file system and sandboxed programs).
 */
class SimulatedGuestAgentTest extends GuestAgentSuite {

  private SimulatedMachine vm;
  private Path socket;

  @BeforeEach
  void start() throws Exception {
    vm = SimulatedMachine.newBuilder().build();
    socket = local.resolve("ga.sock");
    vm.guestAgent().listen(socket);
  }

  @AfterEach
  void stop() {
    vm.close();
  }

  @Override
  Path socket() {
    return socket;
  }

  @Override
  String guestDirectory() {
    return "/tmp";
  }

  @Override
  byte[] guestFile(String path) {
    return vm.guestAgent().file(path).orElseThrow();
  }

  @Override
  String diagnostics() {
    return "simulated machine " + vm.runState();
  }
}
