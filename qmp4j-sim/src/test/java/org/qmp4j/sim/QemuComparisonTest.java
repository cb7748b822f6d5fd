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

  /**
   * Compares step by step: the reply, and the events in their order. Where a reply falls among
   * events emitted by asynchronous work (a job's coroutine) is a race in QEMU, so it is not
   * compared; RESETs the firmware does by itself (guest-reset while SeaBIOS runs with nothing to
   * boot) are QEMU's noise and are dropped.
   */
  static void compare(JsonNode qemu, JsonNode sim) {
    assertEquals(qemu.size(), sim.size(), "steps");
    for (int i = 0; i < qemu.size(); i++) {
      assertEquals(
          split(qemu.get(i)),
          split(sim.get(i)),
          "step " + i + " (" + qemu.get(i).get("execute").asText() + ")");
    }
  }

  private static JsonNode split(JsonNode step) {
    com.fasterxml.jackson.databind.node.ObjectNode out = SimClient.JSON.createObjectNode();
    out.put("execute", step.get("execute").asText());
    com.fasterxml.jackson.databind.node.ArrayNode events = out.putArray("events");
    for (JsonNode m : step.get("messages")) {
      if (m.has("event")) {
        boolean firmwareReset =
            m.get("event").asText().equals("RESET")
                && m.at("/data/reason").asText().equals("guest-reset");
        if (!firmwareReset) {
          events.add(m);
        }
      } else {
        out.set("reply", m);
      }
    }
    return out;
  }
}
