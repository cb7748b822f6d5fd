package org.qmp4j.sim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.qmp4j.schema.QapiSchema;
import org.qmp4j.server.CommandHandler;
import org.qmp4j.server.QmpServer;

/** The simulator's commands: which QEMU commands and events it offers, and their handlers. */
public final class Commands {
  /** The prefix of the simulator's own commands (qmp-spec section 6 downstream naming). */
  public static final String PREFIX = "__org.qmp4j_";

  /** QEMU 7.2 commands the simulator implements. */
  public static final List<String> QEMU_COMMANDS =
      List.of(
          // control
          "qmp_capabilities",
          "query-version",
          "query-commands",
          "query-qmp-schema",
          // run state
          "query-status",
          "stop",
          "cont",
          "system_reset",
          "system_powerdown",
          "system_wakeup",
          "quit",
          "set-action",
          "watchdog-set-action",
          "query-current-machine",
          // identity
          "query-name",
          "query-uuid",
          "query-kvm",
          "query-machines",
          "query-cpus-fast",
          "query-hotpluggable-cpus",
          "query-target",
          // block
          "query-block",
          "eject",
          "blockdev-open-tray",
          "blockdev-close-tray",
          "blockdev-change-medium",
          "blockdev-remove-medium",
          "blockdev-insert-medium",
          "blockdev-add",
          "blockdev-del",
          "block-stream",
          "block-commit",
          "drive-mirror",
          "blockdev-mirror",
          "drive-backup",
          "query-block-jobs",
          "query-jobs",
          "block-job-set-speed",
          "block-job-pause",
          "block-job-resume",
          "block-job-cancel",
          "block-job-complete",
          "block-job-dismiss",
          "block-job-finalize",
          "job-pause",
          "job-resume",
          "job-cancel",
          "job-complete",
          "job-dismiss",
          "job-finalize",
          // devices
          "device_add",
          "device_del",
          "qom-list",
          "query-pci",
          "query-rx-filter",
          "query-memory-devices",
          "query-memory-size-summary",
          "object-add",
          "object-del",
          "query-acpi-ospm-status",
          "balloon",
          "query-balloon",
          "query-chardev",
          // migration
          "migrate",
          "migrate_cancel",
          "query-migrate",
          "migrate-set-capabilities",
          "query-migrate-capabilities",
          "migrate-set-parameters",
          "query-migrate-parameters",
          // display
          "query-vnc",
          "query-spice",
          // HMP
          "human-monitor-command");

  /** QEMU 7.2 events the simulator can emit. */
  public static final List<String> QEMU_EVENTS =
      List.of(
          "SHUTDOWN",
          "POWERDOWN",
          "RESET",
          "STOP",
          "RESUME",
          "SUSPEND",
          "SUSPEND_DISK",
          "WAKEUP",
          "WATCHDOG",
          "GUEST_PANICKED",
          "GUEST_CRASHLOADED",
          "MEMORY_FAILURE",
          "DEVICE_TRAY_MOVED",
          "BLOCK_IMAGE_CORRUPTED",
          "BLOCK_IO_ERROR",
          "BLOCK_JOB_COMPLETED",
          "BLOCK_JOB_CANCELLED",
          "BLOCK_JOB_ERROR",
          "BLOCK_JOB_READY",
          "BLOCK_JOB_PENDING",
          "QUORUM_FAILURE",
          "QUORUM_REPORT_BAD",
          "JOB_STATUS_CHANGE",
          "VSERPORT_CHANGE",
          "NIC_RX_FILTER_CHANGED",
          "SPICE_CONNECTED",
          "SPICE_INITIALIZED",
          "SPICE_DISCONNECTED",
          "SPICE_MIGRATE_COMPLETED",
          "VNC_CONNECTED",
          "VNC_INITIALIZED",
          "VNC_DISCONNECTED",
          "MIGRATION",
          "MIGRATION_PASS",
          "DEVICE_DELETED",
          "BALLOON_CHANGE",
          "MEMORY_DEVICE_SIZE_CHANGE",
          "MEM_UNPLUG_ERROR",
          "RTC_CHANGE",
          "ACPI_DEVICE_OST");

