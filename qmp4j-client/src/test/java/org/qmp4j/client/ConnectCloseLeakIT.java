package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.sim.SimulatedMachine;
import org.qmp4j.transport.QmpAddress;

/**
 * 10,000 connect / execute / close cycles against the qmp4j server, each with an event callback (so
 * the client's executor starts and stops) and a future with a stage; then 500 for the guest agent
 * client against the simulated agent: afterwards the process has the same threads and the same open
 * descriptors ({@code /proc/self/fd}) as before.
 */
class ConnectCloseLeakIT {

  static final int CYCLES = 10_000;
  static final int AGENT_CYCLES = 500;

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

  private static void cycle(TestServer server) throws Exception {
    try (QmpClient c = QmpClient.newBuilder().address(server.address()).connect()) {
      CountDownLatch tick = new CountDownLatch(1);
      c.subscribe(e -> tick.countDown(), "TICK"); // runs on the client's executor
      CompletableFuture<Integer> staged =
          c.executeAsync("echo", Map.of("value", 1)).thenApply(r -> r.get("value").asInt());
      c.execute("emit", Map.of("count", 1));
      assertTrue(tick.await(10, TimeUnit.SECONDS), "no TICK");
      assertEquals(1, staged.get(10, TimeUnit.SECONDS));
      assertEquals(2, c.execute("echo", Map.of("value", 2)).get("value").asInt());
    }
  }

  private static void agentCycle(Path socket) throws Exception {
    try (GuestAgentClient ga =
        GuestAgentClient.newBuilder()
            .address(QmpAddress.unix(socket))
            .connectTimeout(Duration.ofSeconds(10))
            .connect()) {
      ga.ping();
      CompletableFuture<String> version =
          ga.executeAsync(QmpCommand.of("guest-info")).thenApply(i -> i.get("version").asText());
      assertTrue(version.get(10, TimeUnit.SECONDS).startsWith("7.2"));
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
      awaitAtMost(threadsBefore, clientThreadsBefore, fdBefore);
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

  @Test
  void fiveHundredGuestAgentCyclesLeaveNoThreadOrDescriptorBehind() throws Exception {
    try (SimulatedMachine vm = SimulatedMachine.newBuilder().build()) {
      Path socket = dir.resolve("ga.sock");
      vm.guestAgent().listen(socket);
      for (int i = 0; i < 20; i++) {
        agentCycle(socket);
      }
      Thread.sleep(200);
      long fdBefore = openDescriptors();
      int threadsBefore = threads();
      long clientThreadsBefore = clientThreads();
      long t0 = System.nanoTime();
      for (int i = 0; i < AGENT_CYCLES; i++) {
        agentCycle(socket);
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      Thread.sleep(200);
      awaitAtMost(threadsBefore, clientThreadsBefore, fdBefore);
      long fdAfter = openDescriptors();
      int threadsAfter = threads();
      long clientThreadsAfter = clientThreads();
      System.out.printf(
          "agent leak check: %d cycles in %d ms; descriptors %d -> %d; threads %d -> %d (client"
              + " threads %d -> %d)%n",
          AGENT_CYCLES,
          ms,
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

  /**
   * Gives threads that are ending (a callback pool's worker after its shutdown) and descriptors
   * being closed up to 10 s to get back to the counts before; the assertions then judge.
   */
  private static void awaitAtMost(int threads, long clientThreads, long fds) throws Exception {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (System.nanoTime() < deadline
        && (threads() > threads || clientThreads() > clientThreads || openDescriptors() > fds)) {
      Thread.sleep(20);
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
