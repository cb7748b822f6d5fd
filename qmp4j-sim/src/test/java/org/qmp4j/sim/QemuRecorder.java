package org.qmp4j.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Re-records {@value Scenarios#RECORDED} from the QEMU on the PATH: every scenario of {@value
 * Scenarios#SCENARIOS}, each against a fresh QEMU. Run with the test class path and the resource
 * directory as argument (default {@code src/test/resources/org/qmp4j/sim}).
 */
public final class QemuRecorder {
  private QemuRecorder() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "src/test/resources/org/qmp4j/sim");
    JsonNode scenarios = Scenarios.load(Scenarios.SCENARIOS);
    // Further arguments name the scenarios to record again; the others keep their transcripts.
    java.util.Set<String> only =
        java.util.Arrays.stream(args).skip(1).collect(java.util.stream.Collectors.toSet());
    JsonNode old = only.isEmpty() ? null : Scenarios.load(Scenarios.RECORDED);
    ObjectNode out = SimClient.JSON.createObjectNode();
    for (JsonNode s : scenarios) {
      if (old != null && !only.contains(s.get("name").asText())) {
        out.set(s.get("name").asText(), old.get(s.get("name").asText()));
        continue;
      }
      ArrayNode t = Scenarios.runQemu(s);
      if (t == null) {
        throw new IllegalStateException("no QEMU on the PATH");
      }
      out.set(s.get("name").asText(), Scenarios.normalise(t));
      System.out.println(s.get("name").asText() + ": " + t.size() + " steps");
    }
    Files.writeString(
        dir.resolve(Scenarios.RECORDED),
        SimClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out) + "\n");
  }
}
