package org.qmp4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.qmp4j.testing.QemuProcess;

/**
 * {@code qmp4j shell} as a person uses it: the runnable jar in a real terminal (tmux), keys typed
 * with {@code send-keys}, the screen read with {@code capture-pane}; against {@code qmp4j serve}
 * and against QEMU 7.2.
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
    Path sock = serveDemo();

    String s = startShell("unix:" + sock);
    String screen = waitForLastLine(s, "(qmp)");
    assertTrue(screen.contains("qmp4j shell "), screen);
    assertTrue(screen.contains("connected to unix:" + sock), screen);
    assertTrue(screen.contains("QEMU 7.2.22 (qmp4j simulator), capabilities: oob"), screen);

    // A command and its output.
    keys(s, "query-status", "Enter");
    waitForScreen(s, t -> t.contains("\"status\": \"running\""));

    // Tab completes a command name from the schema.
    keys(s, "query-na", "Tab");
    waitForLastLine(s, "(qmp) query-name");
    keys(s, "Enter");
    waitForScreen(s, t -> t.contains("\"name\": \"qmp4j-demo\""));

    // An error reply is one line and the shell goes on.
    keys(s, "eject id=nosuch", "Enter");
    screen = waitForScreen(s, t -> t.contains("DeviceNotFound: Device 'nosuch' not found"));
    waitForLastLine(s, "(qmp)");

    // An event arriving while a line is being typed is printed above it; the line stays.
    keys(s, "query-vers");
    waitForLastLine(s, "(qmp) query-vers");
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
    String screen = waitForLastLine(s, "(qmp)");
    assertTrue(screen.contains("a simulated machine in this process"), screen);
    keys(s, "!hmp", "Enter", "info status", "Enter");
    waitForScreen(s, t -> t.contains("VM status: running"));
    keys(s, "C-d");
    keys(s, "C-d");
    waitForScreen(s, t -> t.contains("SHELL-EXIT=0"));
  }

  @Test
  void completionHistoryAndTransactionOnTheSimulator() throws Exception {
    Path sock = serveDemo();
    String s = startShell("unix:" + sock);
    waitForLastLine(s, "(qmp)");

    // TAB completes a device id from the server, then an argument name, then a boolean.
    keys(s, "eject id=c", "Tab");
    waitForLastLine(s, "(qmp) eject id=cd0dev");
    keys(s, "f", "Tab");
    waitForLastLine(s, "(qmp) eject id=cd0dev force=");
    keys(s, "t", "Tab");
    waitForLastLine(s, "(qmp) eject id=cd0dev force=true");
    keys(s, "Enter");
    waitForScreen(s, t -> t.contains(" event DEVICE_TRAY_MOVED "));

    // Up recalls the line.
    waitForLastLine(s, "(qmp)");
    keys(s, "Up");
    waitForLastLine(s, "(qmp) eject id=cd0dev force=true");
    keys(s, "C-u");
    waitForLastLine(s, "(qmp)");

    // A transaction over several lines, shown as sent with !verbose.
    keys(s, "!verbose", "Enter", "transaction(", "Enter");
    waitForLastLine(s, "...>");
    keys(s, "block-dirty-bitmap-add node=disk0 name=bm0", "Enter", ")", "Enter");
    String screen =
        waitForScreen(s, t -> t.contains("CommandNotFound: The command transaction has not been"));
    assertTrue(
        screen.contains(
            "--> {\"execute\": \"transaction\", \"arguments\": {\"actions\": [{\"type\":"
                + " \"block-dirty-bitmap-add\", \"data\": {\"node\": \"disk0\", \"name\":"
                + " \"bm0\"}}]}"),
        screen);
    waitForLastLine(s, "(qmp)");
    keys(s, "quit", "Enter");
    waitForScreen(s, t -> t.contains("SHELL-EXIT=0"));

    // The next shell has the history of this one.
    String again = startShell("unix:" + sock);
    waitForLastLine(again, "(qmp)");
    keys(again, "Up", "Up");
    waitForLastLine(again, "(qmp) )");
    keys(again, "C-u", "exit", "Enter");
    waitForScreen(again, t -> t.contains("SHELL-EXIT=0"));
  }

  @Test
  void shellOnQemu() throws Exception {
    try (QemuProcess qemu = QemuProcess.builder().monitor("mon0").monitor("mon1").start()) {
      String s = startShell("unix:" + qemu.socket("mon0"));
      String screen = waitForLastLine(s, "(qmp)");
      assertTrue(screen.contains("connected to unix:" + qemu.socket("mon0")), screen);
      assertTrue(screen.matches("(?s).*\nQEMU 7\\.2\\.\\d+.*, capabilities: oob\n.*"), screen);

      // A command and its output; TAB completes a command name and an enum value.
      keys(s, "query-statu", "Tab");
      waitForLastLine(s, "(qmp) query-status");
      keys(s, "Enter");
      waitForScreen(s, t -> t.contains("\"status\": \"prelaunch\""));
      keys(s, "blockdev-add driver=null-c", "Tab");
      waitForLastLine(s, "(qmp) blockdev-add driver=null-co");
      keys(s, " node-name=n0 size=1048576", "Enter");
      waitForLastLine(s, "(qmp)");

      // Node names come from the server.
      keys(s, "blockdev-del node-name=", "Tab");
      waitForLastLine(s, "(qmp) blockdev-del node-name=n0");
      keys(s, "C-u");

      // An error is one line and the shell goes on.
      keys(s, "device_del id=nosuch", "Enter");
      waitForScreen(s, t -> t.contains("DeviceNotFound: Device 'nosuch' not found"));
      waitForLastLine(s, "(qmp)");

      // History: Up recalls the line.
      keys(s, "Up");
      waitForLastLine(s, "(qmp) device_del id=nosuch");
      keys(s, "C-u");
      waitForLastLine(s, "(qmp)");

      // A real transaction.
      keys(s, "transaction(", "Enter");
      waitForLastLine(s, "...>");
      keys(s, "block-dirty-bitmap-add node=n0 name=bm0", "Enter", ")", "Enter");
      waitForScreen(s, t -> lastLine(t).equals("(qmp)") && t.contains("\n{}\n"));
      try (QmpClient other = QmpClient.connect("unix:" + qemu.socket("mon1"))) {
        JsonNode bitmaps = other.execute("query-named-block-nodes").get(0).path("dirty-bitmaps");
        assertEquals("bm0", bitmaps.get(0).path("name").asText(), bitmaps.toString());

        // An event while a line is typed: printed above it, the line stays.
        keys(s, "query-na");
        waitForLastLine(s, "(qmp) query-na");
        other.execute("cont");
        screen = waitForScreen(s, t -> t.contains(" event RESUME"));
        assertEquals("(qmp) query-na", lastLine(screen), screen);
        keys(s, "C-u");
      }

      // HMP mode, with completion of HMP commands and of info's subcommands.
      keys(s, "!hmp", "Enter");
      waitForLastLine(s, "(hmp)");
      keys(s, "info statu", "Tab");
      waitForLastLine(s, "(hmp) info status");
      keys(s, "Enter");
      waitForScreen(s, t -> t.contains("VM status: running"));
      keys(s, "announce_se", "Tab");
      waitForLastLine(s, "(hmp) announce_self");
      keys(s, "C-u", "stop", "Enter", "info status", "Enter");
      waitForScreen(s, t -> t.contains("VM status: paused"));
      keys(s, "!hmp", "Enter");
      waitForLastLine(s, "(qmp)");
      keys(s, "C-d");
      waitForScreen(s, t -> t.contains("SHELL-EXIT=0"));
    }
  }

  /**
   * Starts {@code qmp4j serve --demo} on a socket in {@link #dir}; returns the socket once it is
   * there.
   */
  private Path serveDemo() throws Exception {
    Path sock = dir.resolve("qmp.sock");
    serve =
        new ProcessBuilder(java("serve", "--demo", "--qmp", "unix:" + sock))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("serve.log").toFile())
            .start();
    waitFor(() -> Files.exists(sock), "the serve socket " + sock);
    return sock;
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
      boolean named = k.equals("Enter") || k.equals("Tab") || k.equals("Up") || k.startsWith("C-");
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

  /** Waits until the screen's last line is {@code line} (the prompt and what is typed after it). */
  private static String waitForLastLine(String session, String line) throws Exception {
    return waitForScreen(session, t -> lastLine(t).equals(line));
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
