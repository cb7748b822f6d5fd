package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.server.MonitorOptions;
import org.qmp4j.server.QmpServer;

/**
 * With argument validation on, commands and arguments the connected peer's schema marks {@code
 * deprecated} or {@code unstable} are reported, once each.
 */
class FeatureWarningTest {

  @TempDir Path dir;

  @Test
  void deprecatedAndUnstableUsesAreReportedOnceEach() throws Exception {
    QmpServer server =
        QmpServer.newBuilder()
            .schema(
                QmpServer.controlSchema(
                    s ->
                        s.command("old-cmd", c -> c.feature("deprecated"))
                            .command("x-exp", c -> c.feature("unstable"))
                            .command(
                                "set",
                                c ->
                                    c.args(
                                        o ->
                                            o.optional("value", "str")
                                                .optional("legacy", "str", "deprecated")))))
            .commandInline("old-cmd", (ctx, args) -> null)
            .commandInline("x-exp", (ctx, args) -> null)
            .commandInline("set", (ctx, args) -> null)
            .build();
    List<String> warnings = new CopyOnWriteArrayList<>();
    try (TestServer ts = TestServer.start(dir, server, MonitorOptions.DEFAULT);
        QmpClient c =
            QmpClient.newBuilder()
                .address(ts.address())
                .validateArguments(true)
                .featureWarningHandler(warnings::add)
                .connect()) {
      for (int i = 0; i < 3; i++) {
        c.execute("old-cmd");
        c.execute("x-exp");
        c.execute("set", Map.of("value", "a")); // nothing deprecated used
        c.execute("set", Map.of("value", "a", "legacy", "b"));
        c.execute("query-version"); // no features
      }
    }
    assertEquals(
        List.of(
            "old-cmd is deprecated in QEMU 7.2.0",
            "x-exp is unstable in QEMU 7.2.0",
            "set: argument 'legacy' is deprecated in QEMU 7.2.0"),
        warnings);
  }

  @Test
  void withoutValidationNothingIsChecked() throws Exception {
    QmpServer server =
        QmpServer.newBuilder()
            .schema(
                QmpServer.controlSchema(s -> s.command("old-cmd", c -> c.feature("deprecated"))))
            .commandInline("old-cmd", (ctx, args) -> null)
            .build();
    List<String> warnings = new CopyOnWriteArrayList<>();
    try (TestServer ts = TestServer.start(dir, server, MonitorOptions.DEFAULT);
        QmpClient c =
            QmpClient.newBuilder()
                .address(ts.address())
                .featureWarningHandler(warnings::add)
                .connect()) {
      c.execute("old-cmd");
    }
    assertEquals(List.of(), warnings);
  }
}
