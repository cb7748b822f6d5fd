package org.qmp4j.client;

/** Where a {@link QmpClient} is in its life. */
public enum ConnectionState {
  /** Built, {@link QmpClient#connect()} not called yet: subscriptions can already be made. */
  NEW,
  /** Connecting, waiting for the greeting, or negotiating. */
  CONNECTING,
  /** Negotiated: commands can be executed. */
  CONNECTED,
  /**
   * The connection was lost and the client is trying to make a new one (see {@link
   * ReconnectPolicy}).
   */
  RECONNECTING,
  /** Closed by the caller, or lost for good. */
  CLOSED
}
