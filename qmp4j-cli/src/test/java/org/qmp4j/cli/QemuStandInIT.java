package org.qmp4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.client.GuestAgentClient;
import org.qmp4j.client.GuestExecResult;
import org.qmp4j.client.QmpClient;
import org.qmp4j.client.QmpCommand;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.protocol.QmpEvent;

/**
 * The QEMU stand-in ({@code org.qmp4j.sim.QemuStandIn} in the runnable jar, what {@code
 * bin/qemu-system-x86_64} runs) started as a management tool starts QEMU, driven with the qmp4j
 * client; and {@code qmp4j serve}'s machine options.
 */
class QemuStandInIT {
  @TempDir Path dir;
  private final List<Process> processes = new ArrayList<>();
  private long daemonPid = -1;

  @AfterEach
  void cleanUp() throws Exception {
    for (Process p : processes) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    if (daemonPid > 0) {
      ProcessHandle.of(daemonPid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  private static List<String> java(String mainClass, List<String> args) {
    String jar = System.getProperty("qmp4j.test.jar");
    assertNotNull(jar, "failsafe passes qmp4j.test.jar");
    assertTrue(Files.isRegularFile(Path.of(jar)), jar + " was not built");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (mainClass == null) {
      cmd.addAll(List.of("-jar", jar));
    } else {
      cmd.addAll(List.of("-cp", jar, mainClass));
    }
    cmd.addAll(args);
    return cmd;
  }

  private Process start(List<String> cmd) throws IOException {
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("out-" + processes.size() + ".log").toFile())
            .start();
    processes.add(p);
    return p;
  }

  private static void waitForFile(Path file, Process p) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(file)) {
      assertTrue(p == null || p.isAlive(), "the process ended before " + file + " appeared");
      assertTrue(System.nanoTime() < end, file + " did not appear");
      Thread.sleep(20);
    }
  }

