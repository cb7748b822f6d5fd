package org.qmp4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.qmp4j.client.QmpClient;
import org.qmp4j.protocol.QmpJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code qmp4j vm-info}: a summary of the machine. */
@Command(
    name = "vm-info",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    header = "Print a summary of the machine.",
    description = {
      "Name, QEMU version, run state, KVM, CPUs, memory and balloon, block devices and their"
          + " media, jobs, migration and display clients, gathered with query-* commands sent"
          + " all at once. What the peer does not support is left out.",
      "--json prints every reply as one JSON object keyed by command instead."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  qmp4j vm-info /tmp/qmp.sock",
      "  qmp4j vm-info /tmp/qmp.sock --json | jq .\\\"query-block\\\""
    })
final class VmInfoCommand implements Callable<Integer> {

  /** The queries asked, in the order they are shown. */
  static final List<String> QUERIES =
      List.of(
          "query-name",
          "query-uuid",
          "query-version",
          "query-status",
          "query-kvm",
          "query-target",
          "query-current-machine",
          "query-cpus-fast",
          "query-memory-size-summary",
          "query-balloon",
          "query-block",
          "query-jobs",
          "query-migrate",
          "query-vnc",
          "query-spice");

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ADDR", description = "The QMP monitor to connect to.")
  String address;

