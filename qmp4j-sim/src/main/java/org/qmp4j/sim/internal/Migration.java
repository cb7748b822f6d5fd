package org.qmp4j.sim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import org.qmp4j.schema.SchemaType;
import org.qmp4j.sim.RunState;

/**
 * Outgoing migration to a simulated destination that accepts everything: setup, active passes,
 * completion (the source then stops in postmigrate), cancellation, capabilities and parameters.
 * Guarded by the machine's monitor.
 */
public final class Migration {
  private final Machine machine;
  private final Map<String, Boolean> capabilities = new LinkedHashMap<>();
  private final ObjectNode parameters;
  private String status; // null: never started
  private long transferred;
  private long total;
  private int pass;
  private long startMillis;
  private long totalTime;
  private ScheduledFuture<?> timer;

  Migration(Machine machine) {
    this.machine = machine;
    SchemaType t = Commands.schema().type("MigrationCapability").orElseThrow();
    for (SchemaType.EnumValue v : ((SchemaType.EnumType) t).values()) {
      capabilities.put(v.name(), false);
    }
    parameters =
        Json.obj(
            "cpu-throttle-tailslow", false,
            "xbzrle-cache-size", 67108864L,
            "cpu-throttle-initial", 20,
            "announce-max", 550,
            "decompress-threads", 2,
            "compress-threads", 8,
            "compress-level", 1,
            "multifd-channels", 2,
            "multifd-zstd-level", 1,
            "announce-initial", 50,
            "block-incremental", false,
            "compress-wait-thread", true,
            "downtime-limit", 300,
            "tls-authz", "",
            "multifd-compression", "none",
            "announce-rounds", 5,
            "announce-step", 100,
            "tls-creds", "",
            "multifd-zlib-level", 1,
            "max-cpu-throttle", 99,
            "max-postcopy-bandwidth", 0,
            "tls-hostname", "",
            "throttle-trigger-threshold", 50,
            "max-bandwidth", 134217728L,
            "x-checkpoint-delay", 20000,
            "cpu-throttle-increment", 10);
  }

  private boolean active() {
    return status != null
        && (status.equals("setup") || status.equals("active") || status.equals("cancelling"));
  }

  private void set(String s) {
    status = s;
    if (capabilities.get("events")) {
      machine.emit("MIGRATION", Json.obj("status", s));
    }
  }

  void migrate(JsonNode args) {
    String uri = Json.str(args, "uri", "");
    if (active()) {
      throw Machine.error("There's a migration process in progress");
    }
    if (!(uri.startsWith("tcp:")
        || uri.startsWith("unix:")
        || uri.startsWith("exec:")
        || uri.startsWith("fd:")
        || uri.startsWith("rdma:"))) {
      throw Machine.error("Parameter 'uri' expects a valid migration protocol");
    }
    total = machine.config().memoryBytes() + (7L << 20);
    transferred = 0;
    pass = 0;
    startMillis = System.currentTimeMillis();
    set("setup");
    arm();
  }

  private void arm() {
    timer =
        machine.schedule(
            machine.tick(),
            () -> {
              synchronized (machine) {
                step();
              }
            });
  }

  private void step() {
    if (status == null || !(status.equals("setup") || status.equals("active"))) {
      return;
    }
    if (status.equals("setup")) {
      passEvent();
      set("active");
      arm();
      return;
    }
    transferred = Math.min(total, transferred + total / 4);
    if (transferred < total) {
      passEvent();
      arm();
      return;
    }
    passEvent();
    boolean wasRunning = machine.state() == RunState.RUNNING;
    if (wasRunning) {
      machine.vmStop(RunState.FINISH_MIGRATE);
    } else {
      machine.setState(RunState.FINISH_MIGRATE);
    }
    totalTime = System.currentTimeMillis() - startMillis;
    set("completed");
    machine.setState(RunState.POSTMIGRATE);
  }

  private void passEvent() {
    pass++;
    if (capabilities.get("events")) {
      machine.emit("MIGRATION_PASS", Json.obj("pass", pass));
    }
  }

  void cancel() {
    if (!active()) {
      return;
    }
    if (timer != null) {
      timer.cancel(false);
    }
    set("cancelling");
    set("cancelled");
  }

  ObjectNode query() {
    if (status == null) {
      return Json.obj();
    }
    ObjectNode o = Json.obj("status", status);
    if (status.equals("setup")) {
      return o;
    }
    long elapsed =
        status.equals("completed") ? totalTime : System.currentTimeMillis() - startMillis;
    if (status.equals("completed")) {
      o.put("setup-time", 10);
      o.put("downtime", 65);
    } else if (status.equals("active")) {
      o.put("expected-downtime", 300);
      o.put("setup-time", 10);
    }
    o.put("total-time", elapsed);
    if (status.equals("active") || status.equals("completed")) {
      long pages = transferred / 4096;
      ObjectNode ram =
          Json.obj(
              "total", total,
              "postcopy-requests", 0,
              "dirty-sync-count", pass,
              "multifd-bytes", 0,
              "pages-per-second", 81081,
              "page-size", 4096,
              "remaining", total - transferred,
              "postcopy-bytes", 0,
              "mbps", 32.0,
              "transferred", transferred,
              "dirty-sync-missed-zero-copy", 0,
              "precopy-bytes", transferred,
              "duplicate", pages,
              "dirty-pages-rate", 0,
              "skipped", 0,
              "normal-bytes", 0,
              "normal", 0);
      if (status.equals("completed")) {
        ram.put("downtime-bytes", 0);
      }
      o.set("ram", ram);
    }
    return o;
  }

  void setCapabilities(JsonNode list) {
    if (active()) {
      throw Machine.error("There's a migration process in progress");
    }
    for (JsonNode c : list) {
      capabilities.put(c.get("capability").asText(), c.get("state").asBoolean());
    }
  }

  ArrayNode queryCapabilities() {
    ArrayNode out = Json.arr();
    capabilities.forEach((k, v) -> out.add(Json.obj("state", v, "capability", k)));
    return out;
  }

  void setParameters(ObjectNode args) {
    Iterator<Map.Entry<String, JsonNode>> it = args.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      if (v.isNull()) {
        v = Json.NODES.textNode("");
      }
      parameters.set(e.getKey(), v);
    }
  }

  ObjectNode queryParameters() {
    return parameters.deepCopy();
  }

  synchronized String status() {
    return status;
  }
}