  /** Connects once the socket listens (its file appears a moment before). */
  private static QmpClient connect(Path sock) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        return QmpClient.connect("unix:" + sock);
      } catch (RuntimeException e) {
        if (System.nanoTime() > end) {
          throw e;
        }
        Thread.sleep(50);
      }
    }
  }

  @Test
  void libvirtStyleCommandLine() throws Exception {
    Path sock = dir.resolve("monitor.sock");
    Path image = dir.resolve("disk0.img");
    Files.write(image, new byte[1 << 20]);
    List<String> args =
        List.of(
            "-name",
            "guest=vm1,debug-threads=on",
            "-S",
            "-machine",
            "pc-i440fx-7.2,usb=off,dump-guest-core=off,accel=tcg",
            "-m",
            "1024",
            "-smp",
            "1,sockets=1,cores=1,threads=1",
            "-uuid",
            "6b4c3e2a-1d2f-4c1e-9a7b-0123456789ab",
            "-no-user-config",
            "-nodefaults",
            "-chardev",
            "socket,id=charmonitor,path=" + sock + ",server=on,wait=off",
            "-mon",
            "chardev=charmonitor,id=monitor,mode=control",
            "-no-shutdown",
            "-display",
            "none",
            "-blockdev",
            "{\"driver\":\"file\",\"filename\":\""
                + image
                + "\",\"node-name\":\"libvirt-1-storage\"}",
            "-blockdev",
            "{\"node-name\":\"libvirt-1-format\",\"read-only\":false,\"driver\":\"raw\","
                + "\"file\":\"libvirt-1-storage\"}",
            "-device",
            "virtio-blk-pci,bus=pci.0,addr=0x4,drive=libvirt-1-format,id=virtio-disk0,bootindex=1",
            "-netdev",
            "user,id=hostnet0",
            "-device",
            "e1000,netdev=hostnet0,id=net0,mac=52:54:00:11:22:33,bus=pci.0,addr=0x3",
            "-device",
            "virtio-balloon-pci,id=balloon0,bus=pci.0,addr=0x5");
    Process p = start(java("org.qmp4j.sim.QemuStandIn", args));
    waitForFile(sock, p);
    try (QmpClient c = connect(sock)) {
      assertEquals("prelaunch", c.execute("query-status").get("status").asText());
      assertEquals("vm1", c.execute("query-name").get("name").asText());
      assertEquals(
          "6b4c3e2a-1d2f-4c1e-9a7b-0123456789ab", c.execute("query-uuid").get("UUID").asText());
      JsonNode block = c.execute("query-block");
      assertEquals(1, block.size(), block.toString());
      assertEquals("", block.get(0).get("device").asText());
      assertEquals(
          "/machine/peripheral/virtio-disk0/virtio-backend", block.get(0).get("qdev").asText());
      assertEquals("libvirt-1-format", block.get(0).at("/inserted/node-name").asText());
      assertEquals(image.toString(), block.get(0).at("/inserted/file").asText());
      JsonNode pci = c.execute("query-pci").get(0).get("devices");
      StringBuilder slots = new StringBuilder();
      for (JsonNode d : pci) {
        if (!d.get("qdev_id").asText().isEmpty()) {
          slots.append(d.get("qdev_id").asText()).append('@').append(d.get("slot")).append(' ');
        }
      }
      assertEquals("net0@3 virtio-disk0@4 balloon0@5 ", slots.toString());
      assertEquals(1L << 30, c.execute("query-balloon").get("actual").asLong());
      JsonNode peripheral = c.execute("qom-list", Map.of("path", "/machine/peripheral"));
      assertTrue(
          peripheral.toString().contains("{\"name\":\"net0\",\"type\":\"child<e1000>\"}"),
          peripheral.toString());

      c.execute("cont");
      assertEquals("running", c.execute("query-status").get("status").asText());
      c.execute("stop");
      assertEquals("paused", c.execute("query-status").get("status").asText());
      c.execute("cont");
      c.execute("quit");
    }
    assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the stand-in did not end after quit");
    assertEquals(0, p.exitValue(), Files.readString(dir.resolve("out-0.log")));
    assertEquals("", Files.readString(dir.resolve("out-0.log")));
  }

  /** libvirt's command line with its qemu-ga channel (domain XML {@code <channel type='unix'>}). */
  private List<String> libvirtWithGuestAgent(Path monitor, Path agent, boolean noShutdown) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "-name",
                "guest=vm1,debug-threads=on",
                "-S",
                "-machine",
                "pc-i440fx-7.2,usb=off,dump-guest-core=off,accel=tcg",
                "-m",
                "1024",
                "-no-user-config",
                "-nodefaults",
                "-chardev",
                "socket,id=charmonitor,path=" + monitor + ",server=on,wait=off",
                "-mon",
                "chardev=charmonitor,id=monitor,mode=control",
                "-display",
                "none",
                "-device",
                "virtio-serial-pci,id=virtio-serial0,bus=pci.0,addr=0x4",
                "-chardev",
                "socket,id=charchannel0,path=" + agent + ",server=on,wait=off",
                "-device",
                "virtserialport,bus=virtio-serial0.0,nr=1,chardev=charchannel0,id=channel0,"
                    + "name=org.qemu.guest_agent.0"));
    if (noShutdown) {
      args.add("-no-shutdown");
    }
    return args;
  }

  private static QmpEvent next(BlockingQueue<QmpEvent> events, String name) throws Exception {
    while (true) {
      QmpEvent e = events.poll(10, TimeUnit.SECONDS);
      assertNotNull(e, "no " + name);
      if (e.name().equals(name)) {
        return e;
      }
    }
  }

  /**
   * The guest agent's channel as libvirt wires it: the agent opens its port once the guest runs
   * (VSERPORT_CHANGE), answers the qmp4j GuestAgentClient, and guest-shutdown powers the machine
   * off; with -no-shutdown the process stays, paused in state shutdown, until quit.
   */
  @Test
  void guestAgentChannelWithNoShutdown() throws Exception {
    Path sock = dir.resolve("monitor.sock");
    Path qga = dir.resolve("qga.sock");
    Process p = start(java("org.qmp4j.sim.QemuStandIn", libvirtWithGuestAgent(sock, qga, true)));
    waitForFile(sock, p);
    BlockingQueue<QmpEvent> events = new LinkedBlockingQueue<>();
    try (QmpClient c = connect(sock)) {
      c.subscribe(events::add, "VSERPORT_CHANGE", "SHUTDOWN", "STOP");
      assertTrue(Files.exists(qga), "the agent's socket does not listen once the monitor does");
      JsonNode peripheral = c.execute("qom-list", Map.of("path", "/machine/peripheral"));
      assertTrue(
          peripheral
              .toString()
              .contains("{\"name\":\"channel0\",\"type\":\"child<virtserialport>\"}"),
          peripheral.toString());
      assertTrue(
          peripheral
              .toString()
              .contains("{\"name\":\"virtio-serial0\",\"type\":\"child<virtio-serial-pci>\"}"),
          peripheral.toString());
      JsonNode serial = c.execute("query-pci").get(0).get("devices").get(4);
      assertEquals("virtio-serial0", serial.get("qdev_id").asText(), serial.toString());
      assertEquals("{\"class\":1920}", serial.get("class_info").toString());

      c.execute("cont");
      QmpEvent open = next(events, "VSERPORT_CHANGE");
      assertEquals("{\"open\":true,\"id\":\"channel0\"}", open.data().toString());

      try (GuestAgentClient ga = GuestAgentClient.connect("unix:" + qga)) {
        ga.ping();
        GuestExecResult r = ga.exec("/bin/echo", "hello from the guest");
        assertEquals(0, r.exitCode());
        assertEquals("hello from the guest\n", r.stdoutText());
        assertEquals("vm1", ga.execute("guest-get-host-name").get("host-name").asText());
        ga.executeNoReply(QmpCommand.of("guest-shutdown"));
      }
      // Within a second of the open, QEMU's throttle holds the close back: it may come later.
      QmpEvent shutdown = next(events, "SHUTDOWN");
      assertEquals("{\"guest\":true,\"reason\":\"guest-shutdown\"}", shutdown.data().toString());
      next(events, "STOP");
      assertEquals("shutdown", c.execute("query-status").get("status").asText());
      assertTrue(p.isAlive(), "with -no-shutdown the process stays after the guest powers off");
      c.execute("quit");
    }
    assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the stand-in did not end after quit");
    assertEquals(0, p.exitValue(), Files.readString(dir.resolve("out-0.log")));
    assertFalse(Files.exists(qga), "the agent's socket outlived the process");
  }

  /** Without -no-shutdown the process ends (status 0) once the guest has powered off, as QEMU. */
  @Test
  void guestShutdownEndsTheProcess() throws Exception {
    Path sock = dir.resolve("monitor.sock");
    Path qga = dir.resolve("qga.sock");
    Process p = start(java("org.qmp4j.sim.QemuStandIn", libvirtWithGuestAgent(sock, qga, false)));
    waitForFile(sock, p);
    BlockingQueue<QmpEvent> events = new LinkedBlockingQueue<>();
    try (QmpClient c = connect(sock)) {
      c.subscribe(events::add, "SHUTDOWN");
      c.execute("cont");
      try (GuestAgentClient ga = GuestAgentClient.connect("unix:" + qga)) {
        ga.ping();
        ga.executeNoReply(QmpCommand.of("guest-shutdown"));
      }
      QmpEvent shutdown = next(events, "SHUTDOWN");
      assertEquals("{\"guest\":true,\"reason\":\"guest-shutdown\"}", shutdown.data().toString());
    }
    assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the stand-in did not end after the power-off");
    assertEquals(0, p.exitValue(), Files.readString(dir.resolve("out-0.log")));
    assertEquals("", Files.readString(dir.resolve("out-0.log")));
  }

  @Test
  void daemonizeWithPidfile() throws Exception {
    Path sock = dir.resolve("qmp.sock");
    Path pidfile = dir.resolve("qemu.pid");
    Process parent =
        start(
            java(
                "org.qmp4j.sim.QemuStandIn",
                List.of(
                    "-machine",
                    "pc",
                    "-nodefaults",
                    "-display",
                    "none",
                    "-qmp",
                    "unix:" + sock + ",server=on,wait=off",
                    "-daemonize",
                    "-pidfile",
                    pidfile.toString())));
    assertTrue(parent.waitFor(30, TimeUnit.SECONDS), "the parent did not return");
    assertEquals(0, parent.exitValue(), Files.readString(dir.resolve("out-0.log")));
    // As QEMU: once the parent has returned, the monitor listens and the pidfile names the daemon.
    assertTrue(Files.exists(sock), "no monitor socket when the parent returned");
    String pid = Files.readString(pidfile, StandardCharsets.US_ASCII);
    assertTrue(pid.matches("[0-9]+\n"), pid);
    daemonPid = Long.parseLong(pid.strip());
    assertNotEquals(parent.pid(), daemonPid);
    ProcessHandle daemon = ProcessHandle.of(daemonPid).orElseThrow();
    assertTrue(daemon.isAlive());
    try (QmpClient c = connect(sock)) {
      assertEquals("running", c.execute("query-status").get("status").asText());
      assertEquals(0, c.execute("query-block").size());
      c.execute("quit");
    }
    daemon.onExit().get(20, TimeUnit.SECONDS);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (Files.exists(pidfile) && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    assertFalse(Files.exists(pidfile), "the pidfile outlived the daemon");
  }

  @Test
  void refusesWhatItDoesNotTake() throws Exception {
    Process p = start(java("org.qmp4j.sim.QemuStandIn", List.of("-nodefaults", "-cpu", "host")));
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(1, p.exitValue());
    assertEquals(
        "qemu-system-x86_64: -cpu: not supported by the qmp4j QEMU stand-in"
            + " (see qemu-system-x86_64 -help)\n",
        Files.readString(dir.resolve("out-0.log")));
  }

  @Test
  void serveWithoutMachineOptionsHasNoDevices() throws Exception {
    Path sock = dir.resolve("serve.sock");
    Process p = start(java(null, List.of("serve", "--qmp", "unix:" + sock)));
    waitForFile(sock, p);
    try (QmpClient c = connect(sock)) {
      assertEquals(0, c.execute("query-block").size());
      QmpErrorException e = assertThrows(QmpErrorException.class, () -> c.execute("query-balloon"));
      assertEquals("No balloon device has been activated", e.desc());
      c.execute("quit");
    }
    assertTrue(p.waitFor(20, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue());
  }

  @Test
  void serveWithQemuMachineOptions() throws Exception {
    Path sock = dir.resolve("serve.sock");
    Path image = dir.resolve("d.img");
    Files.write(image, new byte[4096]);
    Path config = dir.resolve("vm.json");
    Files.writeString(
        config,
        "{\"name\": \"from-config\", \"devices\": [{\"driver\": \"virtio-balloon-pci\", \"id\":"
            + " \"balloon0\"}]}");
    Process p =
        start(
            java(
                null,
                List.of(
                    "serve",
                    "--qmp",
                    "unix:" + sock,
                    "--config",
                    config.toString(),
                    "-drive",
                    "if=none,id=d0,file=" + image + ",format=raw",
                    "-device",
                    "virtio-blk-pci,drive=d0,id=disk0",
                    "-S")));
    waitForFile(sock, p);
    try (QmpClient c = connect(sock)) {
      assertEquals("prelaunch", c.execute("query-status").get("status").asText());
      assertEquals("from-config", c.execute("query-name").get("name").asText());
      JsonNode block = c.execute("query-block");
      assertEquals("d0", block.get(0).get("device").asText());
      assertEquals("/machine/peripheral/disk0/virtio-backend", block.get(0).get("qdev").asText());
      assertEquals(4096, block.get(0).at("/inserted/image/virtual-size").asLong());
      assertEquals(128L << 20, c.execute("query-balloon").get("actual").asLong());
      c.execute("quit");
    }
    assertTrue(p.waitFor(20, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue());
  }
}
