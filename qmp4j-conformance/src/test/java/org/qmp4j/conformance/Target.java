package org.qmp4j.conformance;

import java.nio.file.Path;

/**
 * A server transcripts are replayed against: QEMU or qmp4j, with the monitors of {@link
 * Transcript.Monitor}.
 */
interface Target extends AutoCloseable {
  /** "QEMU" or "qmp4j". */
  String name();

  /** The unix socket of a monitor. */
  Path socket(Transcript.Monitor monitor);

  /** Stops the server. */
  @Override
  void close();
}
