package org.qmp4j.sim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import org.qmp4j.protocol.QmpErrorException;

/**
 * Block jobs (stream, commit, mirror, backup) that progress over time through QEMU's job states,
 * with the JOB_STATUS_CHANGE and BLOCK_JOB_* events QEMU 7.2 emits. Guarded by the machine's
 * monitor.
 */
public final class Jobs {
  /** Bytes a job with speed 0 (unlimited) copies per tick. */
  static final long UNLIMITED_CHUNK = 16L << 20;

  final class Job {
    final String id;
    final String type;
    final Block.Drive drive;
    final long len;
    final boolean autoFinalize;
    final boolean autoDismiss;
    long offset;
    long speed;
    String status = "created";
    boolean userPaused;
    boolean cancelled;
    boolean completeRequested;

    /** A mirror's target: a node (blockdev-mirror) or a new auto-named one for drive-mirror. */
    Block.Node target;

    String error;
    String ioStatus = "ok";
    ScheduledFuture<?> timer;

    Job(String id, String type, Block.Drive drive, long len, JsonNode args) {
      this.id = id;
      this.type = type;
      this.drive = drive;
      this.len = len;
      this.speed = Json.num(args, "speed", 0);
      this.autoFinalize = Json.bool(args, "auto-finalize", true);
      this.autoDismiss = Json.bool(args, "auto-dismiss", true);
    }

    boolean ready() {
      return status.equals("ready") || status.equals("standby");
    }
  }

  private final Machine machine;
  private final Block block;
  final Map<String, Job> jobs = new LinkedHashMap<>();

  /** Target images drive-backup and drive-mirror have created (the host is not written to). */
  private final Set<String> created = new HashSet<>();

  Jobs(Machine machine, Block block) {
    this.machine = machine;
    this.block = block;
  }

  private void status(Job j, String status) {
    j.status = status;
    machine.emit("JOB_STATUS_CHANGE", Json.obj("status", status, "id", j.id));
  }

  private ObjectNode info(Job j) {
    return Json.obj(
        "device", j.id, "len", j.len, "offset", j.offset, "speed", j.speed, "type", j.type);
  }

  // ---------------------------------------------------------------------------------------------
  // Starting

  void start(String command, JsonNode args) {
    boolean blockdevMirror = command.equals("blockdev-mirror");
    String type = blockdevMirror ? "mirror" : command;
    String device = Json.str(args, "device", "");
    Block.Drive d = block.drives.get(device);
    if (d == null) {
      Block.Node byNode = block.nodes.get(device);
      d = byNode == null ? null : block.drives.get(byNode.attachedTo);
    }
    if (d == null && type.equals("commit")) {
      throw Block.deviceNotFound(device); // block-commit looks for a device, then a node
    }
    if (d == null) {
      throw Machine.error("Cannot find device='" + device + "' nor node-name='" + device + "'");
    }
    if (d.medium == null) {
      throw Machine.error("Device '" + device + "' has no medium");
    }
    for (Job other : jobs.values()) {
      if (other.drive == d) {
        if (other.status.equals("ready")) {
          // Opening the new job's nodes drains the drive twice: a ready job goes to standby and
          // back each time, as QEMU 7.2 shows.
          for (int i = 0; i < 2; i++) {
            status(other, "standby");
            status(other, "ready");
          }
        }
        throw Machine.error(
            "Node '" + d.id + "' is busy: block device is in use by block job: " + other.type);
      }
    }
    String id = Json.str(args, "job-id", d.id);
    if (jobs.containsKey(id)) {
      throw Machine.error("Job ID '" + id + "' already in use");
    }
    if (type.equals("backup") || (type.equals("mirror") && !blockdevMirror)) {
      openTarget(Json.str(args, "target", ""), Json.str(args, "mode", "absolute-paths"));
    }
    long len;
    switch (type) {
      case "commit":
        if (Json.str(args, "top", null) == null && Json.str(args, "top-node", null) == null) {
          throw Machine.error("cannot commit an image into itself");
        }
        len = d.medium.actualSize;
        break;
      case "stream":
        len = 0; // images have no backing file here: nothing to copy
        break;
      case "mirror":
        // A mirror copies what is allocated, unless it must zero its target first (sync full to
        // a target that may hold data: any blockdev-mirror target, or drive-mirror's mode
        // existing); a target without write-zeroes-with-unmap is then copied whole.
        boolean full = Json.str(args, "sync", "").equals("full");
        boolean zeroTarget =
            full && (blockdevMirror || Json.str(args, "mode", "").equals("existing"));
        len = zeroTarget ? d.medium.virtualSize : d.medium.allocated;
        break;
      default:
        len = d.medium.virtualSize;
    }
    Job j = new Job(id, type, d, len, args);
    if (blockdevMirror) {
      String target = Json.str(args, "target", "");
      j.target = block.nodes.get(target);
      if (j.target == null) {
        throw Machine.error("Cannot find device='" + target + "' nor node-name='" + target + "'");
      }
    } else if (type.equals("mirror")) {
      String format = Json.str(args, "format", d.medium.format);
      j.target =
          block.unattachedNode(
              Json.str(args, "target", ""), format, d.medium.virtualSize, d.medium.virtualSize);
    }
    jobs.put(id, j);
    status(j, "created");
    status(j, "running");
    if (type.equals("backup")) {
      // drive-backup drains the disk while its job starts: the job pauses and runs again.
      status(j, "paused");
      status(j, "running");
      if (Json.str(args, "sync", "").equals("none")) {
        return; // copies only what the guest overwrites: runs until cancelled
      }
    }
    if (j.len == 0 && !type.equals("mirror")) {
      progress(j); // nothing to copy: done within the command, as QEMU's coroutine is
    } else {
      arm(j);
    }
  }

