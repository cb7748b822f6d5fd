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
 */
public interface EventStream extends EventSubscription, Iterable<QmpEvent> {

  /**
   * The next event, waiting up to {@code timeout}; empty if none came in time or the stream ended
   * normally.
   *
   * @throws EventOverflowException once the queued events are consumed, if the stream ended by
   *     overflowing
   * @throws QmpConnectionLostException once the queued events are consumed, if the client lost its
   *     connection for good
   * @throws QmpInterruptedException if interrupted (the interrupt flag is set again)
   */
  Optional<QmpEvent> poll(Duration timeout);

  /**
   * Iterates the events as they come: {@code hasNext()} waits until an event arrives or the stream
   * ends, and throws as {@link #poll} does if it ended with an error.
   */
  @Override
  Iterator<QmpEvent> iterator();
}
