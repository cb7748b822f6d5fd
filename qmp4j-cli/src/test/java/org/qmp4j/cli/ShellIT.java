package org.qmp4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.client.QmpClient;
import org.qmp4j.testing.Qemu;

/**
 * {@code qmp4j shell} as a person uses it: the runnable jar in a real terminal (tmux), keys typed
 * with {@code send-keys}, the screen read with {@code capture-pane}.
 */
class ShellIT {

  private static final long WAIT_MS = 60_000;

  @TempDir Path dir;
  private final List<String> sessions = new ArrayList<>();
  private Process serve;

  @AfterEach
  void cleanUp() throws Exception {
    for (String s : sessions) {
      tmux("kill-session", "-t", s);
    }
    if (serve != null) {
      serve.destroy();
      serve.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void shellOnAServedMachine() throws Exception {
    Path sock = dir.resolve("qmp.sock");
    serve =
        new ProcessBuilder(java("serve", "--demo", "--qmp", "unix:" + sock))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("serve.log").toFile())
            .start();
    waitFor(() -> Files.exists(sock), "the serve socket " + sock);

    String s = startShell("unix:" + sock);
    String screen = waitForScreen(s, t -> lastLine(t).equals("(qmp)"));
    assertTrue(screen.contains("qmp4j shell "), screen);
    assertTrue(screen.contains("connected to unix:" + sock), screen);
    assertTrue(screen.contains("QEMU 7.2.22 (qmp4j simulator), capabilities: oob"), screen);

    // A command and its output.
    keys(s, "query-status", "Enter");
    waitForScreen(s, t -> t.contains("\"status\": \"running\""));

    // Tab completes a command name from the schema.
    keys(s, "query-na", "Tab");
    waitForScreen(s, t -> lastLine(t).equals("(qmp) query-name"));
    keys(s, "Enter");
    waitForScreen(s, t -> t.contains("\"name\": \"qmp4j-demo\""));

    // An error reply is one line and the shell goes on.
    keys(s, "eject id=nosuch", "Enter");
    screen = waitForScreen(s, t -> t.contains("DeviceNotFound: Device 'nosuch' not found"));
    waitForScreen(s, t -> lastLine(t).equals("(qmp)"));

    // An event arriving while a line is being typed is printed above it; the line stays.
    keys(s, "query-vers");
    waitForScreen(s, t -> lastLine(t).equals("(qmp) query-vers"));
    try (QmpClient other = QmpClient.connect("unix:" + sock)) {
      other.execute("stop");
    }
    screen = waitForScreen(s, t -> t.contains(" event STOP"));
    assertEquals("(qmp) query-vers", lastLine(screen), screen);
    keys(s, "ion", "Enter");
    waitForScreen(s, t -> t.contains("\"package\": \"qmp4j simulator\""));

    // quit leaves with status 0, and the history is kept.
    keys(s, "quit", "Enter");
    waitForScreen(s, t -> t.contains("SHELL-EXIT=0"));
    String history = Files.readString(dir.resolve("home").resolve(".qmp4j_history"));
    assertTrue(history.contains("query-status"), history);
    assertTrue(history.contains("eject id=nosuch"), history);
  }

  @Test
  void shellWithoutAddressRunsTheDemoMachine() throws Exception {
    String s = startShell(null);
    String screen = waitForScreen(s, t -> lastLine(t).equals("(qmp)"));
    assertTrue(screen.contains("a simulated machine in this process"), screen);
    keys(s, "!hmp", "Enter", "info status", "Enter");
    waitForScreen(s, t -> t.contains("VM status: running"));
    keys(s, "C-d");
    keys(s, "C-d");
    waitForScreen(s, t -> t.contains("SHELL-EXIT=0"));
  }

  private String startShell(String address) throws Exception {
    assumeTmux();
    String name = "qmp4j-it-" + ProcessHandle.current().pid() + "-" + sessions.size();
    Files.createDirectories(dir.resolve("home"));
    StringBuilder cmd = new StringBuilder("HOME=").append(quote(dir.resolve("home").toString()));
    for (String a : java("shell")) {
      cmd.append(' ').append(quote(a));
    }
    if (address != null) {
      cmd.append(' ').append(quote(address));
    }
    cmd.append("; echo SHELL-EXIT=$?; sleep 600");
    assertEquals(
        0,
        tmux(
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "200",
            "-y",
            "50",
            "bash",
            "-c",
            cmd.toString()));
    sessions.add(name);
    return name;
  }

  private static List<String> java(String... args) {
    String jar = System.getProperty("qmp4j.test.jar");
    assertNotNull(jar, "failsafe passes qmp4j.test.jar");
    List<String> c = new ArrayList<>();
    c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    c.add("-jar");
    c.add(jar);
    c.addAll(List.of(args));
    return c;
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  private static void assumeTmux() throws Exception {
    boolean present;
    try {
      present = new ProcessBuilder("tmux", "-V").start().waitFor() == 0;
    } catch (IOException e) {
      present = false;
    }
    if (!present && Qemu.isCi()) {
      fail("tmux is missing (CI=true): apt-get install tmux");
    }
    assumeTrue(present, "tmux is not installed");
  }

  private static int tmux(String... args) throws Exception {
    List<String> c = new ArrayList<>(List.of("tmux"));
    c.addAll(List.of(args));
    Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor();
  }

  private static void keys(String session, String... keys) throws Exception {
    for (String k : keys) {
      boolean named = k.equals("Enter") || k.equals("Tab") || k.startsWith("C-");
      List<String> c = new ArrayList<>(List.of("send-keys", "-t", session));
      if (!named) {
        c.add("-l");
      }
      c.add(k);
      assertEquals(0, tmux(c.toArray(String[]::new)));
    }
  }

  private static String screen(String session) throws Exception {
    Process p = new ProcessBuilder("tmux", "capture-pane", "-p", "-t", session).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  private static String lastLine(String screen) {
    String[] lines = screen.stripTrailing().split("\n");
    return lines[lines.length - 1].stripTrailing();
  }

  private static String waitForScreen(String session, Predicate<String> condition)
      throws Exception {
    long deadline = System.currentTimeMillis() + WAIT_MS;
    String s = screen(session);
    while (!condition.test(s)) {
      if (System.currentTimeMillis() > deadline) {
        fail("the screen did not show what was expected:\n" + s);
      }
      Thread.sleep(100);
      s = screen(session);
    }
    return s;
  }

  private static void waitFor(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + WAIT_MS;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        fail("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }
}
