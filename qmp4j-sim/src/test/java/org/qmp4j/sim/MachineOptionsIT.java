package org.qmp4j.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qmp4j.testing.Qemu;

/**
 * QEMU 7.2 and the simulator started with the same machine options ({@code -drive}, {@code
 * -device}, {@code -blockdev}, {@code -machine}, ...) answer {@code query-block}, {@code
 * query-pci}, {@code qom-list}, {@code info block} and the identity queries alike; a command line
 * QEMU refuses, the stand-in refuses with the same message and status.
 */
class MachineOptionsIT {
  private static Path dir;

  @BeforeAll
  static void images() throws Exception {
    Qemu.assumeSystemEmulator();
    dir = Files.createTempDirectory("qmp4j-machine-options");
    img("a.qcow2", "qcow2", "64M");
    img("b.qcow2", "qcow2", "32M");
    img("c.raw", "raw", "16M");
  }

  private static void img(String name, String format, String size) throws Exception {
    Process p =
        new ProcessBuilder(
                "qemu-img", "create", "-q", "-f", format, dir.resolve(name).toString(), size)
            .inheritIO()
            .start();
    assertEquals(0, p.waitFor());
  }

  static Stream<Arguments> machines() {
    return Stream.of(
        Arguments.of("nodefaults", "pc", List.of()),
        Arguments.of(
            "if-none-and-devices",
            "pc",
            List.of(
                "-drive", "if=none,id=drive0,file=DIR/a.qcow2,format=qcow2",
                "-device", "virtio-blk-pci,drive=drive0,id=disk0",
                "-drive", "if=none,id=cd0,media=cdrom",
                "-device", "ide-cd,drive=cd0,id=cd0dev",
                "-drive", "if=none,id=lone,file=DIR/c.raw,format=raw")),
        Arguments.of(
            "legacy-if",
            "pc",
            List.of(
                "-drive", "file=DIR/a.qcow2,format=qcow2",
                "-drive", "if=virtio,file=DIR/b.qcow2,node-name=nb,readonly=on",
                "-drive", "media=cdrom",
                "-drive", "if=ide,media=cdrom,file=DIR/c.raw,format=raw",
                "-drive", "if=none,file=DIR/c.raw,format=raw,readonly=on")),
        Arguments.of(
            "nics-balloon-smp",
            "pc",
            List.of(
                "-smp", "2",
                "-m", "512",
                "-drive", "if=virtio,file=DIR/b.qcow2",
                "-netdev", "user,id=n0",
                "-device", "e1000,id=nic0,netdev=n0,mac=52:54:00:aa:bb:cc,addr=0x5",
                "-drive", "file=DIR/a.qcow2",
                "-device", "virtio-balloon-pci,id=balloon0",
                "-device", "virtio-net-pci,id=nic1")),
        Arguments.of(
            "ide-devices-identity",
            "pc",
            List.of(
                "-name", "guest=vm1,debug-threads=on",
                "-uuid", "6b4c3e2a-1d2f-4c1e-9a7b-0123456789ab",
                "-device", "ide-cd,id=cd",
                "-drive", "if=none,id=d1,file=DIR/a.qcow2",
                "-device", "ide-hd,drive=d1,id=hd1")),
        Arguments.of(
            "blockdev-libvirt",
            "pc",
            List.of(
                "-blockdev",
                "{\"driver\":\"file\",\"filename\":\"DIR/a.qcow2\",\"node-name\":\"libvirt-1-storage\"}",
                "-blockdev",
                "{\"node-name\":\"libvirt-1-format\",\"read-only\":false,\"driver\":\"qcow2\","
                    + "\"file\":\"libvirt-1-storage\"}",
                "-device",
                "{\"driver\":\"virtio-blk-pci\",\"id\":\"virtio-disk0\",\"drive\":\"libvirt-1-format\"}")),
        Arguments.of(
            "q35", "q35", List.of("-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0")),
        Arguments.of("none", "none", List.of()));
  }

  private static final List<String[]> COMMANDS =
      List.of(
          new String[] {"query-name", null},
          new String[] {"query-uuid", null},
          new String[] {"query-kvm", null},
          new String[] {"query-block", null},
          new String[] {"query-pci", null},
          new String[] {"qom-list", "{\"path\": \"/\"}"},
          new String[] {"qom-list", "{\"path\": \"/machine/peripheral\"}"},
          new String[] {"qom-list", "{\"path\": \"/machine/peripheral-anon\"}"},
          new String[] {"human-monitor-command", "{\"command-line\": \"info block\"}"},
          new String[] {"query-balloon", null},
          new String[] {"eject", "{\"device\": \"lone\"}"},
          new String[] {"query-block", null});

