package org.qmp4j.sim;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@code qemu-system-x86_64} stand-in: takes the options management tools use to start QEMU with
 * a QMP monitor ({@link QemuCommandLine}), runs a {@link SimulatedMachine} so described behind
 * those monitors (and its {@linkplain SimulatedMachine#guestAgent() guest agent} behind the socket
 * chardev of a {@code virtserialport} named {@code org.qemu.guest_agent.0}), and behaves as the
 * QEMU process does: messages and exit status 1 for a command line it refuses, {@code -daemonize}
 * (the command returns once the monitors listen), {@code -pidfile}, exit status 0 after {@code
 * quit} or a terminating signal.
 *
 * <pre>
 * java -cp qmp4j.jar org.qmp4j.sim.QemuStandIn -machine pc -nodefaults -display none -S \
 *     -qmp unix:/tmp/qmp.sock,server=on,wait=off -drive if=none,id=d0,file=/tmp/d.qcow2 ...
 * </pre>
 *
 * The repository's {@code bin/qemu-system-x86_64} runs it.
 */
public final class QemuStandIn {
  /** What {@code -version} says after "QEMU emulator version ". */
  static final String VERSION_STRING =
      SimulatedMachine.DEFAULT_VERSION.major()
          + "."
          + SimulatedMachine.DEFAULT_VERSION.minor()
          + "."
          + SimulatedMachine.DEFAULT_VERSION.micro()
          + " ("
          + SimulatedMachine.DEFAULT_VERSION.packageName()
          + ")";

  private static final String PROGRAM = "qemu-system-x86_64";

  /** Set in the environment of the process a {@code -daemonize} parent starts. */
  static final String DAEMON_ENV = "QMP4J_QEMU_DAEMON";

  /** The line the daemon writes to its parent once its monitors listen. */
  static final String READY = "qmp4j-daemon-ready";

  private QemuStandIn() {}

  public static void main(String[] args) {
    System.exit(run(Arrays.asList(args), System.out, System.err));
  }

  /**
   * Runs the stand-in until its machine ends.
   *
   * @return the process's exit status
   */
  static int run(List<String> args, PrintStream out, PrintStream err) {
    QemuCommandLine c;
    try {
      c = QemuCommandLine.parse(args);
    } catch (IllegalArgumentException e) {
      err.println(PROGRAM + ": " + e.getMessage());
      return 1;
    }
    if (c.help) {
      out.print(QemuCommandLine.usage());
      return 0;
    }
    if (c.version) {
      out.println("QEMU emulator version " + VERSION_STRING);
      out.println("Copyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers");
      return 0;
    }
    boolean daemon = System.getenv(DAEMON_ENV) != null;
    if (c.daemonize && !daemon) {
      return daemonize(args, err);
    }
    SimulatedMachine vm;
    Path pidfile = c.pidfile == null ? null : Path.of(c.pidfile);
    try {
      SimulatedMachine.Builder b = SimulatedMachine.newBuilder();
      for (int i = 0; i < c.machine.size(); i++) {
        String o = c.machine.get(i);
        b.option(
            o,
            o.equals("-S") || o.startsWith("-no-") || o.equals("-enable-kvm")
                ? null
                : c.machine.get(++i));
      }
      vm = b.build();
    } catch (IllegalArgumentException e) {
      err.println(PROGRAM + ": " + e.getMessage());
      return 1;
    }
    try {
      // The agent's channel first: QEMU creates every chardev before a monitor can answer.
      vm.declareChardevs(c.chardevOrder);
      for (int k = 0; k < c.guestAgents.size(); k++) {
        String address = c.guestAgents.get(k);
        try {
          SimulatorMain.listenGuestAgent(vm, address, c.guestAgentChardevs.get(k));
        } catch (IOException | RuntimeException e) {
          err.println(PROGRAM + ": " + address + ": Failed to bind socket: " + e.getMessage());
          return 1;
        }
      }
      for (QemuCommandLine.Monitor m : c.monitors) {
        try {
          SimulatorMain.listen(vm, m.address(), m.pretty(), m.chardev());
        } catch (IOException | RuntimeException e) {
          err.println(PROGRAM + ": " + m.address() + ": Failed to bind socket: " + e.getMessage());
          return 1;
        }
      }
      if (pidfile != null) {
        try {
          Files.writeString(pidfile, ProcessHandle.current().pid() + "\n");
        } catch (IOException e) {
          err.println(PROGRAM + ": cannot create PID file: " + e.getMessage());
          return 1;
        }
      }
      Thread onSignal =
          new Thread(
              () -> {
                vm.hostSignal();
                try {
                  vm.terminated().get(2, TimeUnit.SECONDS);
                } catch (InterruptedException | ExecutionException | TimeoutException e) {
                  // exit anyway
                }
                deletePidfile(pidfile);
                Runtime.getRuntime().halt(0);
              },
              "qemu-stand-in-signal");
      Runtime.getRuntime().addShutdownHook(onSignal);
      if (daemon) {
        out.println(READY);
        out.flush();
        // As QEMU's daemon: nothing more on the terminal the parent was started from.
        out.close();
        err.close();
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        System.setErr(new PrintStream(OutputStream.nullOutputStream()));
      }
      int status;
      try {
        status = vm.terminated().get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        status = 1;
      } catch (ExecutionException e) {
        status = 1;
      }
      try {
        Runtime.getRuntime().removeShutdownHook(onSignal);
      } catch (IllegalStateException e) {
        // already shutting down: the hook ends the process
      }
      return status;
    } finally {
      vm.close();
      deletePidfile(pidfile);
    }
  }

  private static void deletePidfile(Path pidfile) {
    if (pidfile != null) {
      try {
        Files.deleteIfExists(pidfile);
      } catch (IOException e) {
        // as QEMU: nothing to do about it
      }
    }
  }

  /**
   * {@code -daemonize}: starts this program again as a daemon (its own session, no terminal) and
   * returns 0 once it says its monitors listen, or the daemon's status if it ends before.
   */
  private static int daemonize(List<String> args, PrintStream err) {
    List<String> cmd = new ArrayList<>();
    if (new File("/usr/bin/setsid").canExecute()) {
      cmd.add("/usr/bin/setsid");
    }
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(QemuStandIn.class.getName());
    cmd.addAll(args);
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().put(DAEMON_ENV, "1");
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      err.println(PROGRAM + ": cannot start the daemon: " + e.getMessage());
      return 1;
    }
    Thread copy = new Thread(() -> copy(p.getErrorStream(), err), "qemu-stand-in-stderr");
    copy.setDaemon(true);
    copy.start();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.equals(READY)) {
          copy.join(1000);
          return 0;
        }
      }
      int status = p.waitFor();
      copy.join(1000);
      return status;
    } catch (IOException e) {
      err.println(PROGRAM + ": " + e.getMessage());
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  private static void copy(InputStream in, PrintStream to) {
    byte[] buf = new byte[4096];
    try {
      int n;
      while ((n = in.read(buf)) > 0) {
        to.write(buf, 0, n);
        to.flush();
      }
    } catch (IOException e) {
      // the daemon closed its stderr
    }
  }
}
