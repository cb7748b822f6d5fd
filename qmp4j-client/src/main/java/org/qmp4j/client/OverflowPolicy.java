package org.qmp4j.client;

/**
 * What an event subscription does when an event arrives and its queue is full. Whatever the policy,
 * the connection's reader never waits for a subscriber, so replies and other subscribers are never
 * delayed by a slow one.
 *
 * <p>The two dropping policies leave a visible marker in the stream where events went missing: a
 * synthetic event named {@link EventSubscription#DROPPED_EVENT} with data {@code {"count": N,
 * "policy": "drop-oldest"}} (or {@code "drop-newest"}).
 */
public enum OverflowPolicy {
  /** Discard the oldest queued event to make room; the marker takes its place at the head. */
  DROP_OLDEST,
  /** Discard the arriving event; the marker follows the events that were kept. */
  DROP_NEWEST,
  /**
   * End the subscription: queued events are still delivered, then the subscriber sees an {@link
   * EventOverflowException} (as {@code onError}, as the iterator's exception, or as the {@link
   * EventSubscription#closeFuture()}'s failure).
   */
  FAIL_SUBSCRIBER
}
