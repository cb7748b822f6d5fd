package org.qmp4j.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.qmp4j.protocol.QmpVersion;
import org.qmp4j.schema.QapiSchema;
import org.qmp4j.testing.RawConnection;

/**
 * The differential suite: every transcript replayed against QEMU 7.2 and against a qmp4j server
 * that declares QEMU's schema and version; what each session received must be the same (see {@link
 * Comparison}). Needs {@code qemu-system-x86_64}: without it the suite is skipped, or fails under
 * {@code CI=true}. A summary (cases, byte-identical count, rows, time) goes to standard output and
 * to the file named by the system property {@code qmp4j.conformance.report}.
 */
class ConformanceIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String UNMASKED_SCHEMA =
      "/org/qmp4j/schema/qemu-7.2-schema-unmasked.json.gz";

  private static QemuTarget qemu;
  private static Qmp4jTarget qmp4j;
  private static QapiSchema schema;
  private static QmpVersion version;
  private static JsonNode qemuSchema;
  private static QapiSchema introspection;
  private static long started;

  /** Replays against qmp4j while the test thread replays against QEMU. */
  private static final ExecutorService replayer =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread th = new Thread(r, "conformance-qmp4j");
            th.setDaemon(true);
            return th;
          });

  private static final List<String> results = Collections.synchronizedList(new ArrayList<>());
  private static final List<String> known = Collections.synchronizedList(new ArrayList<>());
  private static int identical;
  private static int passed;
  private static final TreeSet<String> rowsCovered = new TreeSet<>();

  @BeforeAll
  static void start() throws Exception {
    started = System.nanoTime();
    qemu = QemuTarget.start();
    try (RawConnection c = RawConnection.open(qemu.socket(Transcript.Monitor.COMPACT))) {
      JsonNode greeting = c.readJson();
      version = QmpVersion.fromJson(greeting.path("QMP").path("version"));
      c.send("{\"execute\":\"qmp_capabilities\"}\n");
      c.readJson();
      c.send("{\"execute\":\"query-qmp-schema\"}\n");
      qemuSchema = c.readJson().get("return");
    }
    JsonNode unmasked;
    try (InputStream in =
        new GZIPInputStream(ConformanceIT.class.getResourceAsStream(UNMASKED_SCHEMA))) {
      unmasked = JSON.readTree(in);
    }
    schema = QapiSchema.fromIntrospection(unmasked);
    introspection = QapiSchema.fromIntrospection(qemuSchema);
    qmp4j = Qmp4jTarget.start(schema, introspection, version);
  }

  @AfterAll
  static void stop() throws IOException {
    replayer.shutdownNow();
    if (qmp4j != null) {
      qmp4j.close();
    }
    if (qemu != null) {
      qemu.close();
    }
    if (results.isEmpty()) {
      return;
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    StringBuilder sb = new StringBuilder();
    sb.append("qmp4j conformance against QEMU ")
        .append(version == null ? "?" : version.versionString());
    sb.append(String.format("%n  cases passed: %d of %d", passed, results.size()));
    sb.append(
        String.format(
            "%n  byte-identical after normalisation: %d of the %d without divergence",
            identical, passed - known.size()));
    sb.append(String.format("%n  known divergences: %d", known.size()));
    for (String k : known) {
      sb.append("\n    ").append(k);
    }
    sb.append(String.format("%n  rows covered: %s", String.join(" ", rowsCovered)));
    sb.append(String.format("%n  time: %.1f s%n", seconds));
    String summary = sb.toString();
    for (String r : results) {
      sb.append("  ").append(r).append('\n');
    }
    System.out.print(summary);
    String report = System.getProperty("qmp4j.conformance.report");
    if (report != null) {
      Path p = Path.of(report);
      Files.createDirectories(p.toAbsolutePath().getParent());
      Files.writeString(p, sb, StandardCharsets.UTF_8);
    }
  }

  /**
   * The qmp4j side loads QEMU's schema with real type names (kept by qmp4j-schema); masked, it must
   * be exactly what this QEMU reports, or the comparison would be between different servers.
   */
  @Test
  void qmp4jDeclaresTheSchemaQemuReports() {
    JsonNode ours = Renumbering.apply(schema.toIntrospection());
    JsonNode theirs = Renumbering.apply(qemuSchema);
    for (int i = 0; i < Math.min(ours.size(), theirs.size()); i++) {
      assertEquals(theirs.get(i), ours.get(i), "entry " + i + " of query-qmp-schema");
    }
    assertEquals(theirs.size(), ours.size(), "entries of query-qmp-schema");
  }

  @TestFactory
  Stream<DynamicTest> transcripts() {
    List<Transcript> all = Transcripts.all();
    assertTrue(all.size() >= 150, "at least 150 cases, have " + all.size());
    return all.stream().map(t -> DynamicTest.dynamicTest(t.name(), () -> replay(t)));
  }

  private static void replay(Transcript t) throws Exception {
    TranscriptRunner.Run q;
    TranscriptRunner.Run j;
    long t0 = System.nanoTime();
    if (t.fresh()) {
      try (QemuTarget ownQemu = QemuTarget.start();
          Qmp4jTarget ownQmp4j = Qmp4jTarget.start(schema, introspection, version)) {
        Future<TranscriptRunner.Run> theirs =
            replayer.submit(() -> TranscriptRunner.run(ownQmp4j, t));
        q = TranscriptRunner.run(ownQemu, t);
        j = theirs.get();
      }
    } else {
      Future<TranscriptRunner.Run> theirs = replayer.submit(() -> TranscriptRunner.run(qmp4j, t));
      q = TranscriptRunner.run(qemu, t);
      j = theirs.get();
      ensureQemuSurvived(t);
    }
    long millis = (System.nanoTime() - t0) / 1_000_000;
    Comparison c = Comparison.of(t, q, j);
    String summary =
        String.format(
            "%-6s %-5s %5d ms  %s",
            !c.oracleProblems().isEmpty()
                ? "QEMU?"
                : c.divergences().isEmpty()
                    ? "same"
                    : t.knownDivergence() != null ? "known" : "DIFF",
            c.byteIdentical() ? "bytes" : "",
            millis,
            t.name());
    results.add(summary);
    String show = System.getProperty("qmp4j.conformance.show");
    if (show != null && t.name().matches(show)) {
      System.out.println(c.sideBySide());
    }
    if (!c.oracleProblems().isEmpty()) {
      fail("the transcript does not describe what QEMU does:\n" + c.sideBySide());
    }
    if (t.knownDivergence() != null) {
      if (c.divergences().isEmpty()) {
        fail(
            "case "
                + t.name()
                + " is marked known-divergence ("
                + t.knownDivergence()
                + ") but qmp4j now answers like QEMU: remove the marker in "
                + t.source()
                + "\n"
                + c.sideBySide());
      }
      known.add(t.name() + ": " + t.knownDivergence());
      System.out.println("known divergence (" + t.knownDivergence() + "):\n" + c.sideBySide());
      synchronized (rowsCovered) {
        passed++;
      }
      return;
    }
    if (!c.divergences().isEmpty()) {
      fail("qmp4j diverges from QEMU:\n" + c.sideBySide());
    }
    synchronized (rowsCovered) {
      passed++;
      rowsCovered.addAll(t.rows());
      if (c.byteIdentical()) {
        identical++;
      }
    }
  }

  /** A case that ends the shared QEMU fails, and the others get a new QEMU. */
  private static void ensureQemuSurvived(Transcript t) {
    if (!qemu.alive()) {
      String output = qemu.output();
      qemu.close();
      qemu = QemuTarget.start();
      fail("case " + t.name() + " ended the shared QEMU (mark it 'fresh'); its output: " + output);
    }
  }
}
