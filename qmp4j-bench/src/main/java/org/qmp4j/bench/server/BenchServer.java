package org.qmp4j.bench.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.qmp4j.server.MonitorOptions;
import org.qmp4j.server.QmpServer;

/**
 * A qmp4j server for end-to-end benchmarks, run in a JVM of its own: QEMU's control commands,
 * {@code query-status} (answered as QEMU {@code -S} answers it), and two downstream commands for
 * the harnesses: {@code __org.qmp4j_bench-heap} (heap in use after a GC) and {@code
 * __org.qmp4j_bench-emit} (emits {@code count} events {@code __org.qmp4j_BENCH_TICK} numbered from
 * 0).
 *
 * <pre>java -cp benchmarks.jar org.qmp4j.bench.server.BenchServer SOCKET_PATH</pre>
 */
public final class BenchServer {
  private BenchServer() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: BenchServer SOCKET_PATH");
      System.exit(2);
    }
    Path socket = Path.of(args[0]);
    Files.deleteIfExists(socket);
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    QmpServer[] self = new QmpServer[1];
    QmpServer server =
        QmpServer.newBuilder()
            .schema(
                QmpServer.controlSchema(
                    s ->
                        s.enumType(
                                "RunState",
                                "debug",
                                "inmigrate",
                                "internal-error",
                                "io-error",
                                "paused",
                                "postmigrate",
                                "prelaunch",
                                "finish-migrate",
                                "restore-vm",
                                "running",
                                "save-vm",
                                "shutdown",
                                "suspended",
                                "watchdog",
                                "guest-panicked",
                                "colo")
                            .object(
                                "StatusInfo",
                                o ->
                                    o.member("running", "bool")
                                        .member("singlestep", "bool")
                                        .member("status", "RunState"))
                            .command("query-status", c -> c.returns("StatusInfo"))
                            .object(
                                "__org.qmp4j_BenchHeap",
                                o -> o.member("used", "int").member("max", "int"))
                            .command(
                                "__org.qmp4j_bench-heap", c -> c.returns("__org.qmp4j_BenchHeap"))
                            .command(
                                "__org.qmp4j_bench-emit",
                                c -> c.args(o -> o.member("count", "int")))
                            .object("__org.qmp4j_BenchTick", o -> o.member("seq", "int"))
                            .event("__org.qmp4j_BENCH_TICK", "__org.qmp4j_BenchTick")))
            .commandInline(
                "query-status",
                (ctx, a) -> {
                  ObjectNode r = nodes.objectNode();
                  r.put("status", "prelaunch");
                  r.put("singlestep", false);
                  r.put("running", false);
                  return r;
                })
            .command(
                "__org.qmp4j_bench-heap",
                (ctx, a) -> {
                  for (int i = 0; i < 3; i++) {
                    System.gc();
                    Thread.sleep(100);
                  }
                  Runtime rt = Runtime.getRuntime();
                  ObjectNode r = nodes.objectNode();
                  r.put("used", rt.totalMemory() - rt.freeMemory());
                  r.put("max", rt.maxMemory());
                  return r;
                })
            .command(
                "__org.qmp4j_bench-emit",
                (ctx, a) -> {
                  int count = a.get("count").intValue();
                  for (int i = 0; i < count; i++) {
                    self[0].emit("__org.qmp4j_BENCH_TICK", nodes.objectNode().put("seq", i));
                  }
                  return null;
                })
            .build();
    self[0] = server;
    ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    channel.bind(UnixDomainSocketAddress.of(socket), 20_000);
    server.listen(channel, MonitorOptions.DEFAULT, socket);
    System.out.println("listening on unix:" + socket);
    Runtime.getRuntime().addShutdownHook(new Thread(server::close));
    new CountDownLatch(1).await();
  }
}
