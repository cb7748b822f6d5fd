package org.qmp4j.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What {@code qmp4j serve} runs: the monitors to listen on and the machine's options.
 *
 * <p>Without machine options the machine is QEMU's {@code -machine pc -nodefaults} with no devices
 * (no drives, no balloon), so that it answers as QEMU started that way does; {@code --demo} gives
 * the {@linkplain SimulatedMachine#demo() demo machine} instead.
 *
 * @param monitors addresses to serve QMP on: {@code unix:PATH}, {@code tcp:HOST:PORT}, {@code PATH}
 *     (a unix socket) or {@code HOST:PORT}; at least one
 * @param startPaused {@code -S}: stay in prelaunch until {@code cont}
 * @param pretty pretty-print replies and events, as {@code -mon pretty=on}
 * @param name {@code -name}, or {@code null}
 * @param demo start from the {@linkplain SimulatedMachine#demo() demo machine} (disk, CD-ROM,
 *     balloon, NIC) rather than from a machine without devices
 * @param machineOptions QEMU's options for the machine, as words of its command line ({@code
 *     "-drive", "if=none,id=d0,file=/x.qcow2", "-device", "virtio-blk-pci,drive=d0",
 *     "-no-shutdown"}): see {@link SimulatedMachine.Builder#option(String, String)}
 * @param guestAgents addresses to serve the {@linkplain SimulatedMachine#guestAgent() guest agent}
 *     on, in the forms {@link org.qmp4j.transport.QmpAddress#parse} reads ({@code unix:PATH},
 *     {@code tcp:HOST:PORT}, {@code PATH}, {@code HOST:PORT}); may be empty
 */
public record SimulatorOptions(
    List<String> monitors,
    boolean startPaused,
    boolean pretty,
    String name,
    boolean demo,
    List<String> machineOptions,
    List<String> guestAgents) {

  /** QEMU's machine options that take a value ({@code -M} is {@code -machine}). */
  private static boolean takesValue(String option) {
    return option.equals("-M") || SimulatedMachine.VALUE_OPTIONS.contains(option);
  }

  private static final Set<String> CONFIG_KEYS =
      Set.of(
          "name",
          "uuid",
          "memory",
          "smp",
          "machine",
          "accel",
          "paused",
          "no-shutdown",
          "no-reboot",
          "drives",
          "devices",
          "netdevs",
          "blockdevs");

  public SimulatorOptions {
    monitors = List.copyOf(monitors);
    machineOptions = List.copyOf(machineOptions);
    guestAgents = List.copyOf(guestAgents);
    if (monitors.isEmpty()) {
      throw new IllegalArgumentException("no --qmp address given");
    }
  }

  /** Options without a guest agent. */
  public SimulatorOptions(
      List<String> monitors,
      boolean startPaused,
      boolean pretty,
      String name,
      boolean demo,
      List<String> machineOptions) {
    this(monitors, startPaused, pretty, name, demo, machineOptions, List.of());
  }

  /** Options without QEMU machine options. */
  public SimulatorOptions(
      List<String> monitors, boolean startPaused, boolean pretty, String name, boolean demo) {
    this(monitors, startPaused, pretty, name, demo, List.of(), List.of());
  }

  /**
   * Reads {@code qmp4j serve}'s arguments: {@code [--qmp ADDR]... [-S] [--pretty] [--name NAME]
   * [--demo | --nodefaults] [--config FILE] [--guest-agent ADDR]...} and QEMU's machine options
   * ({@code -name}, {@code -uuid}, {@code -m}, {@code -smp}, {@code -machine}, {@code -accel},
   * {@code -enable-kvm}, {@code -drive}, {@code -device}, {@code -netdev}, {@code -blockdev},
   * {@code -no-shutdown}, {@code -no-reboot}).
   *
   * @throws IllegalArgumentException naming the argument that is not understood, or a config file
   *     that cannot be read
   */
  public static SimulatorOptions parse(String... args) {
    List<String> monitors = new ArrayList<>();
    List<String> machine = new ArrayList<>();
    List<String> agents = new ArrayList<>();
    boolean paused = false;
    boolean pretty = false;
    boolean demo = false;
    String name = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--qmp":
          monitors.add(value(args, ++i, a));
          break;
        case "-S":
          paused = true;
          break;
        case "--pretty":
          pretty = true;
          break;
        case "--name":
          name = value(args, ++i, a);
          break;
        case "--nodefaults":
        case "-nodefaults":
          demo = false;
          break;
        case "--demo":
          demo = true;
          break;
        case "--config":
          machine.addAll(config(Path.of(value(args, ++i, a))));
          break;
        case "--guest-agent":
          agents.add(value(args, ++i, a));
          break;
        default:
          if (a.startsWith("--qmp=")) {
            monitors.add(a.substring(6));
          } else if (a.startsWith("--guest-agent=")) {
            agents.add(a.substring("--guest-agent=".length()));
          } else if (a.startsWith("--name=")) {
            name = a.substring(7);
          } else if (a.startsWith("--config=")) {
            machine.addAll(config(Path.of(a.substring(9))));
          } else if (takesValue(a)) {
            machine.add(a);
            machine.add(value(args, ++i, a));
          } else if (SimulatedMachine.FLAG_OPTIONS.contains(a)) {
            machine.add(a);
          } else {
            throw new IllegalArgumentException("unknown option: " + a);
          }
      }
    }
    return new SimulatorOptions(monitors, paused, pretty, name, demo, machine, agents);
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException("option " + option + " needs a value");
    }
    return Objects.requireNonNull(args[i]);
  }

  /**
   * The machine options a config file holds, as command-line words. The file is a JSON object:
   *
   * <pre>{@code
   * {"name": "vm1", "uuid": "...", "memory": "1G", "smp": 2, "machine": "pc", "accel": "kvm",
   *  "paused": true, "no-shutdown": true,
   *  "drives": ["if=none,id=d0,file=/var/lib/vm1.qcow2", {"if": "none", "id": "cd0", "media": "cdrom"}],
   *  "devices": ["virtio-blk-pci,drive=d0,id=disk0", {"driver": "ide-cd", "drive": "cd0", "id": "cd"}],
   *  "netdevs": ["user,id=n0"], "blockdevs": [{"driver": "file", "filename": "/x", "node-name": "f"}]}
   * }</pre>
   *
   * Each entry of the lists is what the QEMU option takes: its text, or an object of its
   * properties.
   *
   * @throws IllegalArgumentException if the file cannot be read or has an unknown key
   */
  public static List<String> config(Path file) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readString(file));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read config file " + file + ": " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("config file " + file + ": not a JSON object");
    }
    List<String> words = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> it = root.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      JsonNode v = e.getValue();
      if (!CONFIG_KEYS.contains(key)) {
        throw new IllegalArgumentException(
            "config file " + file + ": unknown key '" + key + "' (known: " + CONFIG_KEYS + ")");
      }
      switch (key) {
        case "paused":
          if (v.asBoolean()) {
            words.add("-S");
          }
          break;
        case "no-shutdown":
        case "no-reboot":
          if (v.asBoolean()) {
            words.add("-" + key);
          }
          break;
        case "memory":
          words.add("-m");
          words.add(v.asText());
          break;
        case "drives":
        case "devices":
        case "netdevs":
        case "blockdevs":
          if (!v.isArray()) {
            throw new IllegalArgumentException(
                "config file " + file + ": '" + key + "' must be a list");
          }
          String option = "-" + key.substring(0, key.length() - 1);
          for (JsonNode entry : v) {
            words.add(option);
            words.add(entryText(option, entry));
          }
          break;
        default:
          words.add("-" + key);
          words.add(v.asText());
      }
    }
    return words;
  }

  /** A list entry as the option's text: JSON for devices and blockdevs, key=value otherwise. */
  private static String entryText(String option, JsonNode entry) {
    if (!entry.isObject()) {
      return entry.asText();
    }
    if (option.equals("-device") || option.equals("-blockdev")) {
      return entry.toString();
    }
    StringBuilder sb = new StringBuilder();
    Iterator<Map.Entry<String, JsonNode>> it = entry.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> p = it.next();
      JsonNode v = p.getValue();
      String text = v.isBoolean() ? (v.asBoolean() ? "on" : "off") : v.asText();
      sb.append(sb.length() == 0 ? "" : ",")
          .append(p.getKey())
          .append('=')
          .append(text.replace(",", ",,"));
    }
    return sb.toString();
  }

  /**
   * The machine these options describe.
   *
   * @throws IllegalArgumentException for a machine option QEMU would refuse (QEMU's message)
   */
  public SimulatedMachine.Builder machine() {
    SimulatedMachine.Builder b = demo ? SimulatedMachine.demo() : SimulatedMachine.newBuilder();
    for (int i = 0; i < machineOptions.size(); i++) {
      String option = machineOptions.get(i);
      if (SimulatedMachine.FLAG_OPTIONS.contains(option)) {
        b.option(option, null);
      } else {
        b.option(option.equals("-M") ? "-machine" : option, machineOptions.get(++i));
      }
    }
    if (name != null) {
      b.name(name);
    }
    if (startPaused) {
      b.startPaused(true);
    }
    return b;
  }
}