  /**
   * The target image of drive-backup or drive-mirror: QEMU creates it (mode absolute-paths, in a
   * directory that must exist) or opens it (mode existing). The simulator remembers what it
   * "created" instead of writing it.
   */
  private void openTarget(String target, String mode) {
    Path t = Path.of(target);
    if (mode.equals("existing")) {
      if (!created.contains(target) && !Files.exists(t)) {
        throw Machine.error("Could not open '" + target + "': No such file or directory");
      }
      return;
    }
    Path parent = t.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw Machine.error("Could not create '" + target + "': No such file or directory");
    }
    created.add(target);
  }

  private void arm(Job j) {
    j.timer =
        machine.schedule(
            machine.tick(),
            () -> {
              synchronized (machine) {
                if (jobs.get(j.id) == j && j.status.equals("running")) {
                  progress(j);
                }
              }
            });
  }

  private void progress(Job j) {
    long step =
        j.speed == 0
            ? Math.max(UNLIMITED_CHUNK, j.len / 5)
            : Math.max(1, j.speed * machine.tick().toMillis() / 1000);
    j.offset = Math.min(j.len, j.offset + step);
    if (j.offset < j.len) {
      arm(j);
      return;
    }
    if (j.type.equals("mirror")) {
      status(j, "ready");
      machine.emit("BLOCK_JOB_READY", info(j));
      if (j.completeRequested) {
        finish(j);
      }
      return;
    }
    finish(j);
  }

  private void finish(Job j) {
    if (j.completeRequested && j.target != null) {
      block.switchOver(j.drive, j.target, j.len); // the mirror's device now uses the target
    }
    status(j, "waiting");
    status(j, "pending");
    if (j.autoFinalize) {
      finalizeJob(j);
    } else {
      machine.emit("BLOCK_JOB_PENDING", Json.obj("type", j.type, "id", j.id));
    }
  }

  private void finalizeJob(Job j) {
    ObjectNode data = info(j);
    if (j.error != null) {
      data.put("error", j.error);
    }
    if (j.cancelled && j.error == null) {
      machine.emit("BLOCK_JOB_CANCELLED", data);
    } else {
      machine.emit("BLOCK_JOB_COMPLETED", data);
    }
    status(j, "concluded");
    if (j.autoDismiss) {
      dismiss(j);
    }
  }

  private void dismiss(Job j) {
    status(j, "null");
    jobs.remove(j.id);
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  private Job find(String id) {
    Job j = jobs.get(id);
    if (j == null) {
      throw new QmpErrorException.DeviceNotActiveException(
          "Block job '" + id + "' not found", null, null);
    }
    return j;
  }

  private Job findJob(String id) {
    Job j = jobs.get(id);
    if (j == null) {
      throw Machine.error("Job not found");
    }
    return j;
  }

  private static QmpErrorException verb(Job j, String verb) {
    return Machine.error(
        "Job '" + j.id + "' in state '" + j.status + "' cannot accept command verb '" + verb + "'");
  }

  ArrayNode queryBlockJobs() {
    ArrayNode out = Json.arr();
    for (Job j : jobs.values()) {
      ObjectNode e = Json.obj("auto-finalize", j.autoFinalize, "io-status", j.ioStatus);
      e.put("device", j.id);
      e.put("auto-dismiss", j.autoDismiss);
      e.put("busy", false);
      e.put("len", j.len);
      e.put("offset", j.offset);
      e.put("status", j.status);
      e.put("paused", j.userPaused);
      e.put("speed", j.speed);
      e.put("ready", j.ready());
      e.put("type", j.type);
      if (j.error != null) {
        e.put("error", j.error);
      }
      out.add(e);
    }
    return out;
  }

  ArrayNode queryJobs() {
    ArrayNode out = Json.arr();
    for (Job j : jobs.values()) {
      ObjectNode e = Json.obj("current-progress", j.offset, "status", j.status);
      e.put("total-progress", j.len);
      e.put("type", j.type);
      e.put("id", j.id);
      if (j.error != null) {
        e.put("error", j.error);
      }
      out.add(e);
    }
    return out;
  }

  void setSpeed(String id, long speed) {
    Job j = find(id);
    if (speed < 0) {
      throw Machine.error("Parameter 'speed' expects a non-negative value");
    }
    j.speed = speed;
  }

  void pause(String id, boolean jobApi) {
    Job j = jobApi ? findJob(id) : find(id);
    if (!(j.status.equals("running") || j.status.equals("ready"))) {
      throw verb(j, "pause");
    }
    j.userPaused = true;
    status(j, j.status.equals("ready") ? "standby" : "paused");
  }

  void resume(String id, boolean jobApi) {
    Job j = jobApi ? findJob(id) : find(id);
    if (!j.userPaused) {
      throw verb(j, "resume");
    }
    j.userPaused = false;
    j.ioStatus = "ok";
    if (j.status.equals("standby")) {
      status(j, "ready");
    } else {
      status(j, "running");
      arm(j);
    }
  }

  void cancel(String id, boolean force, boolean jobApi) {
    Job j = jobApi ? findJob(id) : find(id);
    if (j.status.equals("concluded") || j.status.equals("null") || j.status.equals("aborting")) {
      throw verb(j, "cancel");
    }
    if (j.timer != null) {
      j.timer.cancel(false);
    }
    if (j.ready() && !force && !jobApi) {
      // A mirror cancelled once ready completes without switching over (BLOCK_JOB_COMPLETED).
      finish(j);
      return;
    }
    j.cancelled = true;
    status(j, "aborting");
    finalizeJob(j);
  }

  void complete(String id, boolean jobApi) {
    Job j = jobApi ? findJob(id) : find(id);
    if (!j.status.equals("ready")) {
      throw verb(j, "complete");
    }
    // The job switches over in its own coroutine, after the command's reply.
    j.completeRequested = true;
    machine.schedule(
        machine.tick(),
        () -> {
          synchronized (machine) {
            if (jobs.get(j.id) == j && j.status.equals("ready")) {
              finish(j);
            }
          }
        });
  }

  void finalizeCommand(String id, boolean jobApi) {
    Job j = jobApi ? findJob(id) : find(id);
    if (!j.status.equals("pending")) {
      throw verb(j, "finalize");
    }
    finalizeJob(j);
  }

  void dismissCommand(String id, boolean jobApi) {
    Job j = jobApi ? findJob(id) : find(id);
    if (!j.status.equals("concluded")) {
      throw verb(j, "dismiss");
    }
    dismiss(j);
  }

  void resetIoStatus() {
    for (Job j : jobs.values()) {
      j.ioStatus = "ok";
    }
  }

  /**
   * The job meets an I/O error and handles it by {@code action}: report (the job fails), stop (it
   * pauses, io-status failed) or ignore (it goes on). BLOCK_JOB_ERROR first in each case.
   */
  public void error(String id, String operation, String action) {
    synchronized (machine) {
      Job j = find(id);
      machine.emit(
          "BLOCK_JOB_ERROR", Json.obj("device", j.id, "operation", operation, "action", action));
      switch (action) {
        case "stop":
          j.userPaused = true;
          j.ioStatus = "failed";
          if (j.timer != null) {
            j.timer.cancel(false);
          }
          status(j, j.ready() ? "standby" : "paused");
          break;
        case "report":
          if (j.timer != null) {
            j.timer.cancel(false);
          }
          j.error = "Input/output error";
          status(j, "aborting");
          finalizeJob(j);
          break;
        default:
          break;
      }
    }
  }
}
