package org.qmp4j.sim.internal;

import java.util.List;
import org.qmp4j.schema.QapiSchema;

/**
 * The guest agent's commands as qemu-ga 7.2 declares them (qga/qapi-schema.json): argument and
 * return types for the commands the simulator models, and the list {@code guest-info} reports, in
 * qemu-ga's order, with each command's {@code success-response} flag.
 */
public final class GuestAgentSchema {
  private GuestAgentSchema() {}

  /** One entry of {@code guest-info}'s {@code supported_commands}. */
  public record Entry(String name, boolean modelled, boolean successResponse) {}

  /**
   * qemu-ga 7.2's commands on Linux, in the order its {@code guest-info} lists them (observed).
   * Those not modelled are reported disabled and answer as disabled commands do.
   */
  public static final List<Entry> COMMANDS =
      List.of(
          new Entry("guest-get-cpustats", false, true),
          new Entry("guest-get-diskstats", false, true),
          new Entry("guest-ssh-remove-authorized-keys", false, true),
          new Entry("guest-ssh-add-authorized-keys", false, true),
          new Entry("guest-ssh-get-authorized-keys", false, true),
          new Entry("guest-get-devices", false, true), // disabled on Linux by qemu-ga itself
          new Entry("guest-get-osinfo", true, true),
          new Entry("guest-get-timezone", true, true),
          new Entry("guest-get-users", true, true),
          new Entry("guest-get-host-name", true, true),
          new Entry("guest-exec", true, true),
          new Entry("guest-exec-status", true, true),
          new Entry("guest-get-memory-block-info", false, true),
          new Entry("guest-set-memory-blocks", false, true),
          new Entry("guest-get-memory-blocks", false, true),
          new Entry("guest-set-user-password", false, true),
          new Entry("guest-get-fsinfo", false, true),
          new Entry("guest-get-disks", false, true),
          new Entry("guest-set-vcpus", false, true),
          new Entry("guest-get-vcpus", true, true),
          new Entry("guest-network-get-interfaces", true, true),
          new Entry("guest-suspend-hybrid", true, false),
          new Entry("guest-suspend-ram", true, false),
          new Entry("guest-suspend-disk", true, false),
          new Entry("guest-fstrim", false, true),
          new Entry("guest-fsfreeze-thaw", true, true),
          new Entry("guest-fsfreeze-freeze-list", true, true),
          new Entry("guest-fsfreeze-freeze", true, true),
          new Entry("guest-fsfreeze-status", true, true),
          new Entry("guest-file-flush", true, true),
          new Entry("guest-file-seek", true, true),
          new Entry("guest-file-write", true, true),
          new Entry("guest-file-read", true, true),
          new Entry("guest-file-close", true, true),
          new Entry("guest-file-open", true, true),
          new Entry("guest-shutdown", true, false),
          new Entry("guest-info", true, true),
          new Entry("guest-set-time", true, true),
          new Entry("guest-get-time", true, true),
          new Entry("guest-ping", true, true),
          new Entry("guest-sync", true, true),
          new Entry("guest-sync-delimited", true, true));

  /** Commands qemu-ga still runs while file systems are frozen. */
  public static final List<String> ALLOWED_WHILE_FROZEN =
      List.of(
          "guest-ping",
          "guest-info",
          "guest-sync",
          "guest-sync-delimited",
          "guest-fsfreeze-status",
          "guest-fsfreeze-thaw");