  @ParameterizedTest(name = "{0}")
  @MethodSource("machines")
  void simulatorAnswersAsQemuDoes(String name, String type, List<String> options) throws Exception {
    List<String> args = new ArrayList<>();
    for (String o : options) {
      args.add(o.replace("DIR/", dir + "/"));
    }
    JsonNode qemu = runQemu(type, args);
    JsonNode sim = runSimulator(type, args);
    for (int i = 0; i < COMMANDS.size(); i++) {
      assertEquals(normalise(qemu.get(i)), normalise(sim.get(i)), name + ": " + COMMANDS.get(i)[0]);
    }
  }

  /**
   * libvirt's chardevs (monitors on unix and tcp sockets, the guest agent's channel) and a {@code
   * -qmp} monitor: {@code query-chardev}, {@code qom-list /chardevs} and {@code info chardev} with
   * no other client, with a client on each socket, and after they leave, from QEMU and from the
   * stand-in on the same paths (tcp ports are chosen by the system and normalised).
   */
  @org.junit.jupiter.api.Test
  void chardevsAsQemuListsThem() throws Exception {
    Path d = dir.resolve("chardevs");
    Files.createDirectories(d);
    List<String> args =
        List.of(
            "-machine",
            "pc",
            "-nodefaults",
            "-display",
            "none",
            "-S",
            "-chardev",
            "socket,id=charmonitor,path=" + d + "/m.sock,server=on,wait=off",
            "-mon",
            "chardev=charmonitor,id=monitor,mode=control",
            "-chardev",
            "socket,id=mon2,path=" + d + "/m2.sock,server=on,wait=off",
            "-mon",
            "chardev=mon2,mode=control",
            "-chardev",
            "socket,id=montcp,host=localhost,port=0,server=on,wait=off",
            "-mon",
            "chardev=montcp,mode=control",
            "-qmp",
            "unix:" + d + "/q.sock,server=on,wait=off",
            "-chardev",
            "socket,id=charchannel0,path=" + d + "/g.sock,server=on,wait=off",
            "-device",
            "virtio-serial-pci,id=virtio-serial0",
            "-device",
            "virtserialport,bus=virtio-serial0.0,nr=1,chardev=charchannel0,id=channel0,"
                + "name=org.qemu.guest_agent.0");
    List<String> qemuCmd = new ArrayList<>(List.of(Qemu.assumeSystemEmulator().toString()));
    qemuCmd.addAll(args);
    Process p = new ProcessBuilder(qemuCmd).redirectErrorStream(true).start();
    List<String> qemu;
    try {
      qemu = chardevRun(d);
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    for (String s : List.of("m.sock", "m2.sock", "q.sock", "g.sock")) {
      Files.deleteIfExists(d.resolve(s));
    }
    java.util.concurrent.CompletableFuture<Integer> standIn =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () ->
                QemuStandIn.run(
                    args,
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
    List<String> sim = chardevRun(d);
    assertEquals(0, standIn.get(20, TimeUnit.SECONDS));
    assertEquals(qemu, sim);
  }

  /** The answers of one run (quits the machine at the end). */
  private static List<String> chardevRun(Path d) throws Exception {
    SimClient c =
        Scenarios.connect(d.resolve("m.sock"), System.nanoTime() + TimeUnit.SECONDS.toNanos(20));
    List<String> out = new ArrayList<>();
    JsonNode first = c.execute("query-chardev").result();
    int port = 0;
    for (JsonNode e : first) {
      if (e.get("label").asText().equals("montcp")) {
        String f = e.get("filename").asText();
        port = Integer.parseInt(f.replaceAll(".*:(\\d+),server=on", "$1"));
      }
    }
    out.add(first.toString());
    out.add(c.execute("qom-list", "{\"path\": \"/chardevs\"}").result().toString());
    String hmp = "{\"command-line\": \"info chardev\"}";
    out.add(c.execute("human-monitor-command", hmp).result().asText());
    try (java.nio.channels.SocketChannel a =
            java.nio.channels.SocketChannel.open(
                java.net.UnixDomainSocketAddress.of(d.resolve("m2.sock")));
        java.net.Socket t = new java.net.Socket("127.0.0.1", port);
        java.nio.channels.SocketChannel g =
            java.nio.channels.SocketChannel.open(
                java.net.UnixDomainSocketAddress.of(d.resolve("g.sock")))) {
      Thread.sleep(300);
      out.add(c.execute("query-chardev").result().toString());
      out.add(c.execute("human-monitor-command", hmp).result().asText());
    }
    Thread.sleep(300);
    out.add(c.execute("query-chardev").result().toString());
    c.execute("quit");
    c.close();
    out.replaceAll(s -> s.replaceAll("127\\.0\\.0\\.1:\\d+", "127.0.0.1:PORT"));
    return out;
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of(List.of("-drive", "if=none,id=d0,file=/nonexistent/x.qcow2")),
        Arguments.of(List.of("-device", "virtio-blk-pci,drive=nosuch")),
        Arguments.of(List.of("-device", "virtio-blk-pci,id=x")),
        Arguments.of(List.of("-device", "nosuchdev")),
        Arguments.of(List.of("-device", "e1000,id=a", "-device", "e1000,id=a")),
        Arguments.of(List.of("-device", "e1000,id=1a")),
        Arguments.of(List.of("-device", "e1000,id=a,addr=0x3", "-device", "e1000,id=b,addr=3")),
        Arguments.of(List.of("-device", "e1000,bus=pci.1")),
        Arguments.of(List.of("-device", "virtio-net-pci,netdev=n0")),
        Arguments.of(List.of("-netdev", "user")),
        Arguments.of(List.of("-drive", "if=none,id=d0,media=foo")),
        Arguments.of(List.of("-drive", "if=bogus")),
        Arguments.of(List.of("-drive", "if=none,id=d0,file=DIR/c.raw,format=qcow2")),
        Arguments.of(List.of("-drive", "if=none,id=d0,file=DIR/a.qcow2,rerror=xx")),
        Arguments.of(List.of("-drive", "if=none,id=d0,file=DIR/a.qcow2,readonly=maybe")),
        Arguments.of(List.of("-drive", "if=none,id=d0", "-drive", "if=none,id=d0")),
        Arguments.of(
            List.of(
                "-drive", "if=none,id=d0,file=DIR/a.qcow2",
                "-device", "ide-hd,drive=d0",
                "-device", "ide-cd,drive=d0")),
        Arguments.of(
            List.of("-drive", "if=none,id=c,media=cdrom", "-device", "virtio-blk-pci,drive=c")),
        Arguments.of(List.of("-uuid", "notauuid")),
        Arguments.of(List.of("-frobnicate")),
        Arguments.of(List.of("-name")),
        Arguments.of(List.of("-mon", "chardev=nope,mode=control")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void standInRefusesAsQemuDoes(List<String> options) throws Exception {
    List<String> args =
        new ArrayList<>(List.of("-machine", "pc", "-nodefaults", "-display", "none", "-S"));
    for (String o : options) {
      args.add(o.replace("DIR/", dir + "/"));
    }
    List<String> cmd = new ArrayList<>(List.of(Qemu.assumeSystemEmulator().toString()));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String qemuOut = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("QEMU did not refuse " + args);
    }
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        QemuStandIn.run(
            args,
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(p.exitValue(), status, "exit status");
    assertEquals(qemuOut, err.toString(StandardCharsets.UTF_8));
  }

  private static JsonNode runQemu(String type, List<String> args) throws Exception {
    Path sock = dir.resolve("qemu.sock");
    Files.deleteIfExists(sock);
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Qemu.assumeSystemEmulator().toString(),
                "-machine",
                type,
                "-nodefaults",
                "-display",
                "none",
                "-S",
                "-qmp",
                "unix:" + sock + ",server=on,wait=off"));
    cmd.addAll(args);
    return Scenarios.withQemu(cmd, sock, MachineOptionsIT::run);
  }

  private static JsonNode runSimulator(String type, List<String> args) throws Exception {
    SimulatedMachine.Builder b = SimulatedMachine.newBuilder().startPaused(true);
    b.option("-machine", type);
    for (int i = 0; i < args.size(); i += 2) {
      b.option(args.get(i), args.get(i + 1));
    }
    try (SimFixture f = new SimFixture(b);
        SimClient c = SimClient.open(f.socket)) {
      return run(c);
    }
  }

  private static ArrayNode run(SimClient c) throws Exception {
    ArrayNode out = SimClient.JSON.createArrayNode();
    for (String[] command : COMMANDS) {
      JsonNode args = command[1] == null ? null : SimClient.JSON.readTree(command[1]);
      out.add(c.execute(command[0], args).reply());
    }
    return out;
  }

  /** {@link Scenarios#normalise}, and qom-list's children in name order (QEMU's is a hash's). */
  private static JsonNode normalise(JsonNode reply) {
    JsonNode n = Scenarios.normalise(reply);
    JsonNode r = n.get("return");
    if (r instanceof ArrayNode a && a.size() > 0 && a.get(0).has("name") && a.get(0).has("type")) {
      List<JsonNode> items = new ArrayList<>();
      a.forEach(items::add);
      items.sort(Comparator.comparing(x -> x.get("name").asText()));
      ((ObjectNode) n).set("return", SimClient.JSON.valueToTree(items));
    }
    return n;
  }
}
