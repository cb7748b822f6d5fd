package org.qmp4j.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.qmp4j.testing.Qemu;

/**
 * Scenarios run the same way against QEMU 7.2 ({@code -machine pc [-S] -nodefaults -display none}
 * with the scenario's drives and devices) and against the simulator configured alike; their
 * transcripts are compared as JSON values after {@link #normalise}.
 *
 * <p>A scenario is {@code {"name", "config", "paused"?, "steps": [...]}}: {@code config} is {@code
 * nodefaults} (no devices) or {@code devices} (name vm1, an empty IDE CD-ROM cd0, a virtio disk
 * disk0 on a 64 MiB qcow2 image, a virtio balloon) or {@code memory} ({@code -m
 * 128M,slots=4,maxmem=1G}, no devices); {@code paused} (default true) is {@code -S}, {@code
 * noShutdown} (default false) {@code -no-shutdown}. A step is {@code {"execute", "arguments"?,
 * "settle"?, "compare"?}}: {@code settle} is how long (ms) to collect late events after the reply
 * (default 150); {@code compare: "help-lines"} compares an HMP {@code help} text line by line as a
 * subsequence of QEMU's (the simulator lists only the commands it implements).
 *
 * <p>QEMU's guest in these runs is SeaBIOS with nothing to boot: it ignores the ACPI power button
 * and never releases a device unplugged with {@code device_del}. The simulator is given the same
 * guest ({@code guestPowerdownDelay(null)}, {@code guestUnplugDelay(null)}).
 */
final class Scenarios {
  static final String SCENARIOS = "scenarios.json";
  static final String RECORDED = "qemu-7.2-transcripts.json";

