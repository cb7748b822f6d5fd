package org.qmp4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.server.internal.ServerCore;

/**
 * Requests that the server runs without building their tree (the common {@code {"execute": ...,
 * "id": ...}} shape naming an inline command without arguments) get the same bytes, in the same
 * order, as on the general path, which the server takes for everything when built with {@code
 * -Dqmp4j.server.directDispatch=false}.
 */
class DirectDispatchTest {
  @TempDir Path dir;

  private static final String[] SCRIPT = {
    // negotiation mode: never direct
    "{\"execute\":\"status\",\"id\":1}",
    "{\"execute\":\"qmp_capabilities\"}",
    // direct: value, null, error, ids of every accepted kind, whitespace
    "{\"execute\":\"status\"}",
    "{\"execute\":\"status\",\"id\":1}",
    " \r\n{ \"id\" : \"a b\" , \"execute\" : \"status\" }\r\n",
    "{\"execute\":\"nothing\",\"id\":-0}",
    "{\"execute\":\"nothing\",\"id\":9223372036854775}",
    "{\"execute\":\"fail\",\"id\":2}",
    "{\"execute\":\"crash\",\"id\":3}",
    "{\"execute\":\"id-echo\",\"id\":\"x\"}",
    "{\"execute\":\"id-echo\",\"id\":4}",
    "{\"execute\":\"id-echo\"}",
    "{\"execute\":\"emit\",\"id\":5}",
    "{\"execute\":\"query-version\",\"id\":6}",
    "{\"execute\":\"query-commands\"}",
    // general: arguments, other ids, errors, other members, malformed, partial
    "{\"execute\":\"status\",\"arguments\":{}}",
    "{\"execute\":\"status\",\"id\":1.5}",
    "{\"execute\":\"status\",\"id\":[1]}",
    "{\"execute\":\"status\",\"id\":\"\\u0041\"}",
    "{\"execute\":\"nope\",\"id\":7}",
    "{\"execute\":\"echo\",\"arguments\":{\"value\":3},\"id\":8}",
    "{\"execute\":\"echo\",\"id\":9}",
    "{\"execute\":\"status\",\"foo\":1}",
    "{\"execute\":\"status\",\"execute\":\"status\"}",
    "{\"exec-oob\":\"status\",\"id\":10}",
    "{\"execute\":\"worker\",\"id\":11}",
    "{\"execute\":\"status\",\"id\":12}",
    "[1]",
    "{\"execute\":'status'}",
    "{\"execute\":\"stat",
    "us\",\"id\":13}{\"execute\":\"status\",\"id\":14}",
    "\u00ff{\"execute\":\"status\",\"id\":15}",
    "{\"execute\":\"status\",\"id\":16}",
  };

  @Test
  void directAndGeneralPathsWriteTheSameBytes() throws Exception {
    for (boolean oob : new boolean[] {false, true}) {
      for (boolean oneWrite : new boolean[] {false, true}) {
        List<String> direct = run(true, oob, oneWrite);
        List<String> general = run(false, oob, oneWrite);
        assertEquals(general, direct, "oob " + oob + ", one write " + oneWrite);
        assertTrue(direct.size() > 30, direct.toString());
      }
    }
  }

  @Test
  void aHandlerThatClosesItsSessionLosesTheReplyOnBothPaths() throws Exception {
    for (boolean directDispatch : new boolean[] {true, false}) {
      try (QmpServer server = server(directDispatch);
          RawClient c = new RawClient(listen(server, "close" + directDispatch))) {
        c.line();
        c.send("{\"execute\":\"qmp_capabilities\"}");
        c.line();
        c.send("{\"execute\":\"close\",\"id\":1}");
        assertNull(c.line());
      }
    }
  }

  private List<String> run(boolean directDispatch, boolean oob, boolean oneWrite) throws Exception {
    List<String> lines = new ArrayList<>();
    try (QmpServer server = server(directDispatch);
        RawClient c = new RawClient(listen(server, "s" + directDispatch + oob + oneWrite))) {
      lines.add(c.line());
      if (oob) {
        c.send("{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}");
        lines.add(c.line());
      }
      if (oneWrite) {
        c.send(String.join("", SCRIPT).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      } else {
        for (String request : SCRIPT) {
          c.send(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
          Thread.sleep(2);
        }
      }
      String line;
      do {
        line = c.line();
        // events carry the time of emission
        lines.add(line.replaceAll("\"seconds\": \\d+, \"microseconds\": \\d+", "T"));
      } while (!line.contains("\"id\": 16"));
    }
    return lines;
  }

  private UnixDomainSocketAddress listen(QmpServer server, String name) throws Exception {
    return TestServers.listen(server, dir.resolve(name + ".sock"), MonitorOptions.DEFAULT, 0);
  }

  private static QmpServer server(boolean directDispatch) {
    String property = ServerCore.DIRECT_DISPATCH_PROPERTY;
    System.setProperty(property, Boolean.toString(directDispatch));
    try {
      QmpServer[] self = new QmpServer[1];
      self[0] =
          QmpServer.newBuilder()
              .schema(
                  QmpServer.controlSchema(
                      s ->
                          s.object(
                                  "Status",
                                  o ->
                                      o.member("running", "bool")
                                          .member("singlestep", "bool")
                                          .member("status", "str"))
                              .command("status", c -> c.returns("Status"))
                              .command("nothing", c -> {})
                              .command("fail", c -> {})
                              .command("crash", c -> {})
                              .command("id-echo", c -> c.returns("any"))
                              .command("emit", c -> {})
                              .command("close", c -> {})
                              .command("worker", c -> {})
                              .command(
                                  "echo", c -> c.args(o -> o.member("value", "int")).returns("any"))
                              .event("STOP", (String) null)))
              .commandInline(
                  "status",
                  (ctx, args) -> {
                    ObjectNode r = JsonNodeFactory.instance.objectNode();
                    r.put("status", "prelaunch");
                    r.put("singlestep", false);
                    r.put("running", args.size() == 0 && !ctx.outOfBand());
                    return r;
                  })
              .commandInline("nothing", (ctx, args) -> null)
              .commandInline(
                  "fail",
                  (ctx, args) -> {
                    throw new QmpErrorException.DeviceNotFoundException(
                        "Device 'x' not found", null, null);
                  })
              .commandInline(
                  "crash",
                  (ctx, args) -> {
                    throw new IllegalStateException("boom");
                  })
              .commandInline(
                  "id-echo",
                  (ctx, args) -> {
                    ObjectNode r = JsonNodeFactory.instance.objectNode();
                    r.set("id", ctx.id());
                    r.put("command", ctx.command());
                    r.put("negotiated", ctx.session().negotiated());
                    return r;
                  })
              .commandInline(
                  "emit",
                  (ctx, args) -> {
                    self[0].emit("STOP", null);
                    return null;
                  })
              .commandInline(
                  "close",
                  (ctx, args) -> {
                    ctx.session().close();
                    return null;
                  })
              .command("worker", (ctx, args) -> JsonNodeFactory.instance.textNode("done"))
              .commandInline("echo", (ctx, args) -> args)
              .build();
      return self[0];
    } finally {
      System.clearProperty(property);
    }
  }
}
