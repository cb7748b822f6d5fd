package org.qmp4j.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.sim.internal.QemuOpts;

/** Reading QEMU's command line: the stand-in's, {@code serve}'s, a config file's. */
class QemuCommandLineTest {
  @TempDir Path dir;

  private static QemuCommandLine parse(String... args) {
    return QemuCommandLine.parse(List.of(args));
  }

  private static String refusal(String... args) {
    return assertThrows(IllegalArgumentException.class, () -> parse(args)).getMessage();
  }

  @Test
  void optionSyntax() {
    assertEquals(
        Map.of("driver", "e1000", "id", "n0", "mac", "52:54:00:00:00:01"),
        QemuOpts.parse("e1000,id=n0,mac=52:54:00:00:00:01", "driver"));
    assertEquals(
        Map.of("file", "/a,b.img", "if", "none"), QemuOpts.parse("file=/a,,b.img,if=none", null));
    assertEquals(
        Map.of("path", "unix:/x", "server", "on", "nowait", "on"),
        QemuOpts.parse("unix:/x,server,nowait", "path"));
    assertEquals(
        Map.of("driver", "ide-cd", "id", "cd"),
        QemuOpts.parse("{\"driver\": \"ide-cd\", \"id\": \"cd\"}", "driver"));
    assertEquals(
        Map.of("guest", "vm1", "debug-threads", "on"),
        QemuOpts.parse("guest=vm1,debug-threads=on", "guest"));
  }

  @Test
  void monitorsFromQmpAndFromChardevWithMon() {
    QemuCommandLine c =
        parse(
            "-qmp", "unix:/tmp/a.sock,server=on,wait=off",
            "-qmp-pretty", "tcp:127.0.0.1:4444,server,nowait",
            "-chardev", "socket,id=charmonitor,path=/tmp/b.sock,server=on,wait=off",
            "-mon", "chardev=charmonitor,id=monitor,mode=control,pretty=on",
            "-chardev", "socket,id=m2,host=localhost,port=5555,server=on,wait=off",
            "-mon", "m2,mode=control");
    assertEquals(
        List.of(
            new QemuCommandLine.Monitor("unix:/tmp/a.sock", false, "compat_monitor0"),
            new QemuCommandLine.Monitor("tcp:127.0.0.1:4444", true, "compat_monitor1"),
            new QemuCommandLine.Monitor("unix:/tmp/b.sock", true, "charmonitor"),
            new QemuCommandLine.Monitor("tcp:localhost:5555", false, "m2")),
        c.monitors);
    assertEquals(
        List.of("compat_monitor0", "compat_monitor1", "charmonitor", "m2"), c.chardevOrder);
  }

  /** libvirt's channel to qemu-ga: a socket chardev under a virtserialport of that name. */
  @Test
  void guestAgentChannelAsLibvirtWiresIt() {
    QemuCommandLine c =
        parse(
            "-chardev", "socket,id=charmonitor,path=/tmp/m.sock,server=on,wait=off",
            "-mon", "chardev=charmonitor,id=monitor,mode=control",
            "-chardev", "socket,id=charchannel0,path=/tmp/qga.sock,server=on,wait=off",
            "-chardev", "socket,id=charchannel1,host=127.0.0.1,port=4446,server,nowait",
            "-device", "virtio-serial-pci,id=virtio-serial0,bus=pci.0,addr=0x5",
            "-device",
                "virtserialport,bus=virtio-serial0.0,nr=1,chardev=charchannel0,id=channel0,"
                    + "name=org.qemu.guest_agent.0",
            "-device",
                "{\"driver\":\"virtserialport\",\"bus\":\"virtio-serial0.0\",\"nr\":2,"
                    + "\"chardev\":\"charchannel1\",\"id\":\"channel1\","
                    + "\"name\":\"org.qemu.guest_agent.0\"}");
    assertEquals(
        List.of(new QemuCommandLine.Monitor("unix:/tmp/m.sock", false, "charmonitor")), c.monitors);
    assertEquals(List.of("unix:/tmp/qga.sock", "tcp:127.0.0.1:4446"), c.guestAgents);
    assertEquals(List.of("charchannel0", "charchannel1"), c.guestAgentChardevs);
    assertTrue(c.machine.contains("virtio-serial-pci,id=virtio-serial0,bus=pci.0,addr=0x5"));
  }

