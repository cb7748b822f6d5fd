package org.qmp4j.sim.internal;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.qmp4j.protocol.QmpVersion;

/** Everything {@link org.qmp4j.sim.SimulatedMachine.Builder} collected. */
public record MachineConfig(
    String name,
    UUID uuid,
    boolean startPaused,
    boolean noShutdown,
    long memoryBytes,
    int cpus,
    List<DriveSpec> drives,
    List<DeviceSpec> devices,
    QmpVersion version,
    Duration guestPowerdownDelay,
    Duration guestUnplugDelay,
    Duration tick) {

  /** A drive: {@code -drive if=none,id=ID[,media=cdrom][,file=F] -device MODEL,drive=ID,id=DEV}. */
  public record DriveSpec(
      String id,
      String deviceId,
      String model,
      boolean cdrom,
      String file,
      String format,
      long virtualSize,
      String rerror,
      String werror) {}

  /** A device given at start: {@code -device DRIVER,id=ID[,mac=...]}. */
  public record DeviceSpec(String driver, String id, String mac) {}
}