  @Option(names = "--json", description = "Every reply as one JSON object keyed by command.")
  boolean json;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Map<String, JsonNode> r = new LinkedHashMap<>();
    try (QmpClient client = Cli.connect("vm-info", address)) {
      Map<String, CompletableFuture<JsonNode>> pending = new LinkedHashMap<>();
      for (String q : QUERIES) {
        pending.put(q, client.executeAsync(q));
      }
      for (Map.Entry<String, CompletableFuture<JsonNode>> e : pending.entrySet()) {
        try {
          r.put(e.getKey(), e.getValue().join());
        } catch (RuntimeException unsupported) {
          // Not supported by this peer (CommandNotFound), or not active (DeviceNotActive): left
          // out.
        }
      }
      if (client.greeting().isPresent() && !r.containsKey("query-version")) {
        r.put("query-version", client.greeting().get().json().path("QMP").path("version"));
      }
    }
    if (json) {
      ObjectNode all = QmpJson.objectNode();
      r.forEach(all::set);
      out.println(Cli.json(all, Cli.pretty(null, null)));
    } else {
      for (String line : summary(r)) {
        out.println(line);
      }
    }
    out.flush();
    return Main.EXIT_OK;
  }

  /** The human summary of the replies (missing ones are left out). */
  static List<String> summary(Map<String, JsonNode> r) {
    List<String> lines = new ArrayList<>();
    JsonNode name = r.get("query-name");
    JsonNode uuid = r.get("query-uuid");
    String n = name != null && name.has("name") ? name.get("name").asText() : "(no name)";
    if (uuid != null && uuid.has("UUID")) {
      n += "  uuid " + uuid.get("UUID").asText();
    }
    lines.add(row("Name", n));
    JsonNode v = r.get("query-version");
    if (v != null) {
      JsonNode q = v.path("qemu");
      String ver =
          q.path("major").asText()
              + "."
              + q.path("minor").asText()
              + "."
              + q.path("micro").asText();
      String pkg = v.path("package").asText("").strip();
      lines.add(row("QEMU", ver + (pkg.isEmpty() ? "" : " (" + pkg + ")")));
    }
    JsonNode machine = r.get("query-current-machine");
    JsonNode target = r.get("query-target");
    if (machine != null || target != null) {
      List<String> parts = new ArrayList<>();
      if (target != null) {
        parts.add(target.path("arch").asText());
      }
      if (machine != null && machine.has("wakeup-suspend-support")) {
        parts.add(
            "suspend-to-RAM wakeup "
                + (machine.path("wakeup-suspend-support").asBoolean()
                    ? "supported"
                    : "not supported"));
      }
      lines.add(row("Machine", String.join(", ", parts)));
    }
    JsonNode st = r.get("query-status");
    if (st != null) {
      lines.add(row("State", st.path("status").asText()));
    }
    JsonNode kvm = r.get("query-kvm");
    if (kvm != null) {
      lines.add(
          row(
              "KVM",
              (kvm.path("enabled").asBoolean() ? "enabled" : "disabled")
                  + (kvm.path("present").asBoolean() ? "" : " (not available on the host)")));
    }
    JsonNode cpus = r.get("query-cpus-fast");
    if (cpus != null && cpus.isArray()) {
      String type = cpus.size() > 0 ? cpus.get(0).path("target").asText("") : "";
      lines.add(row("CPUs", cpus.size() + (type.isEmpty() ? "" : " (" + type + ")")));
    }
    JsonNode mem = r.get("query-memory-size-summary");
    JsonNode balloon = r.get("query-balloon");
    if (mem != null || balloon != null) {
      String m = mem != null ? size(mem.path("base-memory").asLong()) : "";
      if (balloon != null) {
        m += (m.isEmpty() ? "" : ", ") + "balloon " + size(balloon.path("actual").asLong());
      }
      lines.add(row("Memory", m));
    }
    JsonNode block = r.get("query-block");
    if (block != null && block.isArray()) {
      lines.add(row("Block", block.size() == 0 ? "no devices" : block.size() + " devices"));
      for (JsonNode d : block) {
        StringBuilder s = new StringBuilder("  ").append(d.path("device").asText());
        if (d.hasNonNull("qdev")) {
          s.append(" (").append(deviceId(d.get("qdev").asText())).append(')');
        }
        JsonNode ins = d.get("inserted");
        if (ins != null) {
          s.append(": ").append(ins.path("file").asText());
          s.append(" [").append(ins.path("drv").asText());
          if (ins.path("ro").asBoolean()) {
            s.append(", read-only");
          }
          JsonNode img = ins.path("image");
          if (img.has("virtual-size")) {
            s.append(", ").append(size(img.get("virtual-size").asLong()));
          }
          s.append(']');
        } else {
          s.append(": no medium");
        }
        if (d.path("removable").asBoolean()) {
          s.append(", removable");
          if (d.has("tray_open")) {
            s.append(d.get("tray_open").asBoolean() ? ", tray open" : ", tray closed");
          }
          if (d.path("locked").asBoolean()) {
            s.append(", locked");
          }
        }
        lines.add(s.toString());
      }
    }
    JsonNode jobs = r.get("query-jobs");
    if (jobs != null && jobs.isArray()) {
      lines.add(row("Jobs", jobs.size() == 0 ? "none" : jobs.size() + ""));
      for (JsonNode j : jobs) {
        long total = j.path("total-progress").asLong();
        long cur = j.path("current-progress").asLong();
        lines.add(
            "  "
                + j.path("id").asText()
                + " "
                + j.path("type").asText()
                + " "
                + j.path("status").asText()
                + (total > 0 ? " " + (cur * 100 / total) + "%" : "")
                + (j.hasNonNull("error") ? " error: " + j.get("error").asText() : ""));
      }
    }
    JsonNode mig = r.get("query-migrate");
    if (mig != null) {
      String status = mig.path("status").asText("");
      String m = status.isEmpty() ? "none" : status;
      JsonNode ram = mig.path("ram");
      if (ram.has("total") && ram.path("total").asLong() > 0) {
        m +=
            ", "
                + (ram.path("transferred").asLong() * 100 / ram.path("total").asLong())
                + "% of RAM sent";
      }
      if (mig.has("error-desc")) {
        m += ": " + mig.get("error-desc").asText();
      }
      lines.add(row("Migration", m));
    }
    List<String> display = new ArrayList<>();
    JsonNode vnc = r.get("query-vnc");
    if (vnc != null) {
      display.add(
          vnc.path("enabled").asBoolean()
              ? "VNC on "
                  + vnc.path("host").asText()
                  + ":"
                  + vnc.path("service").asText()
                  + ", "
                  + vnc.path("clients").size()
                  + " clients"
              : "VNC off");
    }
    JsonNode spice = r.get("query-spice");
    if (spice != null) {
      display.add(
          spice.path("enabled").asBoolean()
              ? "SPICE on port "
                  + spice.path("port").asText()
                  + ", "
                  + spice.path("channels").size()
                  + " channels"
              : "SPICE off");
    }
    if (!display.isEmpty()) {
      lines.add(row("Display", String.join("; ", display)));
    }
    return lines;
  }

  /** The device's id for a QOM path such as /machine/peripheral/disk0dev/virtio-backend. */
  static String deviceId(String qdev) {
    String prefix = "/machine/peripheral/";
    if (qdev.startsWith(prefix)) {
      String rest = qdev.substring(prefix.length());
      int slash = rest.indexOf('/');
      return slash < 0 ? rest : rest.substring(0, slash);
    }
    return qdev;
  }

  private static String row(String label, String value) {
    return String.format("%-10s %s", label + ":", value);
  }

  static String size(long bytes) {
    if (bytes >= (1L << 30) && bytes % (1L << 30) == 0) {
      return (bytes >> 30) + " GiB";
    }
    if (bytes >= (1L << 20)) {
      return (bytes >> 20) + " MiB";
    }
    return bytes + " bytes";
  }
}
