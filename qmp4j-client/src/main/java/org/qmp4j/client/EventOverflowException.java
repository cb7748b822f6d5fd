package org.qmp4j.client;

import org.qmp4j.protocol.QmpException;

/**
 * An event subscription with {@link OverflowPolicy#FAIL_SUBSCRIBER} could not keep up: its queue
 * was full when another event arrived. The subscription ends with this exception after the events
 * already queued have been delivered.
 */
public class EventOverflowException extends QmpException {
  private static final long serialVersionUID = 1L;

  private final int capacity;

  public EventOverflowException(int capacity, String event) {
    super(
        "event subscription overflowed: its queue of "
            + capacity
            + " events was full when "
            + event
            + " arrived; the subscription is closed (policy FAIL_SUBSCRIBER)");
    this.capacity = capacity;
  }

  /** The queue capacity that was exceeded. */
  public int capacity() {
    return capacity;
  }
}
