package org.qmp4j.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.qmp4j.schema.QapiSchema;

/** What several server tests share: a small set of commands, and listening on a Unix socket. */
final class TestServers {
  private TestServers() {}

  /**
   * The schema of {@link #basicCommands}: {@code block}, {@code echo} (takes and returns {@code
   * value}, an int) and {@code ping-oob} (allows out-of-band execution).
   */
  static QapiSchema.Builder basicSchema(QapiSchema.Builder s) {
    return s.command("block", c -> {})
        .command("echo", c -> c.args(o -> o.member("value", "int")).returns("EchoResult"))
        .object("EchoResult", o -> o.member("value", "int"))
        .command("ping-oob", c -> c.allowOob());
  }

  /**
   * Adds the handlers of {@link #basicSchema}: {@code block} runs in the worker pool, counts {@code
   * blocked} down, waits up to 10 s for {@code release}, then counts {@code finished} down (if not
   * null); {@code echo} and {@code ping-oob} run inline.
   */
  static QmpServer.Builder basicCommands(
      QmpServer.Builder b,
      CountDownLatch blocked,
      CountDownLatch release,
      CountDownLatch finished) {
    return b.command(
            "block",
            (ctx, args) -> {
              blocked.countDown();
              release.await(10, TimeUnit.SECONDS);
              if (finished != null) {
                finished.countDown();
              }
              return null;
            })
        .commandInline(
            "echo",
            (ctx, args) -> {
              ObjectNode r = JsonNodeFactory.instance.objectNode();
              r.set("value", args.get("value"));
              return r;
            })
        .commandInline("ping-oob", (ctx, args) -> null);
  }

  /**
   * Binds a Unix socket at {@code sock} with the given backlog (0: the system's default) and has
   * {@code server} listen on it.
   */
  static UnixDomainSocketAddress listen(
      QmpServer server, Path sock, MonitorOptions options, int backlog) throws IOException {
    UnixDomainSocketAddress address = UnixDomainSocketAddress.of(sock);
    ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    ch.bind(address, backlog);
    server.listen(ch, options, sock);
    return address;
  }
}