  @Test
  void refusesChardevsItDoesNotServe() {
    String chardev = "socket,id=c,path=/tmp/c.sock,server=on,wait=off";
    // QEMU's texts (observed on 7.2.22)
    assertEquals(
        "-device virtserialport,chardev=nope,name=org.qemu.guest_agent.0: Property"
            + " 'virtserialport.chardev' can't find value 'nope'",
        refusal("-device", "virtserialport,chardev=nope,name=org.qemu.guest_agent.0"));
    assertEquals(
        "-device virtserialport,chardev=c,name=org.qemu.guest_agent.0: Property"
            + " 'virtserialport.chardev' can't take value 'c': Device 'c' is in use",
        refusal(
            "-chardev",
            chardev,
            "-mon",
            "c,mode=control",
            "-device",
            "virtserialport,chardev=c,name=org.qemu.guest_agent.0"));
    assertEquals(
        "-mon c,mode=control: Device 'c' is in use",
        refusal("-chardev", chardev, "-mon", "c,mode=control", "-mon", "c,mode=control"));
    // What the stand-in does not simulate: other ports, consoles, serial ports, idle chardevs
    for (String device :
        List.of(
            "virtserialport,chardev=c,name=com.redhat.spice.0",
            "virtconsole,chardev=c",
            "isa-serial,chardev=c")) {
      assertTrue(
          refusal("-chardev", chardev, "-device", device)
              .startsWith(
                  "-device "
                      + device
                      + ": a chardev is simulated by the qmp4j QEMU stand-in only for the guest"
                      + " agent's channel"),
          device);
    }
    assertEquals(
        "-chardev "
            + chardev
            + ": a chardev that is neither a QMP monitor's (-mon chardev=...,mode=control) nor the"
            + " guest agent's channel (-device virtserialport,chardev=...,"
            + "name=org.qemu.guest_agent.0) is not simulated by the qmp4j QEMU stand-in",
        refusal("-chardev", chardev));
    assertEquals(
        "-serial: not supported by the qmp4j QEMU stand-in (see qemu-system-x86_64 -help)",
        refusal("-serial", "unix:/tmp/s.sock,server=on,wait=off"));
    assertTrue(
        refusal(
                "-chardev",
                chardev.replace("wait=off", "wait=on"),
                "-device",
                "virtserialport,chardev=c,name=org.qemu.guest_agent.0")
            .contains("give wait=off"));
  }

  @Test
  void processOptionsAndMachineWords() {
    QemuCommandLine c =
        parse(
            "--name",
            "guest=vm1",
            "-S",
            "-M",
            "q35,accel=kvm",
            "-nodefaults",
            "-no-user-config",
            "-display",
            "none",
            "-nographic",
            "-vga",
            "none",
            "-daemonize",
            "-pidfile",
            "/tmp/p",
            "-no-shutdown",
            "-drive",
            "if=none,id=d0",
            "-device",
            "ide-cd,drive=d0");
    assertTrue(c.daemonize);
    assertEquals("/tmp/p", c.pidfile);
    assertEquals(
        List.of(
            "-name",
            "guest=vm1",
            "-S",
            "-machine",
            "q35,accel=kvm",
            "-no-shutdown",
            "-drive",
            "if=none,id=d0",
            "-device",
            "ide-cd,drive=d0"),
        c.machine);
    assertFalse(parse("-nodefaults").daemonize);
    assertTrue(parse("-version").version);
    assertTrue(parse("--help").help);
  }

  @Test
  void refusesNamingTheOption() {
    assertEquals("-frobnicate: invalid option", refusal("-frobnicate"));
    assertEquals(
        "-cpu: not supported by the qmp4j QEMU stand-in (see qemu-system-x86_64 -help)",
        refusal("-cpu", "host"));
    assertEquals("-name: requires an argument", refusal("-name"));
    assertEquals(
        "-mon chardev=x,mode=control: chardev \"x\" not found",
        refusal("-mon", "chardev=x,mode=control"));
    assertTrue(refusal("-display", "gtk").startsWith("-display gtk: only -display none"));
    assertTrue(refusal("-chardev", "pty,id=c").contains("only socket chardevs"));
    assertTrue(
        refusal("-chardev", "socket,id=c,path=/x,server=on,wait=off", "-mon", "chardev=c")
            .contains("only mode=control"));
    assertTrue(refusal("-qmp", "unix:/x,server=on").contains("give wait=off"));
    assertTrue(refusal("-qmp", "unix:/x").contains("give server=on"));
    assertTrue(
        refusal("-chardev", "socket,id=c,fd=3,server=on,wait=off", "-mon", "c,mode=control")
            .contains("fd="));
    assertTrue(refusal("disk.img").startsWith("disk.img: a disk image as a plain argument"));
  }

