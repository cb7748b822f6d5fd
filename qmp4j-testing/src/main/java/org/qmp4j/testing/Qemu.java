package org.qmp4j.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the real QEMU programs that integration tests talk to, and decides what a test does when
 * one is missing: it is skipped, unless the environment variable {@code CI} is {@code true}, in
 * which case it fails, so a CI machine without QEMU cannot pass by skipping everything.
 *
 * <p>Where each program is looked for:
 *
 * <ul>
 *   <li>{@value #SYSTEM_EMULATOR}: the path in {@value #QEMU_ENV} if that is set (and nowhere
 *       else), otherwise {@code PATH}, then the usual system directories;
 *   <li>{@value #GUEST_AGENT}: the same, with {@value #QEMU_GA_ENV} (Debian installs it in {@code
 *       /usr/sbin}, which a normal user's {@code PATH} may lack).
 * </ul>
 *
 * Setting {@code QMP4J_QEMU=/nonexistent} is how to see what the tests do without QEMU.
 */
public final class Qemu {

  /** The system emulator the tests run: Debian's {@code qemu-system-x86}. */
  public static final String SYSTEM_EMULATOR = "qemu-system-x86_64";

  /** The guest agent the tests run: Debian's {@code qemu-guest-agent}. */
  public static final String GUEST_AGENT = "qemu-ga";

  /** Environment variable: the path of {@value #SYSTEM_EMULATOR} to use instead of searching. */
  public static final String QEMU_ENV = "QMP4J_QEMU";

  /** Environment variable: the path of {@value #GUEST_AGENT} to use instead of searching. */
  public static final String QEMU_GA_ENV = "QMP4J_QEMU_GA";

  /** Searched after {@code PATH}. */
  private static final List<String> SYSTEM_DIRS =
      List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");

  private Qemu() {}

  /** Where {@value #SYSTEM_EMULATOR} is, if anywhere. */
  public static Optional<Path> systemEmulator() {
    return locate(SYSTEM_EMULATOR, QEMU_ENV, System.getenv());
  }

  /** Where {@value #GUEST_AGENT} is, if anywhere. */
  public static Optional<Path> guestAgent() {
    return locate(GUEST_AGENT, QEMU_GA_ENV, System.getenv());
  }

  /**
   * The path of {@value #SYSTEM_EMULATOR}. If it is missing, aborts the calling test (JUnit reports
   * it as skipped) or, with {@code CI=true}, fails it.
   */
  public static Path assumeSystemEmulator() {
    return assume(SYSTEM_EMULATOR, QEMU_ENV, "qemu-system-x86", System.getenv());
  }

  /** As {@link #assumeSystemEmulator()}, for {@value #GUEST_AGENT}. */
  public static Path assumeGuestAgent() {
    return assume(GUEST_AGENT, QEMU_GA_ENV, "qemu-guest-agent", System.getenv());
  }

  /** Whether the environment says this is CI ({@code CI=true}): missing QEMU is then a failure. */
  public static boolean isCi() {
    return isCi(System.getenv());
  }

  static boolean isCi(Map<String, String> env) {
    return "true".equalsIgnoreCase(env.get("CI"));
  }

  static Optional<Path> locate(String program, String envVar, Map<String, String> env) {
    String explicit = env.get(envVar);
    if (explicit != null && !explicit.isEmpty()) {
      return executable(explicit);
    }
    List<String> dirs = new ArrayList<>();
    String path = env.get("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(File.pathSeparator)));
    }
    dirs.addAll(SYSTEM_DIRS);
    for (String dir : dirs) {
      if (!dir.isEmpty()) {
        Optional<Path> found = executable(dir + File.separator + program);
        if (found.isPresent()) {
          return found;
        }
      }
    }
    return Optional.empty();
  }

  static Path assume(String program, String envVar, String debianPackage, Map<String, String> env) {
    Optional<Path> found = locate(program, envVar, env);
    if (found.isPresent()) {
      return found.get();
    }
    String where =
        env.containsKey(envVar) && !env.get(envVar).isEmpty()
            ? envVar + "=" + env.get(envVar) + " is not an executable file"
            : "not on PATH nor in " + String.join(", ", SYSTEM_DIRS) + "; " + envVar + " is unset";
    if (isCi(env)) {
      return Assertions.fail(
          program
              + " is required because CI=true, but it was not found ("
              + where
              + "). Install Debian's "
              + debianPackage
              + " (.ci/run does) or point "
              + envVar
              + " at it.");
    }
    return Assumptions.abort(
        program
            + " not found ("
            + where
            + "): skipping. Install Debian's "
            + debianPackage
            + " to run this test; with CI=true it fails instead.");
  }

  private static Optional<Path> executable(String name) {
    try {
      Path p = Path.of(name);
      return Files.isRegularFile(p) && Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    } catch (InvalidPathException e) {
      return Optional.empty();
    }
  }
}
