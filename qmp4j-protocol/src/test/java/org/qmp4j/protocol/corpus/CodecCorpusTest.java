package org.qmp4j.protocol.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.qmp4j.protocol.QmpWriter;
import org.qmp4j.protocol.corpus.CorpusRecording.CaseRecording;

/**
 * Replays the recorded QEMU 7.2 codec corpus ({@code corpus/cases.json} and {@code
 * corpus/qemu-7.2.replies.jsonl}) through the strict reader and the writer. No QEMU needed; {@code
 * CodecCorpusIT} re-records against the installed QEMU. See {@code docs/codec-corpus.md}.
 */
class CodecCorpusTest {

  private static final CorpusCases CASES = CorpusCases.load();
  private static final CorpusRecording RECORDING = CorpusRecording.load();

  @TestFactory
  Stream<DynamicTest> everyCaseReplaysAsQemuAnswered() {
    byte[] terminator = CASES.terminator();
    return CASES.cases().stream()
        .map(
            c ->
                DynamicTest.dynamicTest(
                    c.name(),
                    () -> {
                      CaseRecording r = RECORDING.cases().get(c.name());
                      assertNotNull(
                          r,
                          c.name()
                              + " is not recorded; run scripts/record-codec-corpus --only "
                              + c.name());
                      CorpusReplay.verify(c, terminator, r, true);
                    }));
  }

  @Test
  void theCorpusIsLargeAndCoversEveryRow() {
    List<CorpusCases.Case> cases = CASES.cases();
    assertTrue(cases.size() >= 150, "only " + cases.size() + " cases");
    Set<String> names = new HashSet<>();
    for (CorpusCases.Case c : cases) {
      assertTrue(names.add(c.name()), "duplicate case name " + c.name());
    }
    Map<String, Long> perRow =
        cases.stream().collect(Collectors.groupingBy(CorpusCases.Case::row, Collectors.counting()));
    Set<String> uncovered = new TreeSet<>(CASES.rows().keySet());
    uncovered.removeAll(perRow.keySet());
    assertEquals(Set.of(), uncovered, "rows without a case");
  }

  @Test
  void everyRecordingBelongsToACase() {
    Set<String> extra = new TreeSet<>(RECORDING.cases().keySet());
    CASES.cases().forEach(c -> extra.remove(c.name()));
    assertEquals(Set.of(), extra, "recordings of cases that no longer exist");
    assertTrue(RECORDING.qemu().startsWith("7.2."), "recorded against " + RECORDING.qemu());
  }

  @Test
  void greetingsReadAndWriteBackByteForByte() {
    CorpusReplay.assertGreetingRoundTrips(RECORDING.greeting(), QmpWriter.compact());
    CorpusReplay.assertGreetingRoundTrips(RECORDING.prettyGreeting(), QmpWriter.pretty());
  }

  @Test
  void segmentsExpandAsDocumented() throws Exception {
    JsonNode segments =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(
                "[\"a\", {\"text\": \"\\u00e9\"}, {\"hex\": \"ff 00\"},"
                    + " {\"repeat\": [{\"text\": \"[\"}, {\"hex\": \"7f\"}], \"count\": 3},"
                    + " {\"repeat\": \"x\", \"count\": 0}]");
    CorpusCases.Case c = new CorpusCases.Case("t", "r", false, true, segments);
    byte[] expected = {
      'a', (byte) 0xC3, (byte) 0xA9, (byte) 0xFF, 0, '[', 0x7F, '[', 0x7F, '[', 0x7F
    };
    assertArrayEquals(expected, c.input());
    assertEquals(expected.length, c.inputLength());
  }

  @Test
  void rawJsonKeepsScalarsAsQemuWroteThem() {
    Map<String, String> members =
        RawJson.members("{\"id\": {\"b\": [inf, -0], \"a\": \"x\\\"y\"}, \"error\": {}}\r\n");
    assertEquals("{\"b\": [inf, -0], \"a\": \"x\\\"y\"}", members.get("id"));
    assertEquals(
        RawJson.canonical("{\"a\": \"x\\\"y\", \"b\": [inf, -0]}"),
        RawJson.canonical(members.get("id")));
    assertEquals(
        false,
        RawJson.canonical("[0.10000000000000001]").equals(RawJson.canonical("[0.1]")),
        "scalars compare as text");
  }
}
