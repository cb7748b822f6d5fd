package org.qmp4j.server;

import java.util.Set;

/** One client connection to a {@link QmpServer}. Thread-safe view. */
public interface QmpSession {
  /** A number unique within the server. */
  long id();

  /** Where the client is, as text (a socket path, {@code host:port}, or {@code stdio}). */
  String peer();

  /** Whether {@code qmp_capabilities} has succeeded (the session receives events then). */
  boolean negotiated();

  /** Capabilities the client enabled, e.g. {@code oob}. */
  Set<String> capabilities();

  /** Whether the session still has its connection. */
  boolean open();

  /** Ends the session: the connection is closed, queued requests are dropped. */
  void close();
}
