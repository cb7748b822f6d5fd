package org.qmp4j.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
    assertTrue(qemu != null, "no QEMU transcript for " + name + ": run QemuRecorder");
    JsonNode sim = Scenarios.normalise(Scenarios.runSimulator(scenario));
    java.nio.file.Files.writeString(
        java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "qmp4j-sim-" + name + ".json"),
        sim.toPrettyString());
    compare(scenario, qemu, sim);
  }

  /** Events of asynchronous work (a job's coroutine), whose order to the reply is a race. */
  private static final Set<String> ASYNC =
      Set.of(
          "JOB_STATUS_CHANGE",
          "BLOCK_JOB_READY",
          "BLOCK_JOB_COMPLETED",
          "BLOCK_JOB_CANCELLED",
          "BLOCK_JOB_PENDING",
          "BLOCK_JOB_ERROR");

  /**
   * Compares step by step: the messages in their order, events and reply alike. Where a reply falls
   * among events emitted by asynchronous work (a job's coroutine) is a race in QEMU, so in a step
   * with such events the reply is compared apart from the events; RESETs the firmware does by
   * itself (guest-reset while SeaBIOS runs with nothing to boot) are QEMU's noise and are dropped.
   * A step with {@code "compare": "help-lines"} compares an HMP help text as a subsequence of
   * QEMU's lines.
   */
  static void compare(JsonNode scenario, JsonNode qemu, JsonNode sim) {
    assertEquals(qemu.size(), sim.size(), "steps");
    JsonNode steps = scenario.get("steps");
    for (int i = 0; i < qemu.size(); i++) {
      JsonNode q = split(qemu.get(i));
      JsonNode o = split(sim.get(i));
      String what = "step " + i + " (" + qemu.get(i).get("execute").asText() + ")";
      if (steps.get(i).path("compare").asText().equals("help-lines")) {
        assertHelpLines(q, o, what);
      }
      assertEquals(q, o, what);
    }
  }

  /** Every line of the simulator's help is QEMU's, in QEMU's order; then both texts are blanked. */
  private static void assertHelpLines(JsonNode qemu, JsonNode sim, String what) {
    ObjectNode q = (ObjectNode) reply(qemu);
    ObjectNode o = (ObjectNode) reply(sim);
    List<String> ql = List.of(q.path("return").asText().split("\r\n", -1));
    List<String> ol = List.of(o.path("return").asText().split("\r\n", -1));
    int at = 0;
    for (String line : ol) {
      if (line.isEmpty()) {
        continue;
      }
      int found = ql.subList(at, ql.size()).indexOf(line);
      assertTrue(found >= 0, what + ": not in QEMU's help (in order): " + line);
      at += found + 1;
    }
    assertTrue(ol.size() > 3, what + ": help too short");
    q.put("return", "HELP");
    o.put("return", "HELP");
  }

  private static JsonNode reply(JsonNode split) {
    if (split.has("reply")) {
      return split.get("reply");
    }
    for (JsonNode m : split.get("messages")) {
      if (m.has("return") || m.has("error")) {
        return m;
      }
    }
    throw new AssertionError("no reply in " + split);
  }

  private static JsonNode split(JsonNode step) {
    ObjectNode out = SimClient.JSON.createObjectNode();
    out.put("execute", step.get("execute").asText());
    List<JsonNode> kept = new ArrayList<>();
    boolean async = false;
    for (JsonNode m : step.get("messages")) {
      String event = m.path("event").asText(null);
      if (event != null
          && event.equals("RESET")
          && m.at("/data/reason").asText().equals("guest-reset")) {
        continue;
      }
      async |= event != null && ASYNC.contains(event);
      kept.add(m);
    }
    if (!async) {
      ArrayNode messages = out.putArray("messages");
      kept.forEach(messages::add);
      return out;
    }
    ArrayNode events = out.putArray("events");
    for (JsonNode m : kept) {
      if (m.has("event")) {
        events.add(m);
      } else {
        out.set("reply", m);
      }
    }
    return out;
  }
}
