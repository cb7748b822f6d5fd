package org.qmp4j.sim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A simulated machine on a unix socket in a temporary directory, with clients; close() ends all.
 */
final class SimFixture implements AutoCloseable {
  final SimulatedMachine vm;
  final Path dir;
  final Path socket;
  private final List<SimClient> clients = new ArrayList<>();

  SimFixture(SimulatedMachine.Builder builder) throws IOException {
    dir = Files.createTempDirectory("qmp4j-sim");
    socket = dir.resolve("qmp.sock");
    vm = builder.build();
    vm.listen(socket, false);
  }

  SimClient client() throws IOException {
    SimClient c = SimClient.open(socket);
    clients.add(c);
    return c;
  }

  @Override
  public void close() throws IOException {
    for (SimClient c : clients) {
      c.close();
    }
    vm.close();
    Files.deleteIfExists(socket);
    Files.deleteIfExists(dir);
  }
}
