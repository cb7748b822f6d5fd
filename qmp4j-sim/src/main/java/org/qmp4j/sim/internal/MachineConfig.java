package org.qmp4j.sim.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.qmp4j.protocol.QmpVersion;

/**
 * Everything {@link org.qmp4j.sim.SimulatedMachine.Builder} collected, resolved the way QEMU
 * resolves its command line (see {@link MachineOptions}).
 *
 * @param machineType {@code pc}, {@code q35} or {@code none}
 * @param kvm whether {@code accel=kvm} was asked for ({@code query-kvm}'s {@code enabled})
 * @param blockdevs {@code -blockdev} options, in order, as {@code blockdev-add} arguments
 * @param drives block backends with their media, in QEMU's order
 * @param devices devices given at start, in the order QEMU creates them
 * @param maxMemoryBytes {@code -m maxmem=}: the most memory with hot-plugged DIMMs ({@code
 *     memoryBytes} when not given)
 * @param memorySlots {@code -m slots=}: DIMM slots (0 when not given)
 * @param objects {@code -object} options, in order, as {@code object-add} arguments
 */
public record MachineConfig(
    String name,
    UUID uuid,
    boolean startPaused,
    boolean noShutdown,
    boolean noReboot,
    long memoryBytes,
    int cpus,
    String machineType,
    boolean kvm,
    List<ObjectNode> blockdevs,
    List<DriveSpec> drives,
    List<DeviceSpec> devices,
    QmpVersion version,
    Duration guestPowerdownDelay,
    Duration guestUnplugDelay,
    Duration tick,
    long maxMemoryBytes,
    int memorySlots,
    List<ObjectNode> objects) {

  /**
   * A block backend (what {@code query-block} lists).
   *
   * @param id the backend's name ({@code query-block}'s {@code device}); "" for a backend a device
   *     made for a {@code -blockdev} node or for an empty CD-ROM
   * @param deviceId the id of the guest device it is attached to (what {@code id} arguments name),
   *     or null
   * @param qdev {@code query-block}'s {@code qdev}, or null when no device is attached
   * @param removable {@code query-block}'s {@code removable}: a CD-ROM, or no device at all
   * @param tray the device has a tray (a CD-ROM)
   * @param file the image, or null for no medium
   * @param format the image's format ({@code drv})
   * @param nodeName the medium's node name, null for an automatic {@code #blockNNN}, or the name of
   *     a {@code -blockdev} node (then file, format and sizes are the node's)
   * @param actualSize the image's size on the host; negative: a 64th of the virtual size
   * @param rerror null for QEMU's default (report)
   * @param werror null for QEMU's default (enospc)
   */
  public record DriveSpec(
      String id,
      String deviceId,
      String qdev,
      boolean removable,
      boolean tray,
      String file,
      String format,
      long virtualSize,
      long actualSize,
      boolean readOnly,
      String nodeName,
      String rerror,
      String werror) {}

  /**
   * A device given at start: {@code -device DRIVER,id=ID[,mac=...][,addr=SLOT]}.
   *
   * @param id null for an anonymous device
   * @param slot the PCI slot asked for, or -1 for the first free one
   * @param portName a {@code virtserialport}'s {@code name} (what the guest sees: {@code
   *     org.qemu.guest_agent.0} for the guest agent's channel), or null
   * @param chardev the {@code chardev} property (the host side of a port), or null
   * @param memdev a {@code pc-dimm}'s {@code memdev} (a memory backend's id), or null
   */
  public record DeviceSpec(
      String driver,
      String id,
      String mac,
      int slot,
      String portName,
      String chardev,
      String memdev) {

    /** A device that is not a virtio-serial port. */
    public DeviceSpec(String driver, String id, String mac, int slot) {
      this(driver, id, mac, slot, null, null, null);
    }
  }
}
