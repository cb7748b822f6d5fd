package org.qmp4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import org.qmp4j.sim.SimulatedMachine;
import org.qmp4j.transport.QmpAddress;

/** {@code serve --guest-agent ADDR}: the simulated machine's guest agent on each address. */
final class GuestAgentOption {
  private GuestAgentOption() {}

  /** Listens on every address; closes the machine and rethrows if one cannot be listened on. */
  static void listen(SimulatedMachine vm, List<String> addresses, PrintStream log)
      throws IOException {
    if (addresses == null) {
      return;
    }
    try {
      for (String a : addresses) {
        vm.guestAgent().listen(QmpAddress.parse(a));
        if (log != null) {
          log.println("qmp4j serve: guest agent on " + a);
        }
      }
    } catch (org.qmp4j.protocol.QmpConnectionException e) {
      vm.close();
      throw new IOException(e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      vm.close();
      throw e;
    }
  }
}
