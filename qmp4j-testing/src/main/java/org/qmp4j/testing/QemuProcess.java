package org.qmp4j.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A real {@value Qemu#SYSTEM_EMULATOR} for one test: no guest, CPUs stopped, QMP monitors on unix
 * sockets in a temporary directory. It runs
 *
 * <pre>
 * qemu-system-x86_64 -S -machine none -nodefaults -display none
 *     -chardev socket,id=ID,path=DIR/ID.sock,server=on,wait=off -mon chardev=ID,mode=control[,pretty=on]
 *     ... (one pair per monitor) EXTRA-ARGS
 * </pre>
 *
 * and {@link #close()} kills it and deletes the directory. Use it in try-with-resources:
 *
 * <pre>{@code
 * try (QemuProcess qemu = QemuProcess.start();
 *     RawConnection c = RawConnection.open(qemu.socket())) {
 *   String greeting = c.readLine();
 * }
 * }</pre>
 *
 * <p>Starting calls {@link Qemu#assumeSystemEmulator()}: without QEMU the test is skipped, or fails
 * under {@code CI=true}.
 */
public final class QemuProcess implements AutoCloseable {

  /** The id of the monitor {@link #start()} creates and {@link #socket()} returns. */
  public static final String DEFAULT_MONITOR = "mon0";

  /** How long {@link Builder#start()} waits for the monitor sockets by default. */
  public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(10);

  private final ChildProcess child;
  private final Map<String, Path> sockets;

  private QemuProcess(ChildProcess child, Map<String, Path> sockets) {
    this.child = child;
    this.sockets = sockets;
  }

  /** Starts QEMU with one compact QMP monitor, {@value #DEFAULT_MONITOR}. */
  public static QemuProcess start() {
    return builder().start();
  }

  /** A builder for monitors and extra arguments. */
  public static Builder builder() {
    return new Builder();
  }

  /** The socket of the first monitor. */
  public Path socket() {
    return sockets.values().iterator().next();
  }

  /** The socket of the monitor with this id. */
  public Path socket(String monitorId) {
    Path p = sockets.get(monitorId);
    if (p == null) {
      throw new NoSuchElementException(
          "no monitor " + monitorId + "; there are " + sockets.keySet());
    }
    return p;
  }

  /** The temporary directory QEMU runs in; deleted on close. */
  public Path directory() {
    return child.directory();
  }

  /** The QEMU process, e.g. to check it is alive or to signal it. */
  public Process process() {
    return child.process();
  }

  /** What QEMU printed so far (stdout and stderr). */
  public String output() {
    return child.output();
  }

  /** Kills QEMU and deletes its directory. */
  @Override
  public void close() {
    child.close();
  }

  /** Monitors and arguments for one QEMU. Without monitors, it gets {@value #DEFAULT_MONITOR}. */
  public static final class Builder {
    private final Map<String, Boolean> monitors = new LinkedHashMap<>(); // id -> pretty
    private final List<String> extraArgs = new ArrayList<>();
    private Duration startupTimeout = DEFAULT_STARTUP_TIMEOUT;

    private Builder() {}

    /** Adds a QMP monitor with compact output on {@code DIR/ID.sock}. */
    public Builder monitor(String id) {
      return addMonitor(id, false);
    }

    /** Adds a QMP monitor with pretty output ({@code pretty=on}) on {@code DIR/ID.sock}. */
    public Builder prettyMonitor(String id) {
      return addMonitor(id, true);
    }

    private Builder addMonitor(String id, boolean pretty) {
      if (!id.matches("[A-Za-z][A-Za-z0-9_-]*")) {
        throw new IllegalArgumentException("not a QEMU id: " + id);
      }
      if (monitors.putIfAbsent(id, pretty) != null) {
        throw new IllegalArgumentException("monitor " + id + " added twice");
      }
      return this;
    }

    /** Appends arguments to QEMU's command line. */
    public Builder args(String... args) {
      extraArgs.addAll(List.of(args));
      return this;
    }

    /** How long to wait for QEMU to create its monitor sockets. */
    public Builder startupTimeout(Duration timeout) {
      this.startupTimeout = timeout;
      return this;
    }

    /**
     * Starts QEMU and waits until every monitor socket exists. Skips or fails the calling test if
     * QEMU is missing (see {@link Qemu#assumeSystemEmulator()}).
     *
     * @throws IllegalStateException if QEMU exits or times out first (message with its output)
     */
    public QemuProcess start() {
      Path qemu = Qemu.assumeSystemEmulator();
      Map<String, Boolean> mons = monitors.isEmpty() ? Map.of(DEFAULT_MONITOR, false) : monitors;
      Path dir = ChildProcess.newDirectory("qmp4j-qemu");
      List<String> cmd = new ArrayList<>();
      cmd.addAll(
          List.of(qemu.toString(), "-S", "-machine", "none", "-nodefaults", "-display", "none"));
      Map<String, Path> sockets = new LinkedHashMap<>();
      mons.forEach(
          (id, pretty) -> {
            Path sock = dir.resolve(id + ".sock");
            sockets.put(id, sock);
            cmd.add("-chardev");
            cmd.add("socket,id=" + id + ",path=" + sock + ",server=on,wait=off");
            cmd.add("-mon");
            cmd.add("chardev=" + id + ",mode=control" + (pretty ? ",pretty=on" : ""));
          });
      cmd.addAll(extraArgs);
      ChildProcess child =
          ChildProcess.start(dir, "qemu.log", cmd, List.copyOf(sockets.values()), startupTimeout);
      return new QemuProcess(child, Collections.unmodifiableMap(sockets));
    }
  }
}