  private static volatile QapiSchema schema;

  private Commands() {}

  /** The simulator's schema: QEMU's declarations of what it implements, then its extensions. */
  public static QapiSchema schema() {
    QapiSchema s = schema;
    if (s == null) {
      s =
          SimSchema.build(
              new LinkedHashSet<>(QEMU_COMMANDS),
              new LinkedHashSet<>(QEMU_EVENTS),
              Commands::declareExtensions);
      schema = s;
    }
    return s;
  }

  private static void declareExtensions(QapiSchema.Builder b) {
    for (String happening :
        List.of(
            "guest-shutdown",
            "guest-reset",
            "guest-panic",
            "guest-crashloaded",
            "guest-suspend",
            "guest-suspend-disk",
            "guest-wakeup",
            "watchdog-expire",
            "spice-migrate-completed")) {
      b.command(PREFIX + happening, c -> {});
    }
    b.command(PREFIX + "rtc-change", c -> c.args(o -> o.member("offset", "int")));
    b.command(
        PREFIX + "io-error",
        c ->
            c.args(
                o ->
                    o.member("device", "str")
                        .member("operation", "IoOperationType")
                        .optional("nospace", "bool")));
    b.command(
        PREFIX + "image-corrupted",
        c ->
            c.args(
                o ->
                    o.member("device", "str")
                        .member("msg", "str")
                        .optional("offset", "int")
                        .optional("size", "int")
                        .optional("fatal", "bool")));
    b.command(
        PREFIX + "quorum-failure",
        c ->
            c.args(
                o ->
                    o.member("reference", "str")
                        .member("sector-num", "int")
                        .member("sectors-count", "int")));
    b.command(
        PREFIX + "quorum-report-bad",
        c ->
            c.args(
                o ->
                    o.member("type", "QuorumOpType")
                        .member("node-name", "str")
                        .member("sector-num", "int")
                        .member("sectors-count", "int")
                        .optional("error", "str")));
    b.command(
        PREFIX + "block-job-error",
        c ->
            c.args(
                o ->
                    o.member("device", "str")
                        .member("operation", "IoOperationType")
                        .optional("action", "BlockErrorAction")));
    b.command(
        PREFIX + "acpi-ost",
        c ->
            c.args(
                o ->
                    o.optional("device", "str")
                        .member("slot", "str")
                        .member("slot-type", "ACPISlotType")
                        .member("source", "int")
                        .member("status", "int")));
    b.command(
        PREFIX + "mem-unplug-error",
        c -> c.args(o -> o.member("device", "str").member("msg", "str")));
    b.command(PREFIX + "nic-rx-filter-change", c -> c.args(o -> o.member("id", "str")));
    b.command(PREFIX + "device-unplug-ack", c -> c.args(o -> o.member("id", "str")));
    b.command(
        PREFIX + "vserport-change", c -> c.args(o -> o.member("id", "str").member("open", "bool")));
    for (String client : List.of("vnc-connect", "vnc-disconnect")) {
      b.command(
          PREFIX + client, c -> c.args(o -> o.optional("host", "str").optional("service", "str")));
    }
    for (String client : List.of("spice-connect", "spice-disconnect")) {
      b.command(
          PREFIX + client, c -> c.args(o -> o.optional("host", "str").optional("port", "str")));
    }
    b.command(
        PREFIX + "memory-failure",
        c ->
            c.args(
                o ->
                    o.member("recipient", "MemoryFailureRecipient")
                        .member("action", "MemoryFailureAction")
                        .optional("recursive", "bool")));
  }

  // -----------------------------------------------------------------------------------------------
  // Handlers

