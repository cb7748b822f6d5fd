package org.qmp4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** Finding QEMU and what happens without it, on a made-up environment (no QEMU needed). */
class QemuTest {

  @TempDir Path dir;

  private Path fakeProgram(String name, boolean executable) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, "#!/bin/sh\n");
    Files.setPosixFilePermissions(
        p, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
    return p;
  }

  @Test
  void findsTheProgramOnPath() throws Exception {
    Path fake = fakeProgram("qemu-fake-for-test", true);
    Map<String, String> env = Map.of("PATH", "/nonexistent:" + dir);
    assertEquals(Optional.of(fake), Qemu.locate("qemu-fake-for-test", "QMP4J_FAKE", env));
  }

  @Test
  void ignoresAFileThatIsNotExecutable() throws Exception {
    fakeProgram("qemu-fake-for-test", false);
    Map<String, String> env = Map.of("PATH", dir.toString());
    assertEquals(Optional.empty(), Qemu.locate("qemu-fake-for-test", "QMP4J_FAKE", env));
  }

  @Test
  void theEnvironmentVariableWinsAndIsNotSecondGuessed() throws Exception {
    Path fake = fakeProgram("elsewhere", true);
    fakeProgram("qemu-fake-for-test", true);
    Map<String, String> chosen = Map.of("PATH", dir.toString(), "QMP4J_FAKE", fake.toString());
    assertEquals(Optional.of(fake), Qemu.locate("qemu-fake-for-test", "QMP4J_FAKE", chosen));
    Map<String, String> broken = Map.of("PATH", dir.toString(), "QMP4J_FAKE", "/nonexistent");
    assertEquals(Optional.empty(), Qemu.locate("qemu-fake-for-test", "QMP4J_FAKE", broken));
  }

  @Test
  void missingProgramSkipsOutsideCi() {
    Map<String, String> env = Map.of("QMP4J_QEMU", "/nonexistent/qemu");
    TestAbortedException e =
        assertThrows(
            TestAbortedException.class,
            () -> Qemu.assume(Qemu.SYSTEM_EMULATOR, Qemu.QEMU_ENV, "qemu-system-x86", env));
    assertTrue(e.getMessage().contains("QMP4J_QEMU=/nonexistent/qemu"), e.getMessage());
    assertTrue(e.getMessage().contains("skipping"), e.getMessage());
  }

  @Test
  void missingProgramFailsUnderCi() {
    Map<String, String> env = Map.of("QMP4J_QEMU", "/nonexistent/qemu", "CI", "true");
    AssertionFailedError e =
        assertThrows(
            AssertionFailedError.class,
            () -> Qemu.assume(Qemu.SYSTEM_EMULATOR, Qemu.QEMU_ENV, "qemu-system-x86", env));
    assertTrue(e.getMessage().startsWith("qemu-system-x86_64 is required because CI=true"));
    assertTrue(e.getMessage().contains("qemu-system-x86 (.ci/run does)"), e.getMessage());
  }

  @Test
  void onlyCiTrueCountsAsCi() {
    assertTrue(Qemu.isCi(Map.of("CI", "true")));
    assertTrue(Qemu.isCi(Map.of("CI", "TRUE")));
    assertFalse(Qemu.isCi(Map.of("CI", "false")));
    assertFalse(Qemu.isCi(Map.of()));
  }
}
