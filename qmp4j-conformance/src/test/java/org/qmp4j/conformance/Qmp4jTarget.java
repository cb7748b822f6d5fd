package org.qmp4j.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.protocol.QmpVersion;
import org.qmp4j.schema.QapiSchema;
import org.qmp4j.server.CommandContext;
import org.qmp4j.server.MonitorOptions;
import org.qmp4j.server.QmpServer;

/**
 * A qmp4j server that declares QEMU's schema and version and answers the few commands the
 * transcripts run successfully the way QEMU 7.2 does with {@code -S -machine none -nodefaults}: the
 * run state ({@code query-status}, {@code stop} and {@code cont} with STOP and RESUME, {@code
 * system_reset} with RESET), yank instances (one per monitor chardev), and the fixed answers of a
 * few queries and of handlers that fail on such a machine. Everything else the server does itself
 * (greeting, negotiation, parsing, request checks, argument validation, OOB, introspection).
 *
 * <p>This is a test double of QEMU's machine, not the simulated machine (that is qmp4j-sim).
 */
final class Qmp4jTarget implements Target {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final QmpServer server;
  private final Path directory;
  private final Map<Transcript.Monitor, Path> sockets = new EnumMap<>(Transcript.Monitor.class);
  private volatile String runState = "prelaunch";

