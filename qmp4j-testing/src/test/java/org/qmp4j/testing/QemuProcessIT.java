package org.qmp4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The real QEMU, started as the other modules' ITs start it. */
class QemuProcessIT {

  @Test
  void greetingIsOneCompactLineEndingInCrlf() throws Exception {
    try (QemuProcess qemu = QemuProcess.start();
        RawConnection c = RawConnection.open(qemu.socket())) {
      byte[] greeting = c.readLineBytes();
      String text = new String(greeting, StandardCharsets.US_ASCII);
      assertTrue(text.startsWith("{\"QMP\": "), text);
      assertTrue(text.endsWith("}\r\n"), text);
      assertTrue(text.indexOf('\r') == text.length() - 2, text);
      JsonNode version =
          new ObjectMapper().readTree(greeting).path("QMP").path("version").path("qemu");
      assertTrue(version.path("major").isInt(), text);
    }
  }

  @Test
  void severalMonitorsCompactAndPretty() throws Exception {
    try (QemuProcess qemu =
            QemuProcess.builder().monitor("a").prettyMonitor("b").args("-name", "it").start();
        RawConnection a = RawConnection.open(qemu.socket("a"));
        RawConnection b = RawConnection.open(qemu.socket("b"))) {
      assertEquals(qemu.socket("a"), qemu.socket());
      assertTrue(a.readLine().startsWith("{\"QMP\": "));
      a.send("{\"execute\": \"qmp_capabilities\"}\n");
      assertEquals("{\"return\": {}}\r\n", a.readLine());
      a.send("{\"execute\": \"query-name\"}\n");
      assertEquals("{\"return\": {\"name\": \"it\"}}\r\n", a.readLine());

      assertEquals("{\r\n", b.readLine());
      assertEquals("    \"QMP\": {\r\n", b.readLine());
    }
  }

  @Test
  void closeKillsQemuAndRemovesItsDirectory() throws Exception {
    QemuProcess qemu = QemuProcess.start();
    Path dir = qemu.directory();
    Process p = qemu.process();
    assertTrue(p.isAlive());
    assertTrue(Files.exists(qemu.socket()));
    qemu.close();
    assertFalse(p.isAlive());
    assertFalse(Files.exists(dir));
  }
}
