package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 10,000 connect / execute / close cycles against the qmp4j server: afterwards the process has the
 * same threads and the same open descriptors ({@code /proc/self/fd}) as before.
 */
class ConnectCloseLeakIT {

  static final int CYCLES = 10_000;

  @TempDir Path dir;

  static long openDescriptors() throws IOException {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }

  static long clientThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("qmp4j-client-") && t.isAlive())
        .count();
  }

  static int threads() {
    return Thread.activeCount();
  }

  private static void cycle(TestServer server) {
    try (QmpClient c = QmpClient.newBuilder().address(server.address()).connect()) {
      assertEquals(1, c.execute("echo", Map.of("value", 1)).get("value").asInt());
    }
  }

  @Test
  void tenThousandConnectCloseCyclesLeaveNoThreadOrDescriptorBehind() throws Exception {
    try (TestServer server = TestServer.start(dir)) {
      for (int i = 0; i < 100; i++) {
        cycle(server); // warm up: the shared timer thread, the server's threads, class loading
      }
      settle(server);
      long fdBefore = openDescriptors();
      int threadsBefore = threads();
      long clientThreadsBefore = clientThreads();
      long t0 = System.nanoTime();
      for (int i = 0; i < CYCLES; i++) {
        cycle(server);
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      settle(server);
      long fdAfter = openDescriptors();
      int threadsAfter = threads();
      long clientThreadsAfter = clientThreads();
      System.out.printf(
          "leak check: %d cycles in %d ms (%.2f ms each); descriptors %d -> %d; threads %d -> %d"
              + " (client threads %d -> %d)%n",
          CYCLES,
          ms,
          ms / (double) CYCLES,
          fdBefore,
          fdAfter,
          threadsBefore,
          threadsAfter,
          clientThreadsBefore,
          clientThreadsAfter);
      assertEquals(clientThreadsBefore, clientThreadsAfter, "client threads");
      assertTrue(threadsAfter <= threadsBefore, threadsBefore + " -> " + threadsAfter + " threads");
      assertTrue(fdAfter <= fdBefore, fdBefore + " -> " + fdAfter + " descriptors");
    }
  }

  /** Waits until the server has noticed every closed session. */
  private static void settle(TestServer server) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!server.server.sessions().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    Thread.sleep(200);
  }
}