  /** Registers every handler on {@code b}; each runs on the I/O thread under the machine's lock. */
  public static void register(QmpServer.Builder b, Machine m) {
    Hmp hmp = new Hmp(m, m.config().version());
    Block block = m.block;
    Jobs jobs = block.jobs();
    Devices dev = m.devices;
    Migration mig = m.migration;
    Display disp = m.display;
    Registrar r = new Registrar(b, m);

    // run state
    r.on("query-status", a -> m.queryStatus());
    r.run("stop", a -> m.stop());
    r.run("cont", a -> m.cont());
    r.run("system_reset", a -> m.systemReset());
    r.run("system_powerdown", a -> m.systemPowerdown());
    r.run("system_wakeup", a -> m.systemWakeup());
    r.run("quit", a -> m.quit());
    r.run("set-action", m::setAction);
    r.run("watchdog-set-action", a -> m.watchdogSetAction(a.get("action").asText()));
    r.on("query-current-machine", a -> Json.obj("wakeup-suspend-support", true));

    // identity
    r.on(
        "query-name",
        a -> m.config().name() == null ? Json.obj() : Json.obj("name", m.config().name()));
    r.on("query-uuid", a -> Json.obj("UUID", m.config().uuid().toString()));
    r.on("query-kvm", a -> Json.obj("enabled", m.config().kvm(), "present", true));
    r.on("query-target", a -> Json.obj("arch", "x86_64"));
    ArrayNode machines = resource("query-machines.json");
    r.on("query-machines", a -> machines.deepCopy());
    r.on("query-cpus-fast", a -> cpus(m, false));
    r.on("query-hotpluggable-cpus", a -> cpus(m, true));

    // block
    r.on("query-block", a -> block.queryBlock());
    r.run("eject", block::eject);
    r.run("blockdev-open-tray", block::openTray);
    r.run("blockdev-close-tray", block::closeTray);
    r.run("blockdev-change-medium", block::changeMedium);
    r.run("blockdev-remove-medium", block::removeMedium);
    r.run("blockdev-insert-medium", block::insertMedium);
    r.run("blockdev-add", block::blockdevAdd);
    r.run("blockdev-del", block::blockdevDel);
    r.run("block-stream", a -> jobs.start("stream", a));
    r.run("block-commit", a -> jobs.start("commit", a));
    r.run("drive-mirror", a -> jobs.start("mirror", a));
    r.run("blockdev-mirror", a -> jobs.start("blockdev-mirror", a));
    r.run("drive-backup", a -> jobs.start("backup", a));
    r.on("query-block-jobs", a -> jobs.queryBlockJobs());
    r.on("query-jobs", a -> jobs.queryJobs());
    r.run("block-job-set-speed", a -> jobs.setSpeed(dev(a), a.get("speed").asLong()));
    r.run("block-job-pause", a -> jobs.pause(dev(a), false));
    r.run("block-job-resume", a -> jobs.resume(dev(a), false));
    r.run("block-job-cancel", a -> jobs.cancel(dev(a), Json.bool(a, "force", false), false));
    r.run("block-job-complete", a -> jobs.complete(dev(a), false));
    r.run("block-job-dismiss", a -> jobs.dismissCommand(Json.str(a, "id", ""), false));
    r.run("block-job-finalize", a -> jobs.finalizeCommand(Json.str(a, "id", ""), false));
    r.run("job-pause", a -> jobs.pause(id(a), true));
    r.run("job-resume", a -> jobs.resume(id(a), true));
    r.run("job-cancel", a -> jobs.cancel(id(a), true, true));
    r.run("job-complete", a -> jobs.complete(id(a), true));
    r.run("job-dismiss", a -> jobs.dismissCommand(id(a), true));
    r.run("job-finalize", a -> jobs.finalizeCommand(id(a), true));

    // devices
    r.run(
        "device_add",
        a -> {
          if (!a.hasNonNull("driver")) {
            throw Machine.error("Parameter 'driver' is missing");
          }
          dev.deviceAdd(a);
        });
    r.run("device_del", a -> dev.deviceDel(id(a)));
    r.on(
        "qom-list",
        a -> {
          ArrayNode chardevs = m.chardevs.qomList(a.get("path").asText());
          return chardevs != null ? chardevs : dev.qomList(a.get("path").asText());
        });
    r.on("query-chardev", a -> m.chardevs.query());
    r.on("query-pci", a -> dev.queryPci());
    r.on("query-rx-filter", a -> dev.queryRxFilter(Json.str(a, "name", null)));
    r.on("query-memory-devices", a -> dev.memory.queryMemoryDevices());
    r.on("query-memory-size-summary", a -> dev.memory.querySizeSummary());
    r.run("object-add", a -> dev.memory.objectAdd(a));
    r.run("object-del", a -> dev.memory.objectDel(id(a)));
    r.on("query-acpi-ospm-status", a -> dev.memory.queryAcpiOspmStatus());
    r.run("balloon", a -> dev.balloon(a.get("value").asLong()));
    r.on("query-balloon", a -> dev.queryBalloon());

    // migration
    r.run("migrate", mig::migrate);
    r.run("migrate_cancel", a -> mig.cancel());
    r.on("query-migrate", a -> mig.query());
    r.run("migrate-set-capabilities", a -> mig.setCapabilities(a.get("capabilities")));
    r.on("query-migrate-capabilities", a -> mig.queryCapabilities());
    r.run("migrate-set-parameters", mig::setParameters);
    r.on("query-migrate-parameters", a -> mig.queryParameters());

    // display
    r.on("query-vnc", a -> disp.queryVnc());
    r.on("query-spice", a -> disp.querySpice());

    // HMP
    r.on(
        "human-monitor-command",
        a -> Json.NODES.textNode(hmp.execute(a.get("command-line").asText())));

    // the guest and the world around the machine
    r.run(PREFIX + "guest-shutdown", a -> m.guestShutdown());
    r.run(PREFIX + "guest-reset", a -> m.guestReset());
    r.run(PREFIX + "guest-panic", a -> m.guestPanic(null));
    r.run(PREFIX + "guest-crashloaded", a -> m.guestCrashloaded());
    r.run(PREFIX + "guest-suspend", a -> m.guestSuspend());
    r.run(PREFIX + "guest-suspend-disk", a -> m.guestSuspendToDisk());
    r.run(PREFIX + "guest-wakeup", a -> m.guestWakeup());
    r.run(PREFIX + "watchdog-expire", a -> m.watchdogExpire());
    r.run(PREFIX + "rtc-change", a -> m.rtcChange(a.get("offset").asLong()));
    r.run(
        PREFIX + "io-error",
        a ->
            block.ioError(
                a.get("device").asText(),
                a.get("operation").asText(),
                Json.bool(a, "nospace", false)));
    r.run(
        PREFIX + "image-corrupted",
        a ->
            block.imageCorrupted(
                a.get("device").asText(),
                a.get("msg").asText(),
                a.has("offset") ? a.get("offset").asLong() : null,
                a.has("size") ? a.get("size").asLong() : null,
                Json.bool(a, "fatal", false)));
    r.run(
        PREFIX + "quorum-failure",
        a ->
            block.quorumFailure(
                a.get("reference").asText(),
                a.get("sector-num").asLong(),
                a.get("sectors-count").asLong()));
    r.run(
        PREFIX + "quorum-report-bad",
        a ->
            block.quorumReportBad(
                a.get("type").asText(),
                a.get("node-name").asText(),
                a.get("sector-num").asLong(),
                a.get("sectors-count").asLong(),
                Json.str(a, "error", null)));
    r.run(
        PREFIX + "block-job-error",
        a ->
            jobs.error(
                a.get("device").asText(),
                a.get("operation").asText(),
                Json.str(a, "action", "report")));
    r.run(
        PREFIX + "acpi-ost",
        a ->
            dev.acpiOst(
                Json.str(a, "device", null),
                a.get("slot").asText(),
                a.get("slot-type").asText(),
                a.get("source").asLong(),
                a.get("status").asLong()));
    r.run(
        PREFIX + "mem-unplug-error",
        a -> dev.memUnplugError(a.get("device").asText(), a.get("msg").asText()));
    r.run(PREFIX + "nic-rx-filter-change", a -> dev.rxFilterChanged(id(a)));
    r.run(PREFIX + "device-unplug-ack", a -> dev.acknowledgeUnplug(id(a)));
    r.run(PREFIX + "vserport-change", a -> dev.vserportChange(id(a), a.get("open").asBoolean()));
    r.run(
        PREFIX + "vnc-connect",
        a -> disp.vncConnect(Json.str(a, "host", "127.0.0.1"), Json.str(a, "service", "51234")));
    r.run(
        PREFIX + "vnc-disconnect",
        a -> disp.vncDisconnect(Json.str(a, "host", "127.0.0.1"), Json.str(a, "service", "51234")));
    r.run(
        PREFIX + "spice-connect",
        a -> disp.spiceConnect(Json.str(a, "host", "127.0.0.1"), Json.str(a, "port", "51235")));
    r.run(
        PREFIX + "spice-disconnect",
        a -> disp.spiceDisconnect(Json.str(a, "host", "127.0.0.1"), Json.str(a, "port", "51235")));
    r.run(PREFIX + "spice-migrate-completed", a -> disp.spiceMigrateCompleted());
    r.run(
        PREFIX + "memory-failure",
        a ->
            m.memoryFailure(
                a.get("recipient").asText(),
                a.get("action").asText(),
                Json.bool(a, "recursive", false)));
  }

