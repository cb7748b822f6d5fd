package org.qmp4j.protocol.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.qmp4j.protocol.corpus.CorpusCases.Case;
import org.qmp4j.protocol.corpus.CorpusRecording.CaseRecording;

/**
 * Re-records the codec corpus against the installed QEMU (into a temporary file) and checks that
 * the strict reader and the writer match that recording too: the recorder reruns against any QEMU.
 * Cases with inputs over {@value #MAX_INPUT} bytes are left out to keep this under a minute (QEMU
 * reads its monitor one byte at a time); {@code scripts/record-codec-corpus} records them all.
 *
 * <p>QEMU is {@code $QMP4J_QEMU} if set, else {@code qemu-system-x86_64} on the {@code PATH}. If it
 * is missing the test is skipped, or fails when {@code CI=true}. If the installed QEMU is the
 * version of the committed recording, the new recording must equal it exactly (recording is
 * deterministic).
 */
class CodecCorpusIT {

  /** Inputs larger than this are not re-recorded here. */
  static final long MAX_INPUT = 512 * 1024;

  @TestFactory
  Stream<DynamicTest> theInstalledQemuAnswersAsTheReaderAndWriterExpect() throws IOException {
    String qemu = findQemu();
    if (qemu == null) {
      // Reported as one skipped (or, with CI=true, failed) test.
      return Stream.of(DynamicTest.dynamicTest("QEMU is installed", CodecCorpusIT::missingQemu));
    }
    CorpusCases cases = CorpusCases.load();
    List<Case> selected = CorpusRecorder.select(cases, null, MAX_INPUT);
    assertTrue(selected.size() >= 300, "only " + selected.size() + " cases selected");
    Path file = Files.createTempFile("qmp4j-corpus", ".jsonl");
    CorpusRecording recording;
    try {
      CorpusRecorder.record(qemu, cases, selected, Map.of(), false).write(file);
      recording = CorpusRecording.read(file);
    } finally {
      Files.deleteIfExists(file);
    }
    CorpusRecording committed = CorpusRecording.load();
    byte[] terminator = cases.terminator();
    List<DynamicTest> tests = new ArrayList<>();
    tests.add(
        DynamicTest.dynamicTest(
            "every selected case was recorded",
            () -> assertEquals(selected.size(), recording.cases().size())));
    tests.add(
        DynamicTest.dynamicTest(
            "greetings read and write back byte for byte",
            () -> {
              CorpusReplay.assertGreetingRoundTrips(
                  recording.greeting(), org.qmp4j.protocol.QmpWriter.compact());
              CorpusReplay.assertGreetingRoundTrips(
                  recording.prettyGreeting(), org.qmp4j.protocol.QmpWriter.pretty());
            }));
    if (recording.qemu().equals(committed.qemu())) {
      tests.add(
          DynamicTest.dynamicTest(
              "the same QEMU gives the committed recording",
              () -> {
                List<String> differ = new ArrayList<>();
                for (CaseRecording r : recording.cases().values()) {
                  CaseRecording old = committed.cases().get(r.name());
                  if (old == null || !old.replies().equals(r.replies())) {
                    differ.add(r.name());
                  }
                }
                assertEquals(
                    List.of(), differ, "cases answered differently by " + recording.qemu());
              }));
    }
    for (Case c : selected) {
      tests.add(
          DynamicTest.dynamicTest(
              c.name(),
              () -> {
                CaseRecording r = recording.cases().get(c.name());
                if (r == null) {
                  fail(c.name() + " was not recorded");
                }
                CorpusReplay.verify(c, terminator, r, false);
              }));
    }
    return tests.stream();
  }

  /** The QEMU binary to use: {@code $QMP4J_QEMU}, else {@code qemu-system-x86_64} on the PATH. */
  static String findQemu() {
    String explicit = System.getenv("QMP4J_QEMU");
    List<String> candidates = new ArrayList<>();
    if (explicit != null && !explicit.isEmpty()) {
      candidates.add(explicit);
    } else {
      String path = System.getenv().getOrDefault("PATH", "");
      for (String dir : path.split(File.pathSeparator)) {
        if (!dir.isEmpty()) {
          candidates.add(dir + File.separator + "qemu-system-x86_64");
        }
      }
      candidates.add("/usr/bin/qemu-system-x86_64");
    }
    for (String candidate : candidates) {
      Path p = Path.of(candidate);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return p.toString();
      }
    }
    return null;
  }

  /** Skips the calling test, or fails it under {@code CI=true}. */
  static void missingQemu() {
    String why = "qemu-system-x86_64 not found ($QMP4J_QEMU or PATH); install qemu-system-x86";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(why + " (required because CI=true)");
    }
    Assumptions.abort(why + ": skipping");
  }
}