  private Qmp4jTarget(QapiSchema schema, QapiSchema introspection, QmpVersion version) {
    this.server =
        QmpServer.newBuilder()
            .schema(schema)
            .version(version)
            .serialInBand(true)
            .commandInline("query-qmp-schema", (ctx, args) -> introspection.toIntrospection())
            .commandInline("query-status", (ctx, args) -> status())
            .commandInline("stop", this::stop)
            .commandInline("cont", this::cont)
            .commandInline("system_reset", this::systemReset)
            .commandInline("quit", this::quit)
            .command("blockdev-add", Qmp4jTarget::blockdevAdd)
            .commandInline("query-name", (ctx, args) -> NODES.objectNode())
            .commandInline(
                "query-uuid",
                (ctx, args) ->
                    NODES.objectNode().put("UUID", "00000000-0000-0000-0000-000000000000"))
            .commandInline("query-iothreads", (ctx, args) -> NODES.arrayNode())
            .commandInline("query-block-jobs", (ctx, args) -> NODES.arrayNode())
            .commandInline("query-mice", (ctx, args) -> NODES.arrayNode())
            .commandInline("query-migrate", (ctx, args) -> NODES.objectNode())
            .commandInline(
                "query-replay",
                (ctx, args) -> NODES.objectNode().put("mode", "none").put("icount", 0))
            .commandInline("query-sev", (ctx, args) -> sev())
            .commandInline("query-yank", (ctx, args) -> yankInstances())
            .commandInline("yank", this::yank)
            .commandInline(
                "migrate-pause",
                (ctx, args) -> {
                  throw QmpErrorException.generic(
                      "migrate-pause is currently only supported during postcopy-active state");
                })
            .commandInline(
                "migrate-recover",
                (ctx, args) -> {
                  throw QmpErrorException.generic(
                      "Migrate recover can only be run when postcopy is paused.");
                })
            .commandInline(
                "query-balloon",
                (ctx, args) -> {
                  throw new QmpErrorException.DeviceNotActiveException(
                      "No balloon device has been activated", null, null);
                })
            .commandInline(
                "block-job-cancel",
                (ctx, args) -> {
                  throw new QmpErrorException.DeviceNotActiveException(
                      "Block job '" + args.get("device").asText() + "' not found", null, null);
                })
            .commandInline(
                "device_del",
                (ctx, args) -> {
                  throw new QmpErrorException.DeviceNotFoundException(
                      "Device '" + args.get("id").asText() + "' not found", null, null);
                })
            .build();
    try {
      this.directory = Files.createTempDirectory(Path.of("/tmp"), "qmp4j-conf");
      for (Transcript.Monitor m : Transcript.Monitor.values()) {
        Path sock = directory.resolve(m.id + ".sock");
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        // One client at a time per monitor, with QEMU's listen backlog of 1.
        ch.bind(UnixDomainSocketAddress.of(sock), 1);
        MonitorOptions options = m.pretty ? MonitorOptions.PRETTY : MonitorOptions.DEFAULT;
        server.listen(ch, options.withSingleClient(true), sock);
        sockets.put(m, sock);
      }
    } catch (IOException e) {
      server.close();
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A server with {@code schema} and {@code version}, listening on one socket per monitor.
   *
   * @param schema QEMU's schema with real type names and integer widths, which validation needs
   * @param introspection the same schema as QEMU reports it (masked), which {@code
   *     query-qmp-schema} answers from: QEMU numbers masked types counting uses its build compiled
   *     out, which leaves gaps the unmasked form does not record (see docs/conformance.md)
   */
  static Qmp4jTarget start(QapiSchema schema, QapiSchema introspection, QmpVersion version) {
    return new Qmp4jTarget(schema, introspection, version);
  }

  @Override
  public String name() {
    return "qmp4j";
  }

  @Override
  public Path socket(Transcript.Monitor monitor) {
    return sockets.get(monitor);
  }

  @Override
  public void close() {
    server.close();
    try {
      Files.deleteIfExists(directory);
    } catch (IOException e) {
      // a leftover empty directory in /tmp is harmless
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The machine: QEMU 7.2's run state with -S and no guest

  /**
   * StatusInfo with its members added in schema order, as QEMU's output visitor adds them: status
   * and singlestep share a hash bucket, so the order of insertion decides the order on the wire.
   */
  private ObjectNode status() {
    String s = runState;
    ObjectNode r = NODES.objectNode();
    r.put("running", s.equals("running"));
    r.put("singlestep", false);
    r.put("status", s);
    return r;
  }

  /** QEMU's qmp_stop: vm_stop(paused) changes state and emits STOP only when running. */
  private JsonNode stop(CommandContext ctx, ObjectNode args) {
    if (runState.equals("running")) {
      runState = "paused";
      ctx.server().emit("STOP", null);
    }
    return null;
  }

  /** QEMU's qmp_cont: vm_start() emits RESUME unless already running. */
  private JsonNode cont(CommandContext ctx, ObjectNode args) {
    if (!runState.equals("running")) {
      runState = "running";
      ctx.server().emit("RESUME", null);
    }
    return null;
  }

  /**
   * QEMU resets the machine and emits RESET; a machine that was not running goes back to prelaunch.
   * (QEMU does it from its main loop; on 7.2 the event still precedes the reply.)
   */
  private JsonNode systemReset(CommandContext ctx, ObjectNode args) {
    ObjectNode data = NODES.objectNode();
    data.put("guest", false);
    data.put("reason", "host-qmp-system-reset");
    ctx.server().emit("RESET", data);
    if (!runState.equals("running")) {
      runState = "prelaunch";
    }
    return null;
  }

  /**
   * QEMU's quit: SHUTDOWN, the reply, then the process exits, which closes every connection. Here
   * the server ends right behind the reply: each connection closes once its last byte is out.
   */
  private JsonNode quit(CommandContext ctx, ObjectNode args) {
    ObjectNode data = NODES.objectNode();
    data.put("guest", false);
    data.put("reason", "host-qmp-quit");
    ctx.server().emit("SHUTDOWN", data);
    ctx.closeServerAfterReply();
    return null;
  }

  /**
   * What QEMU's blockdev-add does for the transcripts: a blkdebug node reads its {@code config}
   * file first (a named pipe in the transcripts, so the command blocks until the pipe is released)
   * and then opens its image (null-co), which succeeds. Runs on a worker thread, as it blocks.
   */
  private static JsonNode blockdevAdd(CommandContext ctx, ObjectNode args) throws IOException {
    if (!args.path("driver").asText().equals("blkdebug") || !args.has("config")) {
      throw QmpErrorException.generic("conformance harness: only blkdebug with a config");
    }
    Files.readAllBytes(Path.of(args.get("config").asText()));
    return null;
  }

  /** SevInfo, members in schema order. */
  private static ObjectNode sev() {
    ObjectNode r = NODES.objectNode();
    r.put("enabled", false);
    r.put("api-major", 0);
    r.put("api-minor", 0);
    r.put("build-id", 0);
    r.put("policy", 0);
    r.put("state", "uninit");
    r.put("handle", 0);
    return r;
  }

  /** Every socket chardev registers a yank instance: one per monitor, in creation order. */
  private static ArrayNode yankInstances() {
    ArrayNode list = NODES.arrayNode();
    for (Transcript.Monitor m : Transcript.Monitor.values()) {
      list.addObject().put("type", "chardev").put("id", m.id);
    }
    return list;
  }

  /** QEMU's qmp_yank: every instance must exist first ("Instance not found"), then yanks them. */
  private JsonNode yank(CommandContext ctx, ObjectNode args) {
    ArrayNode known = yankInstances();
    for (JsonNode instance : args.path("instances")) {
      boolean found = false;
      for (JsonNode k : known) {
        if (k.equals(instance)) {
          found = true;
        }
      }
      if (!found) {
        throw new QmpErrorException.DeviceNotFoundException("Instance not found", null, null);
      }
    }
    if (!args.path("instances").isEmpty()) {
      throw QmpErrorException.generic("conformance harness: yanking a chardev is not modelled");
    }
    return null;
  }
}
