package org.qmp4j.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What {@code qmp4j serve} runs: the monitors to listen on and the machine's options.
 *
 * @param monitors addresses to serve QMP on: {@code unix:PATH}, {@code tcp:HOST:PORT}, {@code PATH}
 *     (a unix socket) or {@code HOST:PORT}; at least one
 * @param startPaused {@code -S}: stay in prelaunch until {@code cont}
 * @param pretty pretty-print replies and events, as {@code -mon pretty=on}
 * @param name {@code -name}, or {@code null}
 * @param demo model the {@linkplain SimulatedMachine#demo() demo machine} (disk, CD-ROM, balloon,
 *     NIC) rather than a machine without devices ({@code -nodefaults})
 */
public record SimulatorOptions(
    List<String> monitors, boolean startPaused, boolean pretty, String name, boolean demo) {
  public SimulatorOptions {
    monitors = List.copyOf(monitors);
    if (monitors.isEmpty()) {
      throw new IllegalArgumentException("no --qmp address given");
    }
  }

  /**
   * Reads {@code qmp4j serve}'s arguments: {@code [--qmp ADDR]... [-S] [--pretty] [--name NAME]
   * [--nodefaults]}.
   *
   * @throws IllegalArgumentException naming the argument that is not understood
   */
  public static SimulatorOptions parse(String... args) {
    List<String> monitors = new ArrayList<>();
    boolean paused = false;
    boolean pretty = false;
    boolean demo = true;
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
          demo = false;
          break;
        default:
          if (a.startsWith("--qmp=")) {
            monitors.add(a.substring(6));
          } else if (a.startsWith("--name=")) {
            name = a.substring(7);
          } else {
            throw new IllegalArgumentException("unknown option: " + a);
          }
      }
    }
    return new SimulatorOptions(monitors, paused, pretty, name, demo);
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException("option " + option + " needs a value");
    }
    return Objects.requireNonNull(args[i]);
  }

  /** The machine these options describe. */
  public SimulatedMachine.Builder machine() {
    SimulatedMachine.Builder b = demo ? SimulatedMachine.demo() : SimulatedMachine.newBuilder();
    if (name != null) {
      b.name(name);
    }
    return b.startPaused(startPaused);
  }
}
