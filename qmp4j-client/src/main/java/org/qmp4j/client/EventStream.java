package org.qmp4j.client;

import java.time.Duration;
import java.util.Iterator;
import java.util.Optional;
import org.qmp4j.protocol.QmpEvent;

/**
 * An event subscription consumed by pulling, from any thread. Use it in try-with-resources:
 *
 * <pre>{@code
 * try (EventStream events = client.events().names("BLOCK_JOB_COMPLETED").stream()) {
 *   client.execute("blockdev-backup", args);
 *   QmpEvent done = events.poll(Duration.ofMinutes(5)).orElseThrow();
 * }
 * }</pre>
 *
 * <h2>The end of a stream</h2>
 *
 * A stream ends when you close it, when the client is closed, when the client loses its connection
 * for good (it has no reconnect policy, or gave up), or when its queue overflows under {@link
 * OverflowPolicy#FAIL_SUBSCRIBER}. Events queued before the end can still be taken, except after
 * your own {@link #close()}, which discards them. Once they are taken:
 *
 * <ul>
 *   <li>ended normally (closed by you or the client): {@link #poll} returns empty at once and the
 *       iterator's {@code hasNext()} returns {@code false};
 *   <li>ended by a failure: both throw it ({@link EventOverflowException}, {@link
 *       QmpConnectionLostException}), every time they are called.
 * </ul>
 *
 * {@link #isEnded()} tells whether that point is reached, so an empty {@code poll} can be told
 * apart from a timeout:
 *
 * <pre>{@code
 * Optional<QmpEvent> e = events.poll(Duration.ofSeconds(30));
 * if (e.isEmpty() && events.isEnded()) {
 *   // the stream ended: nothing more will come
 * }
 * }</pre>
 *
 * <p>Besides QEMU's events a stream delivers the client's markers, whatever its filter (see {@link
 * EventSubscription#isMarker}).
 */
public interface EventStream extends EventSubscription, Iterable<QmpEvent> {

  /**
   * The next event, waiting up to {@code timeout}; empty if none came in time, or at once if the
   * stream {@linkplain #isEnded() ended} normally. Tell the two apart with {@link #isEnded()}.
   *
   * @throws EventOverflowException once the queued events are consumed, if the stream ended by
   *     overflowing
   * @throws QmpConnectionLostException once the queued events are consumed, if the client lost its
   *     connection for good
   * @throws QmpInterruptedException if interrupted (the interrupt flag is set again)
   */
  Optional<QmpEvent> poll(Duration timeout);

  /**
   * Whether the stream has ended and holds no more events: from now on {@link #poll} returns empty
   * at once (or throws the failure that ended it) and the iterator has no next event. False while
   * events queued before the end remain to be taken. Unlike {@link #isClosed()} and {@link
   * #closeFuture()}, which report the end as soon as it happens, this waits for the queue to be
   * drained.
   */
  boolean isEnded();

  /**
   * Iterates the events as they come, for as long as the stream lasts. {@code hasNext()} waits,
   * without a time limit, until an event is queued or the stream {@linkplain #isEnded() ends}: then
   * it returns {@code false} if the stream ended normally (closed by you, from another thread too,
   * or by the client), and throws as {@link #poll} does if it ended with a failure. {@code next()}
   * throws {@link java.util.NoSuchElementException} after the end. An interrupt makes {@code
   * hasNext()} throw {@link QmpInterruptedException}. The iterator does not support {@code
   * remove()}; every iterator of a stream takes from the same queue.
   */
  @Override
  Iterator<QmpEvent> iterator();
}