  @Test
  void standInPrintsVersionAndHelpAndRefusesWithStatusOne() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertEquals(0, QemuStandIn.run(List.of("-version"), o, e));
    assertTrue(
        out.toString(StandardCharsets.UTF_8)
            .startsWith("QEMU emulator version 7.2.22 (qmp4j simulator)\n"));
    assertEquals(0, QemuStandIn.run(List.of("-help"), o, e));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("-qmp unix:PATH,server=on,wait=off"));
    assertEquals(1, QemuStandIn.run(List.of("-drive", "if=bogus"), o, e));
    assertEquals(
        "qemu-system-x86_64: -drive if=bogus: unsupported bus type 'bogus'\n",
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void serveTakesQemuMachineOptionsAndStartsWithoutDevices() {
    SimulatorOptions plain = SimulatorOptions.parse("--qmp", "unix:/tmp/x.sock");
    assertFalse(plain.demo());
    assertEquals(List.of(), plain.machineOptions());
    assertTrue(SimulatorOptions.parse("--qmp", "/x", "--demo").demo());
    SimulatorOptions o =
        SimulatorOptions.parse(
            "--qmp",
            "/x",
            "-name",
            "vm1",
            "-uuid",
            "6b4c3e2a-1d2f-4c1e-9a7b-0123456789ab",
            "-m",
            "1G",
            "-drive",
            "if=none,id=cd0,media=cdrom",
            "-device",
            "ide-cd,drive=cd0,id=cd",
            "-no-shutdown");
    assertEquals(
        List.of(
            "-name",
            "vm1",
            "-uuid",
            "6b4c3e2a-1d2f-4c1e-9a7b-0123456789ab",
            "-m",
            "1G",
            "-drive",
            "if=none,id=cd0,media=cdrom",
            "-device",
            "ide-cd,drive=cd0,id=cd",
            "-no-shutdown"),
        o.machineOptions());
    assertEquals(
        "unknown option: -cpu",
        assertThrows(IllegalArgumentException.class, () -> SimulatorOptions.parse("-cpu", "host"))
            .getMessage());
  }

  @Test
  void serveTakesTheMachineOptionsTheStandInTakes() {
    SimulatorOptions o =
        SimulatorOptions.parse(
            "--qmp",
            "/x",
            "-M",
            "pc",
            "-m",
            "1G,slots=2,maxmem=4G",
            "-object",
            "memory-backend-ram,id=mem1,size=1G");
    assertEquals(
        List.of(
            "-M",
            "pc",
            "-m",
            "1G,slots=2,maxmem=4G",
            "-object",
            "memory-backend-ram,id=mem1,size=1G"),
        o.machineOptions());
    // The simulator takes them too (it throws for an option it does not know).
    o.machine().build().close();
  }

  @Test
  void configFileBecomesOptionWords() throws Exception {
    Path f = dir.resolve("vm.json");
    Files.writeString(
        f,
        "{\"name\": \"vm1\", \"memory\": \"1G\", \"paused\": true, \"no-shutdown\": true,"
            + " \"drives\": [\"if=none,id=d0,file=/x.img\", {\"if\": \"none\", \"id\": \"cd0\","
            + " \"media\": \"cdrom\", \"file\": \"/a,b.iso\"}],"
            + " \"devices\": [{\"driver\": \"ide-cd\", \"drive\": \"cd0\"}], \"netdevs\":"
            + " [\"user,id=n0\"]}");
    assertEquals(
        List.of(
            "-name",
            "vm1",
            "-m",
            "1G",
            "-S",
            "-no-shutdown",
            "-drive",
            "if=none,id=d0,file=/x.img",
            "-drive",
            "if=none,id=cd0,media=cdrom,file=/a,,b.iso",
            "-device",
            "{\"driver\":\"ide-cd\",\"drive\":\"cd0\"}",
            "-netdev",
            "user,id=n0"),
        SimulatorOptions.config(f));
    Files.writeString(f, "{\"disks\": []}");
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> SimulatorOptions.config(f))
            .getMessage()
            .contains("unknown key 'disks'"));
  }

  @Test
  void builderRefusesWhatQemuRefuses() {
    assertEquals(
        "-uuid nope: failed to parse UUID string: wrong format",
        assertThrows(
                IllegalArgumentException.class,
                () -> SimulatedMachine.newBuilder().option("-uuid", "nope"))
            .getMessage());
    assertEquals(
        "-device virtio-blk-pci,id=x: drive property not set",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    SimulatedMachine.newBuilder().option("-device", "virtio-blk-pci,id=x").build())
            .getMessage());
    assertEquals(
        "-device e1000: No 'PCI' bus found for device 'e1000'",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    SimulatedMachine.newBuilder()
                        .option("-machine", "none")
                        .option("-device", "e1000")
                        .build())
            .getMessage());
  }

  /** A virtio-serial port needs its controller, as in QEMU (observed texts). */
  @Test
  void portsNeedAVirtioSerialBus() {
    assertEquals(
        "-device virtserialport,name=org.qemu.guest_agent.0: No 'virtio-serial-bus' bus found for"
            + " device 'virtserialport'",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    SimulatedMachine.newBuilder()
                        .option("-device", "virtserialport,name=org.qemu.guest_agent.0")
                        .build())
            .getMessage());
    assertEquals(
        "-device virtserialport,bus=nope.0,name=a: Bus 'nope.0' not found",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    SimulatedMachine.newBuilder()
                        .option("-device", "virtio-serial-pci,id=vs")
                        .option("-device", "virtserialport,bus=nope.0,name=a")
                        .build())
            .getMessage());
    SimulatedMachine.newBuilder()
        .option("-device", "virtio-serial-pci,id=vs")
        .option("-device", "virtserialport,bus=vs.0,name=a,id=p")
        .build()
        .close();
  }

  @Test
  void serveTakesGuestAgentAddresses() {
    SimulatorOptions o =
        SimulatorOptions.parse(
            "--qmp", "/tmp/q.sock", "--guest-agent", "unix:/tmp/a.sock", "--guest-agent=h:4444");
    assertEquals(List.of("unix:/tmp/a.sock", "h:4444"), o.guestAgents());
    assertEquals(List.of(), SimulatorOptions.parse("--qmp", "/tmp/q.sock").guestAgents());
    assertEquals(
        "option --guest-agent needs a value",
        assertThrows(
                IllegalArgumentException.class,
                () -> SimulatorOptions.parse("--qmp", "/tmp/q.sock", "--guest-agent"))
            .getMessage());
  }

  /** The names, attachments and media QEMU 7.2 gave these drives (observed; MachineOptionsIT). */
  @Test
  void drivesAreNamedAndAttachedAsQemuDoes() throws Exception {
    Path img = dir.resolve("c.raw");
    Files.write(img, new byte[1 << 16]);
    SimulatedMachine.Builder b =
        SimulatedMachine.newBuilder()
            .option("-smp", "2")
            .option("-drive", "file=" + img + ",format=raw")
            .option("-drive", "if=virtio,file=" + img + ",format=raw,node-name=nb,readonly=on")
            .option("-drive", "media=cdrom")
            .option("-drive", "if=none,file=" + img + ",format=raw");
    try (SimFixture f = new SimFixture(b);
        SimClient c = f.client()) {
      com.fasterxml.jackson.databind.JsonNode r =
          c.execute("query-block", (com.fasterxml.jackson.databind.JsonNode) null)
              .reply()
              .get("return");
      assertEquals("ide0-hd0", r.get(0).get("device").asText());
      assertEquals("/machine/unattached/device[19]", r.get(0).get("qdev").asText());
      assertEquals("virtio0", r.get(1).get("device").asText());
      assertEquals(
          "/machine/peripheral-anon/device[0]/virtio-backend", r.get(1).get("qdev").asText());
      assertEquals("nb", r.get(1).at("/inserted/node-name").asText());
      assertTrue(r.get(1).at("/inserted/ro").asBoolean());
      assertEquals("ide0-cd1", r.get(2).get("device").asText());
      assertFalse(r.get(2).has("inserted"));
      assertFalse(r.get(2).get("tray_open").asBoolean());
      assertEquals("none0", r.get(3).get("device").asText());
      assertTrue(r.get(3).get("removable").asBoolean());
      assertFalse(r.get(3).has("qdev"));
      assertFalse(r.get(3).has("io-status"));
      assertEquals(1 << 16, r.get(3).at("/inserted/image/virtual-size").asLong());
    }
  }
}
