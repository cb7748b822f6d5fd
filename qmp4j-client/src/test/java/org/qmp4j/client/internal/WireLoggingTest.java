package org.qmp4j.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.client.EventFilter;
import org.qmp4j.client.QmpClient;
import org.qmp4j.client.QmpCommand;
import org.qmp4j.client.TestServer;

/**
 * Wire logging through a recording SLF4J logger: {@code -->}/{@code <--} lines when enabled, and
 * nothing formatted (not even a level check) when not.
 */
class WireLoggingTest {

  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void start() {
    server = TestServer.start(dir);
  }

  @AfterEach
  void stop() throws Exception {
    RecordingLogger.uninstall();
    server.close();
  }

  private QmpClient client(boolean wireLogging) {
    return QmpClient.newBuilder()
        .address(server.address())
        .name("wire-test")
        .wireLogging(wireLogging)
        .descriptorPassing(true)
        .connect();
  }

  @Test
  void everyMessageIsLoggedBothWaysWhenEnabled() throws Exception {
    RecordingLogger log = new RecordingLogger(true).install();
    try (QmpClient c = client(true)) {
      c.execute("echo", Map.of("value", 5));
      c.executeAndAwaitEvent(
          QmpCommand.of("stop"), EventFilter.names("STOP"), Duration.ofSeconds(5));
      try (FileOutputStream out = new FileOutputStream(dir.resolve("f").toFile())) {
        c.execute(QmpCommand.of("echo", Map.of("value", 6)).withFds(out.getFD()));
      }
    }
    List<RecordingLogger.Line> lines = log.lines;
    assertTrue(
        lines.get(0).text().startsWith("wire-test <-- {\"QMP\":{\"version\":"),
        lines.get(0).text());
    assertTrue(
        lines.get(1).text().startsWith("wire-test --> {\"execute\":\"qmp_capabilities\""),
        lines.get(1).text());
    assertEquals(
        1,
        log.matching("--> {\"execute\":\"echo\",\"arguments\":{\"value\":5},\"id\":").size(),
        lines.toString());
    assertEquals(1, log.matching("<-- {\"return\":{\"value\":5},\"id\":").size(), lines.toString());
    assertEquals(1, log.matching("\"event\":\"STOP\"").size(), lines.toString());
    List<RecordingLogger.Line> withFd =
        log.matching("--> {\"execute\":\"echo\",\"arguments\":{\"value\":6}");
    assertEquals(1, withFd.size(), lines.toString());
    assertTrue(withFd.get(0).text().endsWith("} (+1 fd)"), withFd.get(0).text());
    // the reply carries the request's id
    String out =
        log.matching("--> {\"execute\":\"echo\",\"arguments\":{\"value\":5}").get(0).text();
    String id = out.substring(out.indexOf("\"id\":") + 5, out.lastIndexOf('}'));
    assertTrue(id.matches("[1-9][0-9]*"), out);
    assertEquals(
        1,
        log.matching("<-- {\"return\":{\"value\":5},\"id\":" + id + "}").size(),
        lines.toString());
  }

  @Test
  void aLoggerWithDebugOffIsAskedButGivenNothingToFormat() {
    RecordingLogger log = new RecordingLogger(false).install();
    try (QmpClient c = client(true)) {
      for (int i = 0; i < 50; i++) {
        c.execute("echo", Map.of("value", i));
      }
    }
    assertTrue(log.debugChecks.get() >= 100, "checks: " + log.debugChecks);
    assertEquals(List.of(), log.lines);
    assertEquals(0, log.otherCalls.get());
  }

  @Test
  void whenOffTheLoggerIsNeverEvenConsulted() {
    RecordingLogger log = new RecordingLogger(true).install();
    try (QmpClient c = client(false)) {
      for (int i = 0; i < 50; i++) {
        c.execute("echo", Map.of("value", i));
      }
      c.executeAndAwaitEvent(
          QmpCommand.of("stop"), EventFilter.names("STOP"), Duration.ofSeconds(5));
    }
    assertEquals(0, log.debugChecks.get());
    assertEquals(List.of(), log.lines);
    assertFalse(log.otherCalls.get() > 0);
  }
}
