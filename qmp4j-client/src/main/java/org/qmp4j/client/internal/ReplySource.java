package org.qmp4j.client.internal;

/**
 * A connection whose socket a waiting caller may read itself (leader/follower reading).
 *
 * <p>At most one thread reads at a time, the <em>leader</em>: the connection's reader thread, or a
 * caller blocked in {@code get()}/{@code join()} on one of the connection's futures. A caller that
 * waits while no one reads becomes the leader and reads until its own reply is in; a caller that
 * waits while another caller leads follows (parks) until its reply arrives or the lead is free; a
 * caller that waits while the reader thread leads asks it to step aside. The reader thread takes
 * the lead back when it has been free for a short grace period, so events are read while no one
 * waits.
 *
 * <p>A caller that leads completes only futures that run nothing on completion ({@link
 * ClientFuture#completesQuietly()}): its own and other waiting callers'. Everything else it reads
 * (events, replies to futures with stages, unmatched replies, the greeting) goes, in order, to the
 * reader thread, which handles it as if it had read it itself; while such messages are queued, the
 * caller hands its own reply over too, so completions keep the order of the wire.
 */
interface ReplySource {

  /**
   * Waits for {@code f}, reading for the connection while no one else does. Returns when {@code f}
   * is done, the connection failed, the deadline passed ({@code timed}), or the thread was
   * interrupted.
   *
   * @param deadline {@link System#nanoTime()} deadline, if {@code timed}
   * @return whether the thread was interrupted (the flag is cleared)
   */
  boolean awaitReply(ClientFuture<?> f, long deadline, boolean timed);

  /** Wakes {@code waiter} if it is blocked reading (its future was completed by another thread). */
  void wakeReader(Thread waiter);
}
