package org.qmp4j.bench.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The messages the codec benchmarks read and write, as bytes on the wire. */
public final class Messages {
  private Messages() {}

  /** A client's request, as the QMP specification writes it. */
  public static final String REQUEST = "{\"execute\":\"query-status\",\"id\":1}";

  /** A typical event in QEMU's compact output form, CRLF included. */
  public static final String EVENT =
      "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 123456},"
          + " \"event\": \"BLOCK_JOB_COMPLETED\", \"data\": {\"device\": \"drive0\","
          + " \"len\": 10737418240, \"offset\": 10737418240, \"speed\": 0, \"type\": \"backup\"}}\r\n";

  /**
   * Resource holding QEMU 7.2's reply to {@code query-qmp-schema}, recorded by record-schema.sh.
   */
  public static final String SCHEMA_RESOURCE = "/qemu-7.2-query-qmp-schema.json";

  /** The bytes of the named message: {@code request}, {@code event} or {@code schema}. */
  public static byte[] bytes(String name) {
    switch (name) {
      case "request":
        return REQUEST.getBytes(StandardCharsets.UTF_8);
      case "event":
        return EVENT.getBytes(StandardCharsets.UTF_8);
      case "schema":
        return resource(SCHEMA_RESOURCE);
      default:
        throw new IllegalArgumentException("unknown message " + name);
    }
  }

  private static byte[] resource(String name) {
    try (InputStream in = Messages.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