  /** Where image files live while a scenario runs; "DIR" in scenarios. */
  static final Path DIR =
      Path.of(
          System.getProperty("java.io.tmpdir"),
          "qmp4j-sim-scenarios-" + ProcessHandle.current().pid()); // one per JVM: runs overlap

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try (var files = Files.list(DIR)) {
                    for (Path f : files.toList()) {
                      Files.deleteIfExists(f);
                    }
                    Files.deleteIfExists(DIR);
                  } catch (IOException e) {
                    // nothing there, or a file in use: left to the system's tmp cleaning
                  }
                }));
  }

  private Scenarios() {}

  static JsonNode load(String resource) {
    try (InputStream in = Scenarios.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing " + resource);
      }
      return SimClient.JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Creates the images scenarios use (with qemu-img when it is there, else plain files). */
  static void prepareImages() throws Exception {
    Files.createDirectories(DIR);
    for (String f : TARGETS) {
      Files.deleteIfExists(DIR.resolve(f));
    }
    Files.write(DIR.resolve("cd.iso"), new byte[1 << 20]);
    Files.write(DIR.resolve("cd2.iso"), new byte[2 << 20]);
    for (String f : List.of("disk0.qcow2", "t1.qcow2", "t2.qcow2")) {
      Process p =
          new ProcessBuilder(
                  "qemu-img", "create", "-q", "-f", "qcow2", DIR.resolve(f).toString(), "64M")
              .inheritIO()
              .start();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("qemu-img failed");
      }
    }
  }

  /** Images jobs create (removed before a run). */
  private static final List<String> TARGETS =
      List.of(
          "disk0.qcow2",
          "cd.iso",
          "cd2.iso",
          "m1.qcow2",
          "b1.qcow2",
          "b5.qcow2",
          "t1.qcow2",
          "t2.qcow2");

  /** The {@code memory} configuration: room for DIMMs. */
  static final String MEMORY = "128M,slots=4,maxmem=1G";

  static List<String> qemuArgs(String config) {
    List<String> a = new ArrayList<>();
    if (config.equals("devices")) {
      a.addAll(
          List.of(
              "-name",
              "vm1",
              "-drive",
              "if=none,id=cd0,media=cdrom",
              "-device",
              "ide-cd,drive=cd0,id=cd0dev",
              "-drive",
              "file=" + DIR.resolve("disk0.qcow2") + ",if=none,id=disk0",
              "-device",
              "virtio-blk-pci,drive=disk0,id=disk0dev",
              "-device",
              "virtio-balloon-pci,id=balloon0"));
    } else if (config.equals("memory")) {
      a.addAll(List.of("-m", MEMORY));
    }
    return a;
  }

  static SimulatedMachine.Builder machine(String config, boolean paused) {
    SimulatedMachine.Builder b =
        SimulatedMachine.newBuilder()
            .startPaused(paused)
            .guestPowerdownDelay(null)
            .guestUnplugDelay(null);
    if (config.equals("devices")) {
      b.name("vm1")
          .cdrom("cd0", "cd0dev")
          .disk("disk0", "disk0dev", DIR.resolve("disk0.qcow2").toString(), 64L << 20)
          .balloon("balloon0");
    } else if (config.equals("memory")) {
      b.option("-m", MEMORY);
    }
    return b;
  }

  /** How long a run waits for the end of stream that must follow quit's reply. */
  static final Duration QUIT_EOF_TIMEOUT = Duration.ofSeconds(5);

  /** Runs a scenario's steps; one transcript entry per step: the messages it brought. */
  static ArrayNode run(SimClient c, JsonNode scenario) throws IOException {
    ArrayNode transcript = SimClient.JSON.createArrayNode();
    for (JsonNode step : scenario.get("steps")) {
      JsonNode args = step.get("arguments");
      if (args != null) {
        args = SimClient.JSON.readTree(args.toString().replace("DIR/", DIR + "/"));
      }
      SimClient.Exchange x = c.execute(step.get("execute").asText(), args);
      ArrayNode messages =
          transcript.addObject().put("execute", step.get("execute").asText()).putArray("messages");
      x.messages().forEach(messages::add);
      if (x.reply() == SimClient.EOF) {
        continue;
      }
      if (step.get("execute").asText().equals("quit") && x.reply().has("return")) {
        // QEMU exits; the simulator's server closes each connection once its last byte is out:
        // the end of stream is the very next thing, with no quiet period to wait out. (The
        // timeout only keeps a broken run from hanging.)
        JsonNode end = c.next(QUIT_EOF_TIMEOUT);
        messages.add(end != null ? end : TextNode.valueOf("no end of stream after quit"));
        continue;
      }
      c.drain(Duration.ofMillis(step.path("settle").asLong(150))).forEach(messages::add);
    }
    return transcript;
  }

  /** Runs the scenario against a fresh QEMU; null if QEMU is missing (and not under CI). */
  static ArrayNode runQemu(JsonNode scenario) throws Exception {
    Path qemu = Qemu.systemEmulator().orElse(null);
    if (qemu == null) {
      return null;
    }
    prepareImages();
    Path sock = DIR.resolve("qemu.sock");
    Files.deleteIfExists(sock);
    List<String> cmd =
        new ArrayList<>(
            List.of(
                qemu.toString(),
                "-machine",
                "pc",
                "-nodefaults",
                "-display",
                "none",
                "-chardev",
                "socket,id=mon0,path=" + sock + ",server=on,wait=off",
                "-mon",
                "chardev=mon0,mode=control"));
    if (paused(scenario)) {
      cmd.add("-S");
    }
    if (scenario.path("noShutdown").asBoolean(false)) {
      cmd.add("-no-shutdown");
    }
    cmd.addAll(qemuArgs(scenario.get("config").asText()));
    return withQemu(cmd, sock, c -> run(c, scenario));
  }

  /** What is done with a QEMU once connected to its monitor. */
  interface QemuSession<T> {
    T run(SimClient c) throws Exception;
  }

  /**
   * Starts QEMU with {@code cmd}, whose QMP monitor is to listen on {@code sock}; connects once it
   * listens (20 s at the most), runs {@code session}, and kills QEMU.
   */
  static <T> T withQemu(List<String> cmd, Path sock, QemuSession<T> session) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!Files.exists(sock)) {
        if (System.nanoTime() > end || !p.isAlive()) {
          throw new IllegalStateException(
              "QEMU did not start: " + new String(p.getInputStream().readAllBytes()));
        }
        Thread.sleep(20);
      }
      try (SimClient c = connect(sock, end)) {
        return session.run(c);
      }
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Connects once the machine listens on {@code sock} (QEMU's socket file appears when bound, a
   * moment before it listens; a started machine's may not be there yet), trying until {@code
   * deadline} ({@link System#nanoTime()}).
   */
  static SimClient connect(Path sock, long deadline) throws Exception {
    while (true) {
      try {
        return SimClient.open(sock);
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(20);
      }
    }
  }

  static ArrayNode runSimulator(JsonNode scenario) throws Exception {
    prepareSimImages();
    SimulatedMachine.Builder b =
        machine(scenario.get("config").asText(), paused(scenario))
            .noShutdown(scenario.path("noShutdown").asBoolean(false));
    try (SimFixture f = new SimFixture(b);
        SimClient c = SimClient.open(f.socket)) {
      return run(c, scenario);
    }
  }

  static boolean paused(JsonNode scenario) {
    return scenario.path("paused").asBoolean(true);
  }

  /**
   * The simulator opens the CD images and the images given to {@code blockdev-add} (for their size
   * and format: a qcow2 header is enough); the disk it never touches.
   */
  private static void prepareSimImages() throws IOException {
    Files.createDirectories(DIR);
    for (String f : List.of("m1.qcow2", "b1.qcow2", "b5.qcow2")) {
      Files.deleteIfExists(DIR.resolve(f));
    }
    Files.write(DIR.resolve("cd.iso"), new byte[1 << 20]);
    Files.write(DIR.resolve("cd2.iso"), new byte[2 << 20]);
    for (String f : List.of("t1.qcow2", "t2.qcow2")) {
      // the header qemu-img writes for an empty 64 MiB image: magic, version 3, size
      ByteBuffer h = ByteBuffer.allocate(512);
      h.put(new byte[] {'Q', 'F', 'I', (byte) 0xfb}).putInt(3).putLong(0).putInt(0).putInt(16);
      h.putLong(64L << 20);
      Files.write(DIR.resolve(f), h.array());
    }
  }

  /**
   * Removes what legitimately differs: timestamps, auto-generated node names, thread ids, host file
   * sizes and paths, version strings, the position of a reply among events emitted by asynchronous
   * work.
   */
  static JsonNode normalise(JsonNode transcript) {
    JsonNode t = transcript.deepCopy();
    walk(t);
    return t;
  }

  private static void walk(JsonNode n) {
    if (n instanceof ObjectNode o) {
      o.remove("timestamp");
      o.remove("thread-id");
      if (o.has("actual-size")) {
        o.put("actual-size", 0);
      }
      if (o.has("package") && o.has("qemu")) {
        o.put("package", "");
        ((ObjectNode) o.get("qemu")).put("micro", 0);
      }
      Iterator<Map.Entry<String, JsonNode>> it = o.fields();
      List<Map.Entry<String, JsonNode>> replace = new ArrayList<>();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getValue().isTextual()) {
          replace.add(e);
        } else {
          walk(e.getValue());
        }
      }
      for (Map.Entry<String, JsonNode> e : replace) {
        o.set(e.getKey(), text(e.getValue().asText()));
      }
    } else if (n instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        if (a.get(i).isTextual()) {
          a.set(i, text(a.get(i).asText()));
        } else {
          walk(a.get(i));
        }
      }
    }
  }

  private static TextNode text(String s) {
    String t = s.replaceAll("#block[0-9]+", "#block").replace(DIR + "/", "DIR/");
    // HMP info version: the micro version and the package, as in query-version
    t = t.replaceAll("^(\\d+)\\.(\\d+)\\.\\d+[^\\r\\n]*\\r\\n$", "$1.$2.0\r\n");
    return TextNode.valueOf(t);
  }
}
