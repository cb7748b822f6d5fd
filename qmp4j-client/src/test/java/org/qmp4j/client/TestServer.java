package org.qmp4j.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.server.MonitorOptions;
import org.qmp4j.server.QmpServer;
import org.qmp4j.transport.QmpAddress;

/**
 * A qmp4j server with a few test commands on a unix socket: echo, sleep (on a worker), fail,
 * device_del (emits DEVICE_DELETED), stop (emits STOP), emit (N TICK events), big (a reply of a
 * given size), ping-oob (allow-oob). Public for the tests of the internal package.
 */
public final class TestServer implements AutoCloseable {
  final QmpServer server;
  final Path socket;
  private final AutoCloseable listener;

  private TestServer(QmpServer server, Path socket, AutoCloseable listener) {
    this.server = server;
    this.socket = socket;
    this.listener = listener;
  }

  public QmpAddress address() {
    return QmpAddress.unix(socket);
  }

  public static QmpServer.Builder builder() {
    return QmpServer.newBuilder()
        .schema(
            QmpServer.controlSchema(
                s ->
                    s.object("EchoArgs", o -> o.member("value", "int"))
                        .object("EchoResult", o -> o.member("value", "int"))
                        .command("echo", c -> c.args("EchoArgs").returns("EchoResult"))
                        .command("sleep", c -> c.args(o -> o.member("ms", "int")))
                        .command("fail", c -> {})
                        .command("device_del", c -> c.args(o -> o.member("id", "str")))
                        .command("stop", c -> {})
                        .command(
                            "emit",
                            c -> c.args(o -> o.member("count", "int").optional("name", "str")))
                        .object("BigResult", o -> o.member("data", "str"))
                        .command(
                            "big", c -> c.args(o -> o.member("size", "int")).returns("BigResult"))
                        .command("ping-oob", c -> c.allowOob())
                        .event("STOP", (String) null)
                        .event(
                            "DEVICE_DELETED",
                            e -> e.data(o -> o.optional("device", "str").member("path", "str")))
                        .event("TICK", e -> e.data(o -> o.member("n", "int")))
                        .event("TOCK", e -> e.data(o -> o.member("n", "int")))))
        .commandInline(
            "echo",
            (ctx, args) -> {
              ObjectNode r = QmpJson.objectNode();
              r.set("value", args.get("value"));
              return r;
            })
        .command(
            "sleep",
            (ctx, args) -> {
              Thread.sleep(args.get("ms").asLong());
              return null;
            })
        .commandInline(
            "fail",
            (ctx, args) -> {
              throw new QmpErrorException.DeviceNotFoundException(
                  "Device 'nope' not found", null, null);
            })
        .commandInline(
            "device_del",
            (ctx, args) -> {
              String id = args.get("id").asText();
              ObjectNode data = QmpJson.objectNode();
              data.put("device", id);
              data.put("path", "/machine/peripheral/" + id);
              ctx.server().emit("DEVICE_DELETED", data);
              return null;
            })
        .commandInline(
            "stop",
            (ctx, args) -> {
              ctx.server().emit("STOP", null);
              return null;
            })
        .commandInline(
            "emit",
            (ctx, args) -> {
              int n = args.get("count").asInt();
              String name = args.has("name") ? args.get("name").asText() : "TICK";
              for (int i = 0; i < n; i++) {
                ObjectNode data = QmpJson.objectNode();
                data.put("n", i);
                ctx.server().emit(name, data);
              }
              return null;
            })
        .commandInline(
            "big",
            (ctx, args) -> {
              ObjectNode r = QmpJson.objectNode();
              r.put("data", "x".repeat(args.get("size").asInt()));
              return r;
            })
        .commandInline("ping-oob", (ctx, args) -> null);
  }

  public static TestServer start(Path dir) {
    return start(dir, builder().build(), MonitorOptions.DEFAULT);
  }

  public static TestServer start(Path dir, QmpServer server, MonitorOptions options) {
    try {
      Path sock = Files.createTempFile(dir, "qmp", ".sock");
      Files.delete(sock);
      ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      ch.bind(UnixDomainSocketAddress.of(sock));
      AutoCloseable l = server.listen(ch, options, sock);
      return new TestServer(server, sock, l);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws Exception {
    listener.close();
    server.close();
  }
}
