/**
 * The QMP client: {@link org.qmp4j.client.QmpClient} for QEMU monitors (and any QMP server), {@link
 * org.qmp4j.client.GuestAgentClient} for the QEMU guest agent.
 *
 * <ul>
 *   <li><b>Async first.</b> Every operation has a {@code *Async} form returning a {@link
 *       java.util.concurrent.CompletableFuture}; the blocking forms wait for it and throw its
 *       failure unwrapped.
 *   <li><b>Threads.</b> One reader thread per connection parses input, completes futures and offers
 *       events to subscription queues; it never runs caller code. A caller blocked on a command's
 *       future reads its own reply when no other thread reads (leader/follower), handing what is
 *       not its own to the reader thread. Dependent stages added with non-async methods, event
 *       callbacks and {@code Flow} subscribers run on the client's executor. One JVM-wide timer
 *       thread enforces timeouts.
 *   <li><b>Events</b> are delivered through bounded queues with a stated {@link
 *       org.qmp4j.client.OverflowPolicy}; a slow consumer delays no reply and no other consumer.
 *   <li><b>Errors</b> are unchecked: {@link org.qmp4j.protocol.QmpErrorException} subtypes when the
 *       peer answered with an error, {@link org.qmp4j.protocol.QmpCommunicationException} subtypes
 *       ({@link org.qmp4j.client.QmpConnectionLostException}, {@link
 *       org.qmp4j.client.QmpTimeoutException}, {@link org.qmp4j.protocol.QmpProtocolException},
 *       {@link org.qmp4j.protocol.QmpMessageTooLargeException}) when we could not talk.
 *   <li><b>Nulls.</b> No method accepts {@code null} unless its documentation says so (command
 *       arguments may be {@code null} for none).
 * </ul>
 *
 * Everything in {@code org.qmp4j.client.internal} is implementation and may change.
 */
package org.qmp4j.client;
