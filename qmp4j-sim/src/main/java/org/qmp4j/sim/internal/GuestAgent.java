package org.qmp4j.sim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.protocol.QmpVersion;
import org.qmp4j.server.QmpServer;
import org.qmp4j.sim.RunState;

/**
 * The simulated guest's qemu-ga 7.2: its commands over the guest's in-memory file system and
 * sandboxed programs, with qemu-ga's results and error texts. It lives in the guest, so it answers
 * only while the machine runs: a request that arrives while the machine is paused, suspended or not
 * yet started waits until the guest runs again. All state is guarded by this object's monitor.
 */
public final class GuestAgent {
  static final String KERNEL_RELEASE = "6.1.0-18-amd64";
  static final String KERNEL_VERSION = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)";

  /** qemu-ga keeps at most 16 MiB of a program's output per stream. */
  static final int EXEC_MAX_OUTPUT = 16 << 20;

  /** How long after {@code guest-shutdown} or {@code guest-suspend-*} the guest acts. */
  static final Duration GUEST_ACTION_DELAY = Duration.ofMillis(50);

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final Machine machine;
  private final String hostName;
  private final String version;
  private final GuestFileSystem files = new GuestFileSystem();
  private final Map<Long, Process> processes = new LinkedHashMap<>();
  private long nextPid = 1207;
  private boolean frozen;
  private long clockOffsetNanos;

  private record Process(
      long pid, boolean capture, GuestPrograms.Outcome outcome, long finishNanos) {}

  public GuestAgent(Machine machine) {
    this.machine = machine;
    MachineConfig c = machine.config();
    this.hostName = c.name() != null && !c.name().isEmpty() ? c.name() : "localhost";
    QmpVersion v = c.version();
    this.version = v.major() + "." + v.minor() + "." + v.micro();
    files.put("/etc/hostname", (hostName + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    files.put(
        "/etc/os-release",
        ("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
                + "VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\n"
                + "ID=debian\n")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** A server for the agent's channel (serve it with {@code MonitorOptions.GUEST_AGENT}). */
  public QmpServer newServer() {
    QmpServer.Builder b = QmpServer.newBuilder().schema(GuestAgentSchema.schema()).noThrottling();
    List<String> noReply = new ArrayList<>();
    for (GuestAgentSchema.Entry e : GuestAgentSchema.COMMANDS) {
      String name = e.name();
      b.commandAsync(name, (ctx, args) -> whenGuestRuns(() -> execute(name, args)));
      if (!e.successResponse()) {
        noReply.add(name);
      }
    }
    return b.noSuccessResponse(noReply.toArray(String[]::new)).build();
  }

  // -----------------------------------------------------------------------------------------------
  // The guest's files, for tests

  public synchronized void putFile(String path, byte[] content) {
    files.put(path, content);
  }

  /** The file's content, or {@code null} if there is no such file. */
  public synchronized byte[] file(String path) {
    try {
      return files.read(path);
    } catch (GuestFileSystem.Errno e) {
      return null;
    }
  }

  // -----------------------------------------------------------------------------------------------
  // Dispatch

  private interface Action {
    JsonNode run();
  }

  /** Runs {@code action} once the guest runs (at once if it does). */
  private CompletionStage<JsonNode> whenGuestRuns(Action action) {
    CompletableFuture<JsonNode> result = new CompletableFuture<>();
    attempt(action, result);
    return result;
  }

  private void attempt(Action action, CompletableFuture<JsonNode> result) {
    if (machine.state() == RunState.RUNNING) {
      try {
        result.complete(action.run());
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
      return;
    }
    if (machine.isTerminating()) {
      return; // the guest is gone: no answer, as from a dead agent
    }
    try {
      machine.schedule(machine.tick(), () -> attempt(action, result));
    } catch (RejectedExecutionException e) {
      // the machine ended meanwhile
    }
  }

  private synchronized JsonNode execute(String name, ObjectNode args) {
    GuestAgentSchema.Entry entry =
        GuestAgentSchema.COMMANDS.stream().filter(e -> e.name().equals(name)).findFirst().get();
    if (!entry.modelled()) {
      throw new QmpErrorException.CommandNotFoundException(
          "Command " + name + " has been disabled", null, name);
    }
    if (frozen && !GuestAgentSchema.ALLOWED_WHILE_FROZEN.contains(name)) {
      throw new QmpErrorException.CommandNotFoundException(
          "Command " + name + " has been disabled: the agent is in frozen state", null, name);
    }
    switch (name) {
      case "guest-sync":
      case "guest-sync-delimited":
        return args.get("id");
      case "guest-ping":
        return null;
      case "guest-info":
        return info();
      case "guest-get-time":
        return NODES.numberNode(nowNanos() + clockOffsetNanos);
      case "guest-set-time":
        clockOffsetNanos = args.has("time") ? args.get("time").asLong() - nowNanos() : 0;
        return null;
      case "guest-get-host-name":
        return Json.obj("host-name", hostName);
      case "guest-get-osinfo":
        return Json.obj(
            "name", "Debian GNU/Linux",
            "kernel-release", KERNEL_RELEASE,
            "version", "12 (bookworm)",
            "pretty-name", "Debian GNU/Linux 12 (bookworm)",
            "version-id", "12",
            "kernel-version", KERNEL_VERSION,
            "machine", "x86_64",
            "id", "debian");
      case "guest-get-timezone":
        return Json.obj("zone", "UTC", "offset", 0);
      case "guest-get-users":
        return NODES.arrayNode();
      case "guest-get-vcpus":
        return vcpus();
      case "guest-network-get-interfaces":
        return interfaces();
      case "guest-shutdown":
        return shutdown(args);
      case "guest-suspend-ram":
      case "guest-suspend-hybrid":
        guestAction(machine::guestSuspend);
        return null;
      case "guest-suspend-disk":
        guestAction(machine::guestSuspendToDisk);
        return null;
      case "guest-fsfreeze-status":
        return TextNode.valueOf(frozen ? "frozen" : "thawed");
      case "guest-fsfreeze-freeze":
        frozen = true;
        return NODES.numberNode(1);
      case "guest-fsfreeze-freeze-list":
        {
          int n = 1;
          if (args.has("mountpoints")) {
            n = 0;
            for (JsonNode m : args.get("mountpoints")) {
              if (m.asText().equals("/")) {
                n = 1;
              }
            }
          }
          frozen = true;
          return NODES.numberNode(n);
        }
      case "guest-fsfreeze-thaw":
        {
          int n = frozen ? 1 : 0;
          frozen = false;
          return NODES.numberNode(n);
        }
      case "guest-file-open":
        return NODES.numberNode(
            files.open(args.get("path").asText(), args.path("mode").asText("r")));
      case "guest-file-close":
        files.close(args.get("handle").asLong());
        return null;
      case "guest-file-flush":
        files.check(args.get("handle").asLong());
        return null;
      case "guest-file-read":
        return fileRead(args);
      case "guest-file-write":
        return fileWrite(args);
      case "guest-file-seek":
        return fileSeek(args);
      case "guest-exec":
        return exec(args);
      case "guest-exec-status":
        return execStatus(args.get("pid").asLong());
      default:
        throw new IllegalStateException("no handler for " + name);
    }
  }

  private static long nowNanos() {
    Instant now = Instant.now();
    // qemu-ga: g_get_real_time() (microseconds) * 1000
    return now.getEpochSecond() * 1_000_000_000L + now.getNano() / 1000 * 1000L;
  }

  private JsonNode info() {
    ArrayNode list = NODES.arrayNode();
    for (GuestAgentSchema.Entry e : GuestAgentSchema.COMMANDS) {
      boolean enabled =
          e.modelled() && !(frozen && !GuestAgentSchema.ALLOWED_WHILE_FROZEN.contains(e.name()));
      list.add(
          Json.obj("enabled", enabled, "name", e.name(), "success-response", e.successResponse()));
    }
    ObjectNode info = NODES.objectNode();
    info.put("version", version);
    info.set("supported_commands", list);
    return info;
  }

  private JsonNode vcpus() {
    ArrayNode list = NODES.arrayNode();
    // qemu-ga lists them last first; CPU 0 cannot go offline
    for (int i = machine.config().cpus() - 1; i >= 0; i--) {
      list.add(Json.obj("online", true, "can-offline", i != 0, "logical-id", i));
    }
    return list;
  }

  private JsonNode interfaces() {
    ArrayNode list = NODES.arrayNode();
    ObjectNode lo = Json.obj("name", "lo", "hardware-address", "00:00:00:00:00:00");
    ArrayNode loIps = lo.putArray("ip-addresses");
    loIps.add(ip("ipv4", "127.0.0.1", 8));
    loIps.add(ip("ipv6", "::1", 128));
    lo.set("statistics", statistics());
    list.add(lo);
    int n = 0;
    for (MachineConfig.DeviceSpec d : machine.config().devices()) {
      if (d.mac() == null) {
        continue;
      }
      ObjectNode nic = Json.obj("name", "eth" + n, "hardware-address", d.mac());
      ArrayNode ips = nic.putArray("ip-addresses");
      ips.add(ip("ipv4", "10.0.2." + (15 + n), 24));
      ips.add(ip("ipv6", linkLocal(d.mac()), 64));
      nic.set("statistics", statistics());
      list.add(nic);
      n++;
    }
    return list;
  }

  private static ObjectNode ip(String type, String address, int prefix) {
    return Json.obj("ip-address-type", type, "ip-address", address, "prefix", prefix);
  }

  private static ObjectNode statistics() {
    ObjectNode s = NODES.objectNode();
    for (String k :
        List.of(
            "rx-bytes",
            "rx-packets",
            "rx-errs",
            "rx-dropped",
            "tx-bytes",
            "tx-packets",
            "tx-errs",
            "tx-dropped")) {
      s.put(k, 0);
    }
    return s;
  }

  /** The EUI-64 link-local address of a MAC address. */
  private static String linkLocal(String mac) {
    String[] b = mac.split(":");
    if (b.length != 6) {
      return "fe80::1";
    }
    int b0 = Integer.parseInt(b[0], 16) ^ 0x02;
    return String.format(
        "fe80::%x:%x:%x:%x",
        b0 << 8 | Integer.parseInt(b[1], 16),
        Integer.parseInt(b[2], 16) << 8 | 0xff,
        0xfe00 | Integer.parseInt(b[3], 16),
        Integer.parseInt(b[4], 16) << 8 | Integer.parseInt(b[5], 16));
  }

  private JsonNode shutdown(ObjectNode args) {
    String mode = args.path("mode").asText("powerdown");
    switch (mode) {
      case "powerdown" -> guestAction(machine::guestShutdown);
      case "reboot" -> guestAction(machine::guestReset);
      case "halt" -> {
        // the guest halts without powering off: nothing QMP sees
      }
      default ->
          throw QmpErrorException.generic(
              "mode is invalid (valid values are: halt|powerdown|reboot");
    }
    return null;
  }

  /** What the guest does a moment after the agent asked for it (shutdown runs asynchronously). */
  private void guestAction(Runnable action) {
    try {
      machine.schedule(
          GUEST_ACTION_DELAY,
          () -> {
            try {
              action.run();
            } catch (QmpErrorException e) {
              // the guest stopped meanwhile
            }
          });
    } catch (RejectedExecutionException e) {
      // the machine ended meanwhile
    }
  }

  // -----------------------------------------------------------------------------------------------
  // guest-file-*

  private JsonNode fileRead(ObjectNode args) {
    long count =
        args.has("count") ? args.get("count").asLong() : GuestFileSystem.READ_COUNT_DEFAULT;
    GuestFileSystem.ReadResult r = files.read(args.get("handle").asLong(), count);
    return Json.obj(
        "count", r.data().length, "buf-b64", GuestBase64.encode(r.data()), "eof", r.eof());
  }

  private JsonNode fileWrite(ObjectNode args) {
    long handle = args.get("handle").asLong();
    files.check(handle);
    byte[] data = GuestBase64.decode(args.get("buf-b64").asText());
    long count = data.length;
    if (args.has("count")) {
      count = args.get("count").asLong();
      if (count < 0 || count > data.length) {
        throw QmpErrorException.generic("value '" + count + "' is invalid for argument count");
      }
    }
    int written = files.write(handle, data, (int) count);
    return Json.obj("count", written, "eof", false);
  }

  private JsonNode fileSeek(ObjectNode args) {
    long handle = args.get("handle").asLong();
    files.check(handle);
    JsonNode w = args.get("whence");
    long whence =
        w.isTextual()
            ? switch (w.asText()) {
              case "set" -> 0;
              case "cur" -> 1;
              default -> 2;
            }
            : w.asLong();
    if (whence < 0 || whence > 2) {
      throw QmpErrorException.generic("invalid whence code " + whence);
    }
    long position = files.seek(handle, args.get("offset").asLong(), (int) whence);
    return Json.obj("position", position, "eof", false);
  }

  // -----------------------------------------------------------------------------------------------
  // guest-exec

  private JsonNode exec(ObjectNode args) {
    String path = args.get("path").asText();
    byte[] input = null;
    if (args.has("input-data")) {
      input = GuestBase64.decode(args.get("input-data").asText());
    }
    String program = GuestPrograms.resolve(path);
    if (program == null) {
      throw QmpErrorException.generic(
          "Guest agent command failed, error was 'Failed to execute child process \u201c"
              + path
              + "\u201d (No such file or directory)'");
    }
    List<String> argv = new ArrayList<>();
    for (JsonNode a : args.path("arg")) {
      argv.add(a.asText());
    }
    List<String> env = new ArrayList<>();
    for (JsonNode e : args.path("env")) {
      env.add(e.asText());
    }
    long pid = nextPid;
    nextPid += 1 + (pid % 7); // pids as a busy guest hands them out
    GuestPrograms.Outcome outcome =
        GuestPrograms.run(
            program,
            argv,
            new GuestPrograms.Context(
                files, hostName, env, pid, input == null ? new byte[0] : input));
    boolean capture = args.path("capture-output").asBoolean(false);
    processes.put(
        pid, new Process(pid, capture, outcome, System.nanoTime() + outcome.runtime().toNanos()));
    return Json.obj("pid", pid);
  }

  private JsonNode execStatus(long pid) {
    Process p = processes.get(pid);
    if (p == null) {
      throw QmpErrorException.generic("Invalid parameter 'pid'");
    }
    ObjectNode status = NODES.objectNode();
    if (System.nanoTime() - p.finishNanos() < 0) {
      status.put("exited", false);
      return status;
    }
    processes.remove(pid);
    status.put("exited", true);
    GuestPrograms.Outcome o = p.outcome();
    if (o.exitCode() != null) {
      status.put("exitcode", o.exitCode());
    } else {
      status.put("signal", o.signal());
    }
    if (p.capture()) {
      output(status, "out", o.out());
      output(status, "err", o.err());
    }
    return status;
  }

  private static void output(ObjectNode status, String stream, byte[] data) {
    if (data.length == 0) {
      return;
    }
    boolean truncated = data.length > EXEC_MAX_OUTPUT;
    byte[] kept = truncated ? Arrays.copyOf(data, EXEC_MAX_OUTPUT) : data;
    status.put(stream + "-data", GuestBase64.encode(kept));
    status.put(stream + "-truncated", truncated);
  }
}
