package org.qmp4j.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The simulator's replies and events, step by step, equal QEMU 7.2.22's as recorded by {@link
 * QemuRecorder} (JSON values, member order free, see {@link Scenarios#normalise}).
 */
class QemuComparisonTest {
  static Stream<Arguments> scenarios() {
    List<Arguments> out = new ArrayList<>();
    for (JsonNode s : Scenarios.load(Scenarios.SCENARIOS)) {
      out.add(Arguments.of(s.get("name").asText(), s));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void simulatorAnswersAsQemuDid(String name, JsonNode scenario) throws Exception {
    JsonNode qemu = Scenarios.load(Scenarios.RECORDED).get(name);
    JsonNode sim = Scenarios.normalise(Scenarios.runSimulator(scenario));
    java.nio.file.Files.writeString(
        java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "qmp4j-sim-" + name + ".json"),
        sim.toPrettyString());
    compare(qemu, sim);
  }

  static void compare(JsonNode qemu, JsonNode sim) {
    assertEquals(qemu.size(), sim.size(), "steps");
    for (int i = 0; i < qemu.size(); i++) {
      assertEquals(
          qemu.get(i), sim.get(i), "step " + i + " (" + qemu.get(i).get("execute").asText() + ")");
    }
  }
}
