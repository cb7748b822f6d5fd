package org.qmp4j.conformance;

import java.nio.file.Path;
import org.qmp4j.testing.QemuProcess;

/**
 * QEMU 7.2 as {@link QemuProcess} starts it ({@code -S -machine none -nodefaults -display none}),
 * with one QMP monitor per {@link Transcript.Monitor}, each on its own socket chardev (a socket
 * chardev serves one client at a time, so sessions that are open together use different monitors).
 */
final class QemuTarget implements Target {
  private final QemuProcess qemu;

  private QemuTarget(QemuProcess qemu) {
    this.qemu = qemu;
  }

  /** Starts QEMU; skips the calling test without QEMU, or fails it under {@code CI=true}. */
  static QemuTarget start() {
    QemuProcess.Builder b = QemuProcess.builder();
    for (Transcript.Monitor m : Transcript.Monitor.values()) {
      if (m.pretty) {
        b.prettyMonitor(m.id);
      } else {
        b.monitor(m.id);
      }
    }
    return new QemuTarget(b.start());
  }

  @Override
  public String name() {
    return "QEMU";
  }

  @Override
  public Path socket(Transcript.Monitor monitor) {
    return qemu.socket(monitor.id);
  }

  /** What QEMU printed (for messages when it died). */
  String output() {
    return qemu.output();
  }

  boolean alive() {
    return qemu.process().isAlive();
  }

  @Override
  public void close() {
    qemu.close();
  }
}