  /**
   * The schema: QAPI types of the modelled commands; commands not modelled take any arguments,
   * since qemu-ga reports a disabled command before it looks at the arguments.
   */
  public static QapiSchema schema() {
    QapiSchema.Builder b = QapiSchema.newBuilder();
    b.enumType("QGASeek", "set", "cur", "end")
        .alternate("GuestFileWhence", "int", "QGASeek")
        .enumType("GuestFsfreezeStatus", "thawed", "frozen")
        .enumType("GuestIpAddressType", "ipv4", "ipv6")
        .object(
            "GuestAgentCommandInfo",
            o ->
                o.member("name", "str")
                    .member("enabled", "bool")
                    .member("success-response", "bool"))
        .object(
            "GuestAgentInfo",
            o -> o.member("version", "str").member("supported_commands", "[GuestAgentCommandInfo]"))
        .object(
            "GuestFileRead",
            o -> o.member("count", "int").member("buf-b64", "str").member("eof", "bool"))
        .object("GuestFileWrite", o -> o.member("count", "int").member("eof", "bool"))
        .object("GuestFileSeek", o -> o.member("position", "int").member("eof", "bool"))
        .object(
            "GuestExecStatus",
            o ->
                o.member("exited", "bool")
                    .optional("exitcode", "int")
                    .optional("signal", "int")
                    .optional("out-data", "str")
                    .optional("err-data", "str")
                    .optional("out-truncated", "bool")
                    .optional("err-truncated", "bool"))
        .object("GuestExec", o -> o.member("pid", "int"))
        .object("GuestHostName", o -> o.member("host-name", "str"))
        .object(
            "GuestUser",
            o -> o.member("user", "str").member("login-time", "number").optional("domain", "str"))
        .object("GuestTimezone", o -> o.optional("zone", "str").member("offset", "int"))
        .object(
            "GuestOSInfo",
            o ->
                o.optional("kernel-release", "str")
                    .optional("kernel-version", "str")
                    .optional("machine", "str")
                    .optional("id", "str")
                    .optional("name", "str")
                    .optional("pretty-name", "str")
                    .optional("version", "str")
                    .optional("version-id", "str")
                    .optional("variant", "str")
                    .optional("variant-id", "str"))
        .object(
            "GuestIpAddress",
            o ->
                o.member("ip-address", "str")
                    .member("ip-address-type", "GuestIpAddressType")
                    .member("prefix", "int"))
        .object(
            "GuestNetworkInterfaceStat",
            o ->
                o.member("rx-bytes", "uint64")
                    .member("rx-packets", "uint64")
                    .member("rx-errs", "uint64")
                    .member("rx-dropped", "uint64")
                    .member("tx-bytes", "uint64")
                    .member("tx-packets", "uint64")
                    .member("tx-errs", "uint64")
                    .member("tx-dropped", "uint64"))
        .object(
            "GuestNetworkInterface",
            o ->
                o.member("name", "str")
                    .optional("hardware-address", "str")
                    .optional("ip-addresses", "[GuestIpAddress]")
                    .optional("statistics", "GuestNetworkInterfaceStat"))
        .object(
            "GuestLogicalProcessor",
            o ->
                o.member("logical-id", "int")
                    .member("online", "bool")
                    .optional("can-offline", "bool"));
    for (Entry e : COMMANDS) {
      String n = e.name();
      if (!e.modelled()) {
        b.command(n, c -> c.freeForm());
        continue;
      }
      switch (n) {
        case "guest-sync-delimited", "guest-sync" ->
            b.command(n, c -> c.args(o -> o.member("id", "int")).returns("int"));
        case "guest-ping", "guest-suspend-disk", "guest-suspend-ram", "guest-suspend-hybrid" ->
            b.command(n, c -> {});
        case "guest-get-time" -> b.command(n, c -> c.returns("int"));
        case "guest-set-time" -> b.command(n, c -> c.args(o -> o.optional("time", "int")));
        case "guest-info" -> b.command(n, c -> c.returns("GuestAgentInfo"));
        case "guest-shutdown" -> b.command(n, c -> c.args(o -> o.optional("mode", "str")));
        case "guest-file-open" ->
            b.command(
                n,
                c -> c.args(o -> o.member("path", "str").optional("mode", "str")).returns("int"));
        case "guest-file-close", "guest-file-flush" ->
            b.command(n, c -> c.args(o -> o.member("handle", "int")));
        case "guest-file-read" ->
            b.command(
                n,
                c ->
                    c.args(o -> o.member("handle", "int").optional("count", "int"))
                        .returns("GuestFileRead"));
        case "guest-file-write" ->
            b.command(
                n,
                c ->
                    c.args(
                            o ->
                                o.member("handle", "int")
                                    .member("buf-b64", "str")
                                    .optional("count", "int"))
                        .returns("GuestFileWrite"));
        case "guest-file-seek" ->
            b.command(
                n,
                c ->
                    c.args(
                            o ->
                                o.member("handle", "int")
                                    .member("offset", "int")
                                    .member("whence", "GuestFileWhence"))
                        .returns("GuestFileSeek"));
        case "guest-fsfreeze-status" -> b.command(n, c -> c.returns("GuestFsfreezeStatus"));
        case "guest-fsfreeze-freeze", "guest-fsfreeze-thaw" -> b.command(n, c -> c.returns("int"));
        case "guest-fsfreeze-freeze-list" ->
            b.command(n, c -> c.args(o -> o.optional("mountpoints", "[str]")).returns("int"));
        case "guest-network-get-interfaces" ->
            b.command(n, c -> c.returns("[GuestNetworkInterface]"));
        case "guest-get-vcpus" -> b.command(n, c -> c.returns("[GuestLogicalProcessor]"));
        case "guest-exec-status" ->
            b.command(n, c -> c.args(o -> o.member("pid", "int")).returns("GuestExecStatus"));
        case "guest-exec" ->
            b.command(
                n,
                c ->
                    c.args(
                            o ->
                                o.member("path", "str")
                                    .optional("arg", "[str]")
                                    .optional("env", "[str]")
                                    .optional("input-data", "str")
                                    .optional("capture-output", "bool"))
                        .returns("GuestExec"));
        case "guest-get-host-name" -> b.command(n, c -> c.returns("GuestHostName"));
        case "guest-get-users" -> b.command(n, c -> c.returns("[GuestUser]"));
        case "guest-get-timezone" -> b.command(n, c -> c.returns("GuestTimezone"));
        case "guest-get-osinfo" -> b.command(n, c -> c.returns("GuestOSInfo"));
        default -> throw new IllegalStateException("no schema for " + n);
      }
    }
    return b.build();
  }
}
