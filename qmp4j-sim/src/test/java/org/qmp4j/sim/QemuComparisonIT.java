package org.qmp4j.sim;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qmp4j.testing.Qemu;

/** The comparison of {@link QemuComparisonTest}, against the installed QEMU, live. */
class QemuComparisonIT {
  static Stream<Arguments> scenarios() {
    return QemuComparisonTest.scenarios();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void simulatorAnswersAsQemuDoes(String name, JsonNode scenario) throws Exception {
    Qemu.assumeSystemEmulator();
    JsonNode qemu = Scenarios.normalise(Scenarios.runQemu(scenario));
    JsonNode sim = Scenarios.normalise(Scenarios.runSimulator(scenario));
    QemuComparisonTest.compare(scenario, qemu, sim);
  }
}
