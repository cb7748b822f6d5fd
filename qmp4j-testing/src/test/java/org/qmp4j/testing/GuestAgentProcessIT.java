package org.qmp4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The real qemu-ga, listening on a unix socket without a guest. */
class GuestAgentProcessIT {

  @Test
  void answersGuestPingWithLf() throws Exception {
    try (GuestAgentProcess ga = GuestAgentProcess.start();
        RawConnection c = RawConnection.open(ga.socket())) {
      c.send("{\"execute\": \"guest-ping\"}\n");
      assertEquals("{\"return\": {}}\n", c.readLine());
    }
  }

  @Test
  void syncDelimitedIsPrecededBy0xFf() throws Exception {
    try (GuestAgentProcess ga = GuestAgentProcess.start();
        RawConnection c = RawConnection.open(ga.socket())) {
      c.send("{\"execute\": \"guest-sync-delimited\", \"arguments\": {\"id\": 42}}\n");
      assertEquals((byte) 0xFF, c.readBytes(1)[0]);
      assertEquals(42, c.readJson().path("return").asInt());
    }
  }

  @Test
  void closeRemovesTheDirectory() {
    GuestAgentProcess ga = GuestAgentProcess.start();
    Path dir = ga.directory();
    ga.close();
    assertFalse(ga.process().isAlive());
    assertFalse(Files.exists(dir));
  }
}
