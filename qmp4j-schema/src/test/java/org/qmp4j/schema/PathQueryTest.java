package org.qmp4j.schema;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** libvirt-style path queries on QEMU 7.2's schema as its introspection reports it. */
class PathQueryTest {
  private static final QapiSchema QEMU =
      QapiSchema.fromIntrospection(ValidationTable.loadGzip(ValidationTable.SCHEMA_RESOURCE));

  @ParameterizedTest
  @ValueSource(
      strings = {
        "query-status",
        "SHUTDOWN",
        "query-status/ret-type/status/^running",
        "query-status/ret-type/singlestep/!boolean",
        "SHUTDOWN/arg-type/reason/^host-qmp-quit",
        "blockdev-add/arg-type/+file/drop-cache",
        "blockdev-add/arg-type/+file/*drop-cache",
        "blockdev-add/arg-type/+qcow2/file/+file/filename",
        "blockdev-add/arg-type/+qcow2/file/!string",
        "blockdev-add/arg-type/driver/^qcow2",
        "migrate-set-parameters/arg-type/*tls-creds",
        "migrate-set-parameters/arg-type/tls-creds/!null",
        "migrate-set-parameters/arg-type/block-bitmap-mapping/bitmaps/transform/persistent",
        "qmp_capabilities/arg-type/enable/^oob",
        "migrate-set-capabilities/arg-type/capabilities/capability/^x-colo/$unstable",
        "drive-backup/$deprecated",
        "MEM_UNPLUG_ERROR/$deprecated",
        "qom-get/arg-type/path/!string",
        "query-qmp-schema/ret-type/meta-type/^alternate",
        "0"
      })
  void exists(String path) {
    assertTrue(QEMU.supports(path), path);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "no-such-command",
        "query-status/arg-type/x",
        "query-status/ret-type/status/^flying",
        "query-status/ret-type/status/!int",
        "blockdev-add/arg-type/+file/no-such-member",
        "blockdev-add/arg-type/+nope",
        "blockdev-add/arg-type/*driver",
        "blockdev-add/arg-type/driver/$deprecated",
        "SHUTDOWN/ret-type",
        "query-status/$deprecated",
        "drive-backup/$deprecated/more",
        "migrate-set-capabilities/arg-type/capabilities/capability/^x-colo/$deprecated",
        "migrate-set-capabilities/arg-type/capabilities/capability/^x-colo/zz",
        "query-status/^x",
        "qom-get/arg-type/path/x",
        "query-status//status"
      })
  void doesNotExist(String path) {
    assertFalse(QEMU.supports(path), path);
  }

  @Test
  void namesNotStartingWithALetterNeedASpace() {
    QapiSchema s =
        QapiSchema.newBuilder()
            .command(
                "__org.example_cmd", c -> c.args(o -> o.member("_x", "str").member("9y", "int")))
            .build();
    assertTrue(s.supports("__org.example_cmd"));
    assertTrue(s.supports("__org.example_cmd/arg-type/ _x"));
    assertTrue(s.supports("__org.example_cmd/arg-type/ 9y/!int"));
    assertFalse(s.supports("__org.example_cmd/arg-type/_x"));
  }
}
