package org.qmp4j.client;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.qmp4j.protocol.QmpEvent;

/**
 * A subscription to a client's events: a filter, a bounded queue with an {@link OverflowPolicy},
 * and a consumer (a callback, a {@link Flow.Subscriber}, or a blocking {@link EventStream}).
 *
 * <p>The connection's reader thread only ever <em>offers</em> an event to each matching
 * subscription's queue; it never waits for a subscriber. Callbacks and {@code Flow} subscribers run
 * on the subscription's executor (the client's by default), one event at a time and in order, never
 * on the reader thread; a slow subscriber holds up nobody but itself.
 *
 * <h2>Markers</h2>
 *
 * Besides the peer's events, every subscription receives two kinds of synthetic marker events,
 * <em>whatever its filter</em> (its names and predicates are not asked): {@link #DROPPED_EVENT}
 * where its queue overflowed and {@link #GAP_EVENT} after a reconnect. Their data has other members
 * than the events the subscription asked for, so test with {@link #isMarker(QmpEvent)} before
 * reading an event's data:
 *
 * <pre>{@code
 * qmp.subscribe(e -> {
 *   if (EventSubscription.isMarker(e)) { rescanDevices(); return; } // events may be missing
 *   deviceGone(e.data().get("device").asText());                    // a DEVICE_DELETED
 * }, "DEVICE_DELETED");
 * }</pre>
 *
 * <p>Subscriptions outlive reconnects. They end when closed, when the client closes (normally) or
 * gives up reconnecting (with the connection exception), or on overflow with {@link
 * OverflowPolicy#FAIL_SUBSCRIBER}.
 */
public interface EventSubscription extends AutoCloseable {

  /**
   * Name of the marker event left where events were dropped; its data is {@code {"count": N,
   * "policy": "drop-oldest"|"drop-newest"}}. Named as QMP names downstream extensions, so it can
   * never collide with a QEMU event.
   */
  String DROPPED_EVENT = "__org.qmp4j_EVENTS_DROPPED";

  /**
   * Name of the marker event delivered after the client reconnected ({@link ReconnectPolicy}):
   * events may have been missed while it was away. Every subscription receives it before any event
   * of the new connection; events that arrived while the client reconnected follow it. Its data has
   * these members:
   *
   * <ul>
   *   <li>{@code "reason"} (string): why the lost connection ended, the message of its {@link
   *       QmpConnectionLostException} or other failure;
   *   <li>{@code "down-ms"} (number): milliseconds from the loss until the new connection was
   *       negotiated (and resynchronised);
   *   <li>{@code "attempts"} (number): connection attempts it took, the successful one included;
   *   <li>{@code "version"} (object): the new peer's greeting's {@code version}, {@code {"qemu":
   *       {"major": 7, "minor": 2, "micro": 0}, "package": "..."}};
   *   <li>{@code "capabilities"} (array): the new peer's greeting's {@code capabilities}, e.g.
   *       {@code ["oob"]};
   *   <li>{@code "peer-changed"} (boolean): whether that version or those capabilities differ from
   *       the lost connection's greeting (QEMU was restarted as another version, say);
   *   <li>{@code "resync"} (object), only if the policy has {@linkplain ReconnectPolicy#resync
   *       resync commands}: each command's answer from the new peer, keyed by its name, in QMP's
   *       reply shape, {@code {"return": ...}} or {@code {"error": {"class": ..., "desc": ...}}},
   *       the class {@code "Timeout"} for no answer in time;
   *   <li>{@code "events-dropped"} (number), only if any were: events that arrived while the client
   *       reconnected and were dropped because more than 10,000 were held back.
   * </ul>
   *
   * <p>The marker's timestamp is when the client made it.
   */
  String GAP_EVENT = "__org.qmp4j_CONNECTION_GAP";

  /** Default queue capacity: 1024 events. */
  int DEFAULT_CAPACITY = 1024;

  /** Default overflow policy: {@link OverflowPolicy#DROP_OLDEST}. */
  OverflowPolicy DEFAULT_OVERFLOW = OverflowPolicy.DROP_OLDEST;

  /**
   * Whether {@code event} is one of the client's synthetic markers ({@link #DROPPED_EVENT}, {@link
   * #GAP_EVENT}) rather than the peer's. Markers reach every subscription whatever its filter.
   */
  static boolean isMarker(QmpEvent event) {
    return DROPPED_EVENT.equals(event.name()) || GAP_EVENT.equals(event.name());
  }

  /** The filter events must pass. */
  EventFilter filter();

  /** The queue's capacity. */
  int capacity();

  /** What happens when the queue is full. */
  OverflowPolicy overflowPolicy();

  /** How many events this subscription dropped so far. */
  long droppedCount();

  /** How many events wait in the queue now. */
  int queued();

  /**
   * Whether the subscription has ended (as soon as it ends: an {@link EventStream} may still hold
   * events to take then; see {@link EventStream#isEnded()}).
   */
  boolean isClosed();

  /**
   * Completes when the subscription ends: normally when closed by you or the client, exceptionally
   * with {@link EventOverflowException} or the connection exception.
   */
  CompletableFuture<Void> closeFuture();

  /** Stops the subscription; events still queued are discarded. Idempotent. */
  @Override
  void close();

  /**
   * Configures a subscription, then starts it with {@link #subscribe}, {@link #stream} or {@link
   * #publisher}. Not thread-safe; may be reused to start several subscriptions.
   */
  interface Builder {
    /** Only events with these names (markers are delivered all the same, see {@link #isMarker}). */
    Builder names(String... names);

    /**
     * Only events passing {@code filter} (replaces names set before). Markers bypass the filter.
     */
    Builder filter(EventFilter filter);

    /**
     * Only events for which {@code predicate} also holds. Runs on the reader thread. Markers are
     * not passed to it: they are delivered all the same.
     */
    Builder where(Predicate<? super QmpEvent> predicate);

    /** The queue's capacity, at least 1 (default {@value EventSubscription#DEFAULT_CAPACITY}). */
    Builder capacity(int capacity);

    /** What to do when the queue is full (default {@link OverflowPolicy#DROP_OLDEST}). */
    Builder overflow(OverflowPolicy policy);

    /** Where callbacks and {@code Flow} subscribers run (default: the client's executor). */
    Builder executor(Executor executor);

    /**
     * Starts a subscription that calls {@code listener} for each event, in order, one at a time, on
     * the executor. An exception thrown by the listener is logged and does not end the
     * subscription.
     */
    EventSubscription subscribe(Consumer<? super QmpEvent> listener);

    /** Starts a subscription consumed by pulling: {@link EventStream#poll}, or iteration. */
    EventStream stream();

    /**
     * A publisher: each {@link Flow.Publisher#subscribe} starts a subscription of its own with this
     * configuration, delivered as {@code Flow} prescribes (demand through {@code request(n)}; the
     * bounded queue and the overflow policy still apply to events the subscriber has not asked for
     * yet). {@code onComplete} when the subscription is closed, {@code onError} on overflow (with
     * {@link OverflowPolicy#FAIL_SUBSCRIBER}) or when the connection is lost for good.
     */
    Flow.Publisher<QmpEvent> publisher();
  }
}
