package org.qmp4j.sim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.protocol.QmpVersion;

/**
 * {@code human-monitor-command}: a few HMP commands with QEMU 7.2's output text (lines end in CRLF
 * as QEMU's monitor writes them).
 */
final class Hmp {
  private static final String HELP =
      String.join(
          "\r\n",
          "balloon target -- request VM to change its memory allocation (in MB)",
          "block_job_cancel [-f] device -- stop an active background block operation (use -f",
          "\t\t\t if you want to abort the operation immediately",
          "\t\t\t instead of keep running until data is in sync)",
          "block_job_complete device -- stop an active background block operation",
          "block_job_pause device -- pause an active background block operation",
          "block_job_resume device -- resume a paused background block operation",
          "block_job_set_speed device speed -- set maximum speed for a background block"
              + " operation",
          "cont|c  -- resume emulation",
          "device_add driver[,prop=value][,...] -- add device, like -device on the command line",
          "device_del device -- remove device",
          "eject [-f] device -- eject a removable medium (use -f to force it)",
          "help|? [cmd] -- show the help",
          "info [subcommand] -- show various information about the system state",
          "quit|q  -- quit the emulator",
          "stop|s  -- stop emulation",
          "system_powerdown  -- send system power down event",
          "system_reset  -- reset the system",
          "system_wakeup  -- wakeup guest from suspend",
          "");

  private final Machine machine;
  private final QmpVersion version;

  Hmp(Machine machine, QmpVersion version) {
    this.machine = machine;
    this.version = version;
  }

  String execute(String commandLine) {
    String line = commandLine.strip();
    String[] words = line.isEmpty() ? new String[] {""} : line.split("\\s+");
    String cmd = words[0];
    try {
      switch (cmd) {
        case "":
          return ""; // QEMU ignores an empty command line
        case "info":
          return info(words.length > 1 ? words[1] : "");
        case "stop":
        case "s":
          machine.stop();
          return "";
        case "cont":
        case "c":
          machine.cont();
          return "";
        case "system_reset":
          machine.systemReset();
          return "";
        case "system_powerdown":
          machine.systemPowerdown();
          return "";
        case "system_wakeup":
          machine.systemWakeup();
          return "";
        case "quit":
        case "q":
          machine.quit();
          return "";
        case "eject":
          {
            boolean force = words.length > 2 && words[1].equals("-f");
            String dev = words.length > 1 ? words[words.length - 1] : "";
            machine.block.eject(Json.obj("device", dev, "force", force));
            return "";
          }
        case "device_del":
          machine.devices.deviceDel(words.length > 1 ? words[1] : "");
          return "";
        case "balloon":
          machine.devices.balloon(Long.parseLong(words.length > 1 ? words[1] : "0") << 20);
          return "";
        case "help":
        case "?":
          return HELP;
        default:
          return "unknown command: '" + cmd + "'\r\n";
      }
    } catch (QmpErrorException e) {
      return "Error: " + e.desc() + "\r\n";
    } catch (NumberFormatException e) {
      return "Error: invalid number\r\n";
    }
  }

  private String info(String what) {
    switch (what) {
      case "status":
        {
          JsonNode s = machine.queryStatus();
          String out = "VM status: " + (s.get("running").asBoolean() ? "running" : "paused");
          String st = s.get("status").asText();
          if (!s.get("running").asBoolean() && !st.equals("paused")) {
            out += " (" + st + ")";
          }
          return out + "\r\n";
        }
      case "version":
        return version.major()
            + "."
            + version.minor()
            + "."
            + version.micro()
            + version.packageName()
            + "\r\n";
      case "name":
        return machine.config().name() == null ? "" : machine.config().name() + "\r\n";
      case "kvm":
        return "kvm support: " + (machine.config().kvm() ? "enabled" : "disabled") + "\r\n";
      case "block":
        return infoBlock();
      case "chardev":
        return machine.chardevs.info();
      case "memory-devices":
        return machine.devices.memory.infoMemoryDevices();
      case "memory_size_summary":
        return machine.devices.memory.infoSizeSummary();
      default:
        return "unknown command: 'info " + what + "'\r\n";
    }
  }

  private String infoBlock() {
    StringBuilder sb = new StringBuilder();
    boolean first = true;
    for (JsonNode d : machine.block.queryBlock()) {
      if (!first) {
        sb.append("\r\n");
      }
      first = false;
      JsonNode ins = d.get("inserted");
      String device = d.get("device").asText();
      if (device.isEmpty()) {
        // An anonymous backend goes by its medium's node name, or else by its device.
        sb.append(ins != null ? ins.get("node-name").asText() : d.path("qdev").asText());
      } else {
        sb.append(device);
      }
      if (ins == null) {
        sb.append(": [not inserted]\r\n");
      } else {
        if (!device.isEmpty()) {
          sb.append(" (").append(ins.get("node-name").asText()).append(")");
        }
        sb.append(": ")
            .append(ins.get("file").asText())
            .append(" (")
            .append(ins.get("drv").asText())
            .append(ins.get("ro").asBoolean() ? ", read-only" : "")
            .append(")\r\n");
      }
      if (d.has("qdev")) {
        sb.append("    Attached to:      ").append(d.get("qdev").asText()).append("\r\n");
      }
      if (d.get("removable").asBoolean()) {
        sb.append("    Removable device: ")
            .append(d.get("locked").asBoolean() ? "locked" : "not locked")
            .append(", tray ")
            .append(d.path("tray_open").asBoolean() ? "open" : "closed")
            .append("\r\n");
      }
      if (ins != null) {
        sb.append("    Cache mode:       writeback\r\n");
      }
    }
    return sb.toString();
  }
}