  private static String dev(JsonNode a) {
    return a.get("device").asText();
  }

  private static String id(JsonNode a) {
    return a.get("id").asText();
  }

  private static ArrayNode cpus(Machine m, boolean hotpluggable) {
    ArrayNode out = Json.arr();
    for (int i = 0; i < m.config().cpus(); i++) {
      ObjectNode props = Json.obj("core-id", 0, "thread-id", 0, "socket-id", i);
      String path = "/machine/unattached/device[" + i + "]";
      if (hotpluggable) {
        out.add(
            Json.obj(
                "props", props, "vcpus-count", 1, "qom-path", path, "type", "qemu64-x86_64-cpu"));
      } else {
        out.add(
            Json.obj(
                "thread-id",
                (int) ProcessHandle.current().pid() + i + 1,
                "props",
                props,
                "qom-path",
                path,
                "cpu-index",
                i,
                "target",
                "x86_64"));
      }
    }
    return out;
  }

  private static ArrayNode resource(String name) {
    try (InputStream in = Commands.class.getResourceAsStream("/org/qmp4j/sim/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return (ArrayNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A handler body that returns a value. */
  @FunctionalInterface
  interface Query {
    JsonNode apply(ObjectNode args);
  }

  /** A handler body without a return value. */
  @FunctionalInterface
  interface Action {
    void apply(ObjectNode args);
  }

  private static final class Registrar {
    private final QmpServer.Builder b;
    private final Machine m;
    private final Set<String> done = new LinkedHashSet<>();

    Registrar(QmpServer.Builder b, Machine m) {
      this.b = b;
      this.m = m;
    }

    void on(String name, Query q) {
      CommandHandler h = (ctx, args) -> m.inCommand(ctx, () -> q.apply(args));
      register(name, h);
    }

    void run(String name, Action a) {
      on(
          name,
          args -> {
            a.apply(args);
            return null;
          });
    }

    private void register(String name, CommandHandler h) {
      if (!done.add(name)) {
        throw new IllegalStateException(name + " registered twice");
      }
      b.commandInline(name, h);
    }
  }
}
