package org.qmp4j.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Start-up latency of {@code qmp4j serve} and many concurrent clients. */
class LoadTest {

  /**
   * In a JVM that has loaded the simulator's classes and schema (as a CLI process has once it
   * parsed its arguments), serve is up and answers within a second. A cold JVM adds its own start
   * and the schema's loading.
   */
  @Test
  void serveAnswersItsFirstCommandWithinASecond() throws Exception {
    SimulatedMachine.schema();
    Path dir = Files.createTempDirectory("qmp4j-sim-serve");
    Path sock = dir.resolve("qmp.sock");
    long start = System.nanoTime();
    PrintStream log = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    try (SimulatedMachine vm =
            SimulatorMain.start(SimulatorOptions.parse("--qmp", "unix:" + sock, "-S"), log);
        SimClient c = SimClient.open(sock)) {
      String status = c.execute("query-status").result().get("status").asText();
      long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
      assertEquals("prelaunch", status);
      assertTrue(millis < 1000, "first reply after " + millis + " ms");
      assertEquals(RunState.PRELAUNCH, vm.runState());
    } finally {
      Files.deleteIfExists(sock);
      Files.deleteIfExists(dir);
    }
  }

  @Test
  void thousandConcurrentClientsQueryState() throws Exception {
    int clients = 1000;
    byte[] request =
        ("{\"execute\":\"qmp_capabilities\"}{\"execute\":\"query-status\",\"id\":1}"
                + "{\"execute\":\"query-block\",\"id\":2}\n")
            .getBytes(StandardCharsets.US_ASCII);
    try (SimFixture f = new SimFixture(SimulatedMachine.demo())) {
      List<SocketChannel> channels = new ArrayList<>();
      try {
        for (int i = 0; i < clients; i++) {
          SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
          ch.connect(UnixDomainSocketAddress.of(f.socket));
          channels.add(ch);
        }
        for (SocketChannel ch : channels) {
          ch.write(ByteBuffer.wrap(request));
        }
        int ok = 0;
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        for (SocketChannel ch : channels) {
          // greeting, capabilities reply, two replies: four lines
          int lines = 0;
          StringBuilder text = new StringBuilder();
          while (lines < 4) {
            buf.clear();
            int n = ch.read(buf);
            if (n < 0) {
              break;
            }
            String s = new String(buf.array(), 0, n, StandardCharsets.UTF_8);
            text.append(s);
            lines += (int) s.chars().filter(x -> x == '\n').count();
          }
          if (lines == 4
              && text.indexOf("\"status\": \"running\"") > 0
              && text.indexOf("\"device\": \"disk0\"") > 0
              && text.indexOf("error") < 0) {
            ok++;
          }
        }
        assertEquals(clients, ok);
      } finally {
        for (SocketChannel ch : channels) {
          ch.close();
        }
      }
    }
  }
}
