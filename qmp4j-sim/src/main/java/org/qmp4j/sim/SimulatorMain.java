package org.qmp4j.sim;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import org.qmp4j.protocol.QmpConnectionException;
import org.qmp4j.transport.QmpAddress;

/**
 * {@code qmp4j serve}: runs a simulated machine behind one QMP monitor per address until a client
 * sends {@code quit} (or the guest powers off), then exits with QEMU's status.
 *
 * <pre>
 * java -cp ... org.qmp4j.sim.SimulatorMain --qmp unix:/tmp/qmp.sock [-S] [--pretty] [--name NAME] \
 *     [--guest-agent unix:/tmp/qga.sock] [QEMU's machine options]
 * </pre>
 */
public final class SimulatorMain {
  private SimulatorMain() {}

  public static void main(String[] args) {
    int status;
    try {
      status = run(SimulatorOptions.parse(args), System.err);
    } catch (IllegalArgumentException e) {
      System.err.println("qmp4j serve: " + e.getMessage());
      status = 2;
    } catch (IOException e) {
      System.err.println("qmp4j serve: " + e.getMessage());
      status = 1;
    }
    System.exit(status);
  }

  /**
   * Starts the machine, listens on every address (printing one line each to {@code log}), and waits
   * until the machine ends.
   *
   * @return the exit status: 0, or 1 after a guest panic with action {@code exit-failure}
   * @throws IOException if an address cannot be listened on (the machine is closed then)
   */
  public static int run(SimulatorOptions options, PrintStream log) throws IOException {
    try (SimulatedMachine vm = start(options, log)) {
      return vm.terminated().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } catch (ExecutionException e) {
      throw new IOException(e.getCause());
    }
  }

  /**
   * Starts the machine, its monitors and its guest agent's channels, and returns at once.
   *
   * @throws IOException if an address cannot be listened on (the machine is closed then)
   */
  public static SimulatedMachine start(SimulatorOptions options, PrintStream log)
      throws IOException {
    SimulatedMachine vm = options.machine().build();
    try {
      // The agent first: once a monitor answers, the guest agent listens too (as in QEMU).
      for (String address : options.guestAgents()) {
        listenGuestAgent(vm, address);
        if (log != null) {
          log.println("qmp4j serve: guest agent on " + address);
        }
      }
      for (String address : options.monitors()) {
        listen(vm, address, options.pretty());
        if (log != null) {
          log.println("qmp4j serve: QMP on " + address);
        }
      }
    } catch (IOException | RuntimeException e) {
      vm.close();
      throw e;
    }
    return vm;
  }

  /**
   * Serves the machine's guest agent on {@code address} ({@link QmpAddress#parse}'s forms; a stale
   * socket file at a {@code unix:} path is replaced).
   *
   * @throws IOException if it cannot be listened on
   */
  static void listenGuestAgent(SimulatedMachine vm, String address) throws IOException {
    listenGuestAgent(vm, address, null);
  }

  /**
   * As {@link #listenGuestAgent(SimulatedMachine, String)}, as the socket chardev {@code chardev}
   * (listed by {@code query-chardev}) if not null.
   */
  static void listenGuestAgent(SimulatedMachine vm, String address, String chardev)
      throws IOException {
    if (chardev != null) {
      Object a = parse(address);
      if (a instanceof Path p) {
        vm.guestAgent().listen(chardev, p);
      } else {
        vm.guestAgent().listen(chardev, (InetSocketAddress) a);
      }
      return;
    }
    try {
      QmpAddress a = QmpAddress.parse(address);
      if (a instanceof QmpAddress.Unix u) {
        Files.deleteIfExists(u.path()); // as a QEMU chardev: a stale socket file is replaced
      }
      vm.guestAgent().listen(a);
    } catch (QmpConnectionException e) {
      throw new IOException(address + ": " + e.getMessage(), e);
    }
  }

  /** Listens on {@code address}: {@code unix:PATH}, {@code tcp:HOST:PORT}, PATH or HOST:PORT. */
  static void listen(SimulatedMachine vm, String address, boolean pretty) throws IOException {
    listen(vm, address, pretty, null);
  }

  /**
   * As {@link #listen(SimulatedMachine, String, boolean)}, as the socket chardev {@code chardev}
   * ({@code compat_monitorN} if null).
   */
  static void listen(SimulatedMachine vm, String address, boolean pretty, String chardev)
      throws IOException {
    Object a = parse(address);
    if (a instanceof Path p) {
      vm.listen(chardev, p, pretty);
    } else {
      vm.listen(chardev, (InetSocketAddress) a, pretty);
    }
  }

  /** {@code unix:PATH}, {@code tcp:HOST:PORT}, PATH or HOST:PORT as a Path or socket address. */
  private static Object parse(String address) {
    if (address.startsWith("unix:")) {
      return Path.of(address.substring(5));
    }
    String tcp = address.startsWith("tcp:") ? address.substring(4) : null;
    if (tcp == null && (address.contains("/") || !address.contains(":"))) {
      return Path.of(address);
    }
    String hostPort = tcp != null ? tcp : address;
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("not an address: " + address);
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a port in " + address);
    }
    return new InetSocketAddress(host.isEmpty() ? "127.0.0.1" : host, port);
  }
}
