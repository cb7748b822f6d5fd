package org.qmp4j.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.qmp4j.client.QmpCommand;
import org.qmp4j.client.QmpTimeoutException;
import org.qmp4j.protocol.QmpCommunicationException;
import org.qmp4j.protocol.QmpErrorReply;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.protocol.QmpGreeting;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.protocol.QmpMessage;
import org.qmp4j.protocol.QmpMessageTooLargeException;
import org.qmp4j.protocol.QmpProtocolException;
import org.qmp4j.protocol.QmpReader;
import org.qmp4j.protocol.QmpReturn;
import org.qmp4j.protocol.QmpWriter;
import org.qmp4j.schema.QapiSchema;
import org.qmp4j.transport.QmpConnection;
import org.slf4j.Logger;

/**
 * One connection of a {@link DefaultQmpClient}: its transport, reader thread, pending commands and
 * write queue. When the transport is a socket channel, it runs in non-blocking mode under a
 * selector and waiting callers may read for it (see {@link ReplySource}); otherwise the reader
 * thread alone reads, blocking.
 *
 * <p>The client owns its connections: it opens one ({@link #start()}, then the greeting and {@code
 * qmp_capabilities} through {@link #send}), sends on it, and fails it ({@link #fail}) when it
 * closes. A connection knows nothing of the client's lifecycle or subscriptions; it reports upward
 * through its {@link Owner} only: events and gap markers read, replies nobody asked for, and its
 * loss and end.
 *
 * <p>Threads: {@link #send} and {@link #sendRaw} run on any caller's thread (the caller writes
 * unless another thread is writing, which then writes its bytes too); {@link #awaitReply} runs on a
 * caller blocked on one of this connection's futures; {@link #run} is the reader thread's body,
 * which also hands control to {@link Owner#connectionEnded} when the connection is over (the client
 * reconnects there); timeouts and heartbeats run on the {@link Delayer}'s thread; {@link #fail} may
 * be called on any of these, and only the first call counts.
 */
final class Connection implements QmpReader.Handler, Runnable, ReplySource {

  private static final Logger LOG = DefaultQmpClient.LOG;

  /**
   * What a connection needs from the client that owns it: state shared by the client's successive
   * connections (request numbers, the request template), and where it reports what it read and that
   * it failed. Called on the thread noted at each method.
   */
  interface Owner {

    /** The next request's id, a positive number unique within the client. Any thread that sends. */
    long nextRequestNumber();

    /**
     * The encoding of {@code command} without arguments, cached across connections; null if it
     * cannot be templated. Any thread that sends.
     */
    RequestTemplate template(String command, boolean oob);

    /** An event came: offer it to subscriptions and waiters. Reader thread. */
    void eventReceived(QmpEvent event);

    /** Wake the consumers of the events offered during one read. Reader thread. */
    void eventsRead();

    /** A reply matching no pending command (already logged). Reader thread. */
    void unmatchedReply(ObjectNode value);

    /**
     * {@code c} failed: called once, on the thread that failed it, right after it recorded the
     * failure and before it closes the transport and fails its commands.
     */
    void connectionLost(Connection c);

    /** {@code c} failed and stopped reading: the last thing its reader thread does. */
    void connectionEnded(Connection c);
  }

  /**
   * The encoder of requests (also {@link RequestTemplate}'s): dense, as QEMU pays for every byte of
   * a request (it reads its monitor one byte per main-loop iteration); ids are plain numbers, as
   * QMP's specification suggests, for the same reason.
   */
  static final QmpWriter WRITER = QmpWriter.request();

  private static final int WRITE_BUFFER = 64 * 1024;
  private static final int READ_BUFFER = 64 * 1024;

  /**
   * Whether plain replies are parsed by the client's own fast path before the liberal reader
   * ({@link ReplyReader}); {@code -Dqmp4j.client.fastReader=false} leaves everything to the liberal
   * reader.
   */
  private static final boolean FAST_READER =
      Boolean.parseBoolean(System.getProperty("qmp4j.client.fastReader", "true"));

  /**
   * Whether waiting callers may read the socket themselves (leader/follower reading; see {@link
   * ReplySource}). On by default; {@code -Dqmp4j.client.leaderFollower=false} leaves all reading to
   * the reader thread (read when a connection opens, for comparisons).
   */
  static final String LEADER_FOLLOWER_PROPERTY = "qmp4j.client.leaderFollower";

  /**
   * How long the lead must have been free before the reader thread takes it back, in microseconds
   * ({@code -Dqmp4j.client.leaderGraceMicros}, default 200).
   */
  static final long GRACE_NANOS = Long.getLong("qmp4j.client.leaderGraceMicros", 200) * 1000;

  /**
   * How often the reader thread looks at the lead while callers hold it: after 1 ms, then twice as
   * long each time callers still hold it (or let go of it less than the grace period ago), up to
   * this many microseconds ({@code -Dqmp4j.client.leaderPollMicros}, default 16000). Each look
   * wakes a thread, which costs the callers' latency when it lands in a round trip (looking every
   * millisecond triples the p99 of a tight loop of blocking calls, every 4 ms still adds a third);
   * backing off keeps that rare while callers are busy, and bounds how long events stay unread
   * after the last caller let go.
   */
  static final long POLL_MAX_NANOS =
      Math.max(1_000_000, Long.getLong("qmp4j.client.leaderPollMicros", 16_000) * 1000);

  private static final long POLL_MIN_NANOS = 1_000_000;

  private static final int FREE = 0;
  private static final int READER = 1;
  private static final int CALLER = 2;
  private static final Consumer<SelectionKey> IGNORE_KEY = k -> {};

  /** Bytes to write, with the descriptors that go with them and the command they carry. */
  private static final class Outgoing {
    final byte[] bytes;
    final FileDescriptor[] fds;
    final Pending pending;

    Outgoing(byte[] bytes, FileDescriptor[] fds, Pending pending) {
      this.bytes = bytes;
      this.fds = fds;
      this.pending = pending;
    }
  }

  private static final FileDescriptor[] NO_FDS = new FileDescriptor[0];

  private final Owner owner;
  private final ClientConfig config;
  private final String name;
  private final String addressText;
  private final boolean wireLog;
  private final Logger wire;

  // What the owning client reads or sets:
  final QmpConnection transport;

  /** The reader thread; the client joins it when it closes. */
  final Thread thread;

  /** Completed by the reader with the peer's greeting, or failed with the connection. */
  final CompletableFuture<QmpGreeting> greeting = new CompletableFuture<>();

  /** The peer's schema, fetched once per connection by the client; failed with the connection. */
  final AtomicReference<CompletableFuture<QapiSchema>> schema = new AtomicReference<>();

  /** Set by the client once negotiated: out-of-band execution enabled. */
  volatile boolean oob;

  /**
   * Its reader thread ended before the client installed it (it failed right after negotiating);
   * guarded by the client's lifecycle lock.
   */
  boolean endedBeforeInstalled;

  /** Why the connection failed; set once by {@link #fail}, null while it works. */
  volatile QmpCommunicationException failure;

  /**
   * What commands already written fail with when the connection fails: {@link #failure}, as a
   * connection-lost exception with {@code commandSent()} true. Set by {@link #fail} before any
   * command is failed.
   */
  private volatile Throwable failureSent;

  private final ReplyReader reader;
  private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Outgoing> queue = new ConcurrentLinkedQueue<>();
  private final ReentrantLock writeLock = new ReentrantLock();
  private final ByteBuffer writeBuffer = ByteBuffer.allocateDirect(WRITE_BUFFER);
  private final AtomicInteger oobOutstanding = new AtomicInteger();

  // Admission of in-band commands to the wire (see admit): guarded by `admission`.
  private final Object admission = new Object();
  private final ArrayDeque<Outgoing> held = new ArrayDeque<>();
  private int inBandOnWire;
  private boolean fdsOnWire;
  private final AtomicLong sweepAt = new AtomicLong(Long.MAX_VALUE);
  private final AtomicBoolean heartbeatInFlight = new AtomicBoolean();
  private final boolean canPassFds;
  private long writeSeq; // guarded by writeLock
  private volatile long lastReceive = System.nanoTime();
  private volatile ScheduledFuture<?> sweepTask;
  private volatile ScheduledFuture<?> heartbeatTask;

  // leader/follower reading: null selector means the reader thread alone reads, blocking
  private final Selector readSelector;
  private volatile Selector writeSelector; // created and used under writeLock
  // Direct: callers that read would otherwise each get a cached temporary direct buffer of the
  // channel's; the reader copies a direct buffer's bytes once, as the channel would.
  private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER);
  private final AtomicInteger lead = new AtomicInteger(FREE);
  private final AtomicInteger leadWanted = new AtomicInteger();
  private final ConcurrentLinkedQueue<Thread> followers = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Object> inbox = new ConcurrentLinkedQueue<>();
  private final AtomicInteger inboxCount = new AtomicInteger();
  private volatile long releasedAt = System.nanoTime() - GRACE_NANOS;
  private volatile Thread callerLeader;
  private boolean handling; // the lead holder is handling a read; only the lead holder touches it
  private final AtomicInteger waitingCallers = new AtomicInteger();
  private volatile boolean readerDozing; // parked for longer than POLL_MIN_NANOS
  private volatile boolean takeOver; // a caller let go and wants the reader thread to read

  /**
   * A connection over {@code transport}, not started.
   *
   * @param wire the wire logger, or null if the client does not log the wire
   */
  Connection(
      Owner owner,
      ClientConfig config,
      String name,
      String addressText,
      Logger wire,
      QmpConnection transport,
      String threadName) {
    this.owner = owner;
    this.config = config;
    this.name = name;
    this.addressText = addressText;
    this.wireLog = wire != null;
    this.wire = wire;
    this.transport = transport;
    this.reader =
        new ReplyReader(
            QmpReader.liberal(config.maxMessageSize()),
            config.maxMessageSize(),
            READ_BUFFER,
            FAST_READER);
    this.canPassFds = transport.canPassDescriptors();
    this.readSelector = openSelector(transport);
    this.thread = new Thread(this, threadName);
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Whether waiting callers may read for this connection (a {@link ReplySource}). */
  boolean callersMayRead() {
    return readSelector != null;
  }

  /** Switches a socket channel to non-blocking mode under a selector; null if not possible. */
  private Selector openSelector(QmpConnection t) {
    if (!Boolean.parseBoolean(System.getProperty(LEADER_FOLLOWER_PROPERTY, "true"))) {
      return null;
    }
    Optional<SocketChannel> channel = t.socketChannel();
    if (channel.isEmpty()) {
      return null;
    }
    SocketChannel ch = channel.get();
    Selector sel = null;
    try {
      sel = ch.provider().openSelector();
      ch.configureBlocking(false);
      ch.register(sel, SelectionKey.OP_READ);
      return sel;
    } catch (IOException | RuntimeException e) {
      LOG.debug("{}: reading with a selector is not possible; the reader thread reads", name, e);
      try {
        if (sel != null) {
          sel.close();
        }
        ch.configureBlocking(true);
      } catch (IOException | RuntimeException e2) {
        LOG.debug("{}: restoring blocking mode failed", name, e2);
      }
      return null;
    }
  }

  // ------------------------------------------------------------------ leader/follower

  @Override
  public boolean awaitReply(ClientFuture<?> f, long deadline, boolean timed) {
    Thread me = Thread.currentThread();
    if (me == thread || me == callerLeader || !f.claimWaiter(me)) {
      return false;
    }
    boolean wanted = false;
    boolean following = false;
    boolean interrupted = false;
    waitingCallers.incrementAndGet();
    try {
      while (!f.isDone() && failure == null) {
        if (Thread.interrupted()) {
          interrupted = true;
          break;
        }
        long left = timed ? deadline - System.nanoTime() : Long.MAX_VALUE;
        if (left <= 0) {
          break;
        }
        if (lead.get() == FREE && lead.compareAndSet(FREE, CALLER)) {
          if (wanted) {
            wanted = false;
            leadWanted.decrementAndGet();
          }
          leadFor(f, me, deadline, timed);
          continue;
        }
        if (!wanted) {
          wanted = true;
          leadWanted.incrementAndGet();
        }
        if (!following) {
          following = true;
          followers.add(me);
        }
        if (lead.get() == READER) {
          readSelector.wakeup(); // asks the reader thread to step aside
        }
        if (f.isDone() || lead.get() == FREE) {
          continue;
        }
        if (timed) {
          LockSupport.parkNanos(this, left);
        } else {
          LockSupport.park(this);
        }
      }
    } finally {
      if (wanted) {
        leadWanted.decrementAndGet();
      }
      if (following) {
        followers.remove(me);
      }
      f.waiter = null;
      waitingCallers.decrementAndGet();
      if (readerDozing && lead.get() == FREE && awaitedByNoOne()) {
        takeOver = true; // replies nobody waits for: the reader thread should read soon
        LockSupport.unpark(thread);
      }
    }
    return interrupted;
  }

  /**
   * Whether commands are in flight that no caller waits for (approximately: a command that timed
   * out and was never answered counts too): a caller that lets go of the lead then wakes a
   * backed-off reader thread, so that their replies are read soon.
   */
  private boolean awaitedByNoOne() {
    return pending.size() > waitingCallers.get();
  }

  /** A caller holds the lead: reads until its future is done, then lets go of the lead. */
  private void leadFor(ClientFuture<?> f, Thread me, long deadline, boolean timed) {
    callerLeader = me;
    try {
      while (!f.isDone() && failure == null && !me.isInterrupted()) {
        long timeoutMillis = 0;
        if (timed) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            break;
          }
          timeoutMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999));
        }
        readOnce(timeoutMillis);
      }
    } finally {
      callerLeader = null;
      releaseLead();
    }
  }

  private void releaseLead() {
    releasedAt = System.nanoTime();
    lead.set(FREE);
    for (Thread t : followers) {
      LockSupport.unpark(t);
    }
  }

  @Override
  public void wakeReader(Thread waiter) {
    if (callerLeader == waiter) {
      readSelector.wakeup();
    }
  }

  /**
   * The reader thread with a selector: handles what callers passed on, and reads whenever the lead
   * has been free for a grace period and no caller wants it.
   */
  private void readLeading() {
    long poll = POLL_MIN_NANOS;
    while (failure == null) {
      drainInbox();
      if (lead.get() == FREE && leadWanted.get() == 0) {
        long idle = System.nanoTime() - releasedAt;
        if (idle < GRACE_NANOS) {
          if (takeOver) {
            takeOver = false;
            LockSupport.parkNanos(this, GRACE_NANOS - idle);
            continue;
          }
          // free only for a moment: callers are busy; back off as if they held it
        } else if (lead.compareAndSet(FREE, READER)) {
          takeOver = false;
          poll = POLL_MIN_NANOS;
          try {
            drainInbox();
            while (failure == null && leadWanted.get() == 0) {
              readOnce(0);
              owner.eventsRead();
            }
          } finally {
            releaseLead();
          }
          continue;
        }
      }
      readerDozing = poll > POLL_MIN_NANOS;
      LockSupport.parkNanos(this, poll);
      readerDozing = false;
      poll = Math.min(poll * 2, POLL_MAX_NANOS);
    }
  }

  /** The reader thread without a selector: it alone reads. */
  private void readBlocking() {
    while (failure == null) {
      readOnce(0);
      owner.eventsRead();
    }
  }

  /**
   * Reads once and handles what came: with a selector, waits for bytes first (at most {@code
   * timeoutMillis}, 0: no limit; a wake-up ends the wait early). Failures fail the connection.
   */
  private void readOnce(long timeoutMillis) {
    try {
      if (readSelector != null && readSelector.select(IGNORE_KEY, timeoutMillis) == 0) {
        return;
      }
      readAndHandle();
      flushAdmitted();
    } catch (ClosedChannelException | ClosedSelectorException e) {
      fail(Exceptions.lost(addressText, "connection to " + addressText + " closed", e));
    } catch (IOException e) {
      fail(
          Exceptions.lost(
              addressText,
              "reading from " + addressText + " failed: " + e.getMessage() + inFlightNote(),
              e));
    }
  }

  /**
   * Reads what is there and handles it. The lead holder (or the reader thread without a selector).
   */
  private void readAndHandle() throws IOException {
    ByteBuffer buf = readBuffer;
    buf.clear();
    int n = transport.read(buf);
    if (n < 0) {
      awaitInboxDrained();
      fail(
          Exceptions.lost(
              addressText,
              "connection to " + addressText + " closed by the peer" + inFlightNote(),
              null));
      return;
    }
    if (canPassFds) {
      closeReceivedDescriptors();
    }
    if (n == 0) {
      return;
    }
    lastReceive = System.nanoTime();
    buf.flip();
    handling = true;
    try {
      reader.feed(buf, this);
    } finally {
      handling = false;
    }
  }

  /**
   * Whether this thread holds the read lead and is not inside handling a read (whose buffer is
   * still in use): it may then read while it waits to write.
   */
  private boolean mayReadWhileWriting() {
    if (readSelector == null || handling) {
      return false;
    }
    Thread me = Thread.currentThread();
    return me == callerLeader || (me == thread && lead.get() == READER);
  }

  /**
   * A caller read the end of the stream: lets the reader thread first handle what was read before
   * it (QEMU's {@code quit} sends its reply just before closing; passed on behind an event, it must
   * not be failed by the end that follows it). Bounded, in case the reader thread is stuck in a
   * handler.
   */
  private void awaitInboxDrained() {
    if (Thread.currentThread() == thread || inboxCount.get() == 0) {
      return;
    }
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    while (inboxCount.get() > 0
        && failure == null
        && !Thread.currentThread().isInterrupted()
        && System.nanoTime() - until < 0) {
      LockSupport.unpark(thread);
      LockSupport.parkNanos(this, 20_000);
    }
  }

  /** Handles, in order, what callers read and passed on. Reader thread. */
  private void drainInbox() {
    if (inboxCount.get() == 0) {
      return;
    }
    Object o;
    while ((o = inbox.poll()) != null) {
      try {
        if (failure == null) {
          if (o instanceof JsonNode) {
            handle((JsonNode) o);
          } else {
            handleError((QmpProtocolException) o);
          }
        }
      } finally {
        inboxCount.decrementAndGet();
      }
    }
    flushAdmitted();
    owner.eventsRead();
  }

  /** Passes a message a caller read on to the reader thread. */
  private void toInbox(Object message) {
    inboxCount.incrementAndGet();
    inbox.add(message);
    LockSupport.unpark(thread);
  }

  /** Waits (briefly) for a caller to let go of the lead, then closes the selectors. */
  private void closeSelectors() {
    if (readSelector == null) {
      return;
    }
    for (int i = 0; i < 2000 && lead.get() == CALLER; i++) {
      LockSupport.parkNanos(this, 50_000);
    }
    try {
      readSelector.close();
    } catch (IOException e) {
      LOG.debug("{}: closing the selector failed", name, e);
    }
    writeLock.lock();
    try {
      Selector ws = writeSelector;
      if (ws != null) {
        ws.close();
      }
    } catch (IOException e) {
      LOG.debug("{}: closing the write selector failed", name, e);
    } finally {
      writeLock.unlock();
    }
  }

  // ------------------------------------------------------------------ sending

  void send(
      String command,
      ObjectNode arguments,
      boolean oobFlag,
      List<FileDescriptor> fds,
      CompletableFuture<?> future,
      Function<JsonNode, ?> binder,
      JsonNode rawId,
      Duration timeout) {
    long id = owner.nextRequestNumber();
    FileDescriptor[] fdArray =
        fds == null || fds.isEmpty() ? NO_FDS : fds.toArray(new FileDescriptor[0]);
    if (arguments == null) {
      RequestTemplate t = owner.template(command, oobFlag);
      if (t != null) {
        enqueue(id, command, t.encode(id), oobFlag, fdArray, future, binder, rawId, timeout);
        return;
      }
    }
    ObjectNode request = QmpJson.objectNode();
    request.put(oobFlag ? "exec-oob" : "execute", command);
    if (arguments != null) {
      request.set("arguments", arguments);
    }
    request.put("id", id);
    enqueue(id, command, request, oobFlag, fdArray, future, binder, rawId, timeout);
  }

  void sendRaw(
      String command,
      ObjectNode request,
      boolean oobFlag,
      CompletableFuture<?> future,
      JsonNode callerId,
      Duration timeout) {
    long id = owner.nextRequestNumber();
    request.put("id", id);
    enqueue(id, command, request, oobFlag, NO_FDS, future, null, callerId, timeout);
  }

  private void enqueue(
      long id,
      String command,
      ObjectNode request,
      boolean oobFlag,
      FileDescriptor[] fds,
      CompletableFuture<?> future,
      Function<JsonNode, ?> binder,
      JsonNode rawId,
      Duration timeout) {
    byte[] bytes;
    try {
      bytes = WRITER.writeMessage(request);
    } catch (RuntimeException e) {
      future.completeExceptionally(e);
      return;
    }
    enqueue(id, command, bytes, oobFlag, fds, future, binder, rawId, timeout);
  }

  private void enqueue(
      long id,
      String command,
      byte[] bytes,
      boolean oobFlag,
      FileDescriptor[] fds,
      CompletableFuture<?> future,
      Function<JsonNode, ?> binder,
      JsonNode rawId,
      Duration timeout) {
    boolean timed = timeout != null && !timeout.equals(QmpCommand.NO_TIMEOUT);
    long deadline = timed ? System.nanoTime() + timeout.toNanos() : Long.MAX_VALUE;
    Pending p = new Pending(id, command, oobFlag, future, binder, rawId, deadline, timeout);
    pending.put(id, p);
    if (oobFlag) {
      oobOutstanding.incrementAndGet();
    }
    QmpCommunicationException f = failure;
    if (f != null) {
      if (pending.remove(id) != null) {
        settled(p);
        p.fail(f);
      }
      return;
    }
    if (timed) {
      armSweep(deadline);
    }
    if (wireLog && wire.isDebugEnabled()) {
      wire.debug(
          "{} --> {}{}",
          name,
          new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8), // without the LF
          fds.length == 0 ? "" : " (+" + fds.length + " fd)");
    }
    Outgoing o = new Outgoing(bytes, fds, p);
    if (oobFlag || admit(o)) {
      queue.add(o);
      flush();
    }
  }

  /**
   * Whether the in-band command {@code o} may be written now, as it is queued behind no other and
   * {@link #mayGo may go}; if not, it is held until replies make room ({@link #settled}), in the
   * order commands were sent. Out-of-band commands are never held: keeping in-band ones back is
   * what lets them through.
   */
  private boolean admit(Outgoing o) {
    synchronized (admission) {
      if (held.isEmpty() && mayGo(o)) {
        onWire(o);
        return true;
      }
      held.add(o);
      return false;
    }
  }

  /**
   * At most {@code config.inBandWindow()} in-band commands while OOB is on (QMP's specification
   * asks for at most eight: QEMU queues eight and then stops reading, so an out-of-band command
   * written behind more would wait for them after all), and one command carrying descriptors at a
   * time: QEMU keeps the descriptors of one message until a command takes them and drops them when
   * the next message with descriptors arrives, and with OOB on it reads (and queues) commands ahead
   * of running them, so a second command's descriptors would replace the first's before it ran.
   * Under {@code admission}.
   */
  private boolean mayGo(Outgoing o) {
    return (!oob || inBandOnWire < config.inBandWindow()) && (o.fds.length == 0 || !fdsOnWire);
  }

  private void onWire(Outgoing o) {
    inBandOnWire++;
    o.pending.onWire = true;
    if (o.fds.length > 0) {
      fdsOnWire = true;
      o.pending.carriesFds = true;
    }
  }

  /**
   * Moves held commands that may go now to the write queue, in order; drops those that timed out or
   * were cancelled while held (they were never sent). Under {@code admission}.
   */
  private void admitHeld() {
    Outgoing o;
    while ((o = held.peek()) != null) {
      if (o.pending.future.isDone()) {
        held.poll();
        pending.remove(o.pending.id);
        continue;
      }
      if (!mayGo(o)) {
        break;
      }
      held.poll();
      onWire(o);
      queue.add(o);
    }
  }

  /**
   * Writes what is queued unless another thread is doing so (it will write ours too), or this one
   * is (a message handled while it waits to write: the loop it is in writes what was queued).
   */
  private void flush() {
    if (writeLock.isHeldByCurrentThread()) {
      return;
    }
    while (!queue.isEmpty() && writeLock.tryLock()) {
      try {
        writeQueued();
      } catch (IOException e) {
        fail(
            failure != null
                ? failure
                : Exceptions.lost(
                    addressText, "writing to " + addressText + " failed: " + e.getMessage(), e));
      } finally {
        writeLock.unlock();
      }
      if (failure != null) {
        drainQueueFailed();
        return;
      }
    }
  }

  private void drainQueueFailed() {
    Outgoing o;
    while ((o = queue.poll()) != null) {
      if (pending.remove(o.pending.id) != null) {
        settled(o.pending);
        o.pending.fail(failure);
      }
    }
  }

  private void writeQueued() throws IOException {
    ByteBuffer buf = writeBuffer;
    buf.clear();
    Outgoing o;
    while ((o = queue.poll()) != null) {
      if (failure != null) {
        if (pending.remove(o.pending.id) != null) {
          settled(o.pending);
          o.pending.fail(failure);
        }
        continue;
      }
      o.pending.writeSeq = ++writeSeq;
      if (o.fds.length > 0) {
        writeOut(buf);
        ByteBuffer b = ByteBuffer.wrap(o.bytes);
        try {
          while (transport.write(b, o.fds) == 0) {
            awaitWritable();
          }
        } catch (RuntimeException e) {
          // nothing went out: the descriptors were refused before sending
          if (pending.remove(o.pending.id) != null) {
            settled(o.pending);
            o.pending.fail(e);
          }
          continue;
        }
        writeFully(b);
      } else if (o.bytes.length > buf.remaining()) {
        writeOut(buf);
        if (o.bytes.length > buf.capacity()) {
          writeFully(ByteBuffer.wrap(o.bytes));
        } else {
          buf.put(o.bytes);
        }
      } else {
        buf.put(o.bytes);
      }
    }
    writeOut(buf);
  }

  private void writeOut(ByteBuffer buf) throws IOException {
    buf.flip();
    writeFully(buf);
    buf.clear();
  }

  private void writeFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (transport.write(b) == 0) {
        awaitWritable();
      }
    }
  }

  /** Non-blocking mode and the socket's buffer is full: waits until it takes more. */
  private void awaitWritable() throws IOException {
    if (failure != null) {
      throw new ClosedChannelException();
    }
    if (readSelector == null) {
      Thread.onSpinWait(); // blocking mode: a write of 0 bytes is not expected
      return;
    }
    Selector ws = writeSelector;
    if (ws == null) {
      SocketChannel ch = transport.socketChannel().orElseThrow();
      ws = ch.provider().openSelector();
      try {
        ch.register(ws, SelectionKey.OP_WRITE);
      } catch (IOException | RuntimeException e) {
        ws.close();
        throw e;
      }
      writeSelector = ws;
    }
    if (mayReadWhileWriting()) {
      // The reading thread writes (commands admitted by replies): it keeps reading meanwhile, or
      // a peer that stops reading while its own output is blocked would wait for us forever.
      ws.select(IGNORE_KEY, 1);
      if (readSelector.selectNow(IGNORE_KEY) > 0) {
        readAndHandle();
      }
      return;
    }
    ws.select(IGNORE_KEY, 100);
  }

  /**
   * Bookkeeping when a pending command leaves the map: held commands that may go in its place are
   * queued for writing, which the reading thread does once the read is handled ({@link
   * #flushAdmitted}); a writer that holds the write lock writes them in the same loop.
   */
  private void settled(Pending p) {
    if (p.oob) {
      oobOutstanding.decrementAndGet();
      return;
    }
    synchronized (admission) {
      if (!p.onWire) {
        return; // held, never written
      }
      p.onWire = false;
      inBandOnWire--;
      if (p.carriesFds) {
        fdsOnWire = false;
      }
      if (!held.isEmpty()) {
        admitHeld();
      }
    }
  }

  // ------------------------------------------------------------------ timeouts

  private void armSweep(long deadline) {
    while (true) {
      long at = sweepAt.get();
      if (at <= deadline) {
        return;
      }
      if (sweepAt.compareAndSet(at, deadline)) {
        sweepTask = Delayer.schedule(this::sweep, deadline - System.nanoTime());
        return;
      }
    }
  }

  private void sweep() {
    sweepAt.set(Long.MAX_VALUE);
    if (failure != null) {
      return;
    }
    long now = System.nanoTime();
    long next = Long.MAX_VALUE;
    for (Pending p : pending.values()) {
      if (p.future.isDone() || p.deadline == Long.MAX_VALUE) {
        continue;
      }
      if (p.deadline - now <= 0) {
        // Stays in the map until its reply comes, so that the reply is recognised and dropped.
        p.fail(Exceptions.commandTimeout(p.command, p.id, p.timeout, p.writeSeq != Long.MAX_VALUE));
      } else if (p.deadline < next) {
        next = p.deadline;
      }
    }
    if (next != Long.MAX_VALUE) {
      armSweep(next);
    }
  }

  void startHeartbeat() {
    if (config.heartbeatInterval() == null) {
      return;
    }
    heartbeatTask = Delayer.every(this::heartbeat, config.heartbeatInterval().toNanos());
  }

  private void heartbeat() {
    if (failure != null
        || System.nanoTime() - lastReceive < config.heartbeatInterval().toNanos()
        || !heartbeatInFlight.compareAndSet(false, true)) {
      return;
    }
    CompletableFuture<Object> reply = new CompletableFuture<>();
    reply.whenComplete(
        (v, err) -> {
          heartbeatInFlight.set(false);
          if (Futures.unwrap(err) instanceof QmpTimeoutException) {
            fail(
                Exceptions.lost(
                    addressText,
                    addressText
                        + " did not answer a heartbeat within "
                        + Exceptions.human(config.heartbeatTimeout())
                        + ": the peer is hung; closing the connection",
                    err));
          }
        });
    // With OOB on, an out-of-band probe: QEMU answers it from its monitor thread even while a
    // long in-band command keeps its main loop busy, and it is never held behind in-band commands.
    // Any answer proves the peer alive, an error too (a peer without query-yank).
    boolean probeOob = oob;
    send(
        probeOob ? "query-yank" : "query-version",
        null,
        probeOob,
        null,
        reply,
        Function.identity(),
        null,
        config.heartbeatTimeout());
  }

  // ------------------------------------------------------------------ failing

  /** Whether {@code t} is what this connection's failure failed a pending command with. */
  boolean failedWith(Throwable t) {
    return t != null && (t == failure || t == failureSent);
  }

  /** Fails the connection once: closes it, fails every pending command at once. */
  void fail(QmpCommunicationException cause) {
    synchronized (this) {
      if (failure != null) {
        return;
      }
      failure = cause;
    }
    owner.connectionLost(this);
    try {
      transport.close();
    } catch (IOException | RuntimeException e) {
      LOG.debug("{}: closing the transport failed", name, e);
    }
    if (readSelector != null) {
      readSelector.wakeup();
      Selector ws = writeSelector;
      if (ws != null) {
        ws.wakeup();
      }
      LockSupport.unpark(thread);
      for (Thread t : followers) {
        LockSupport.unpark(t);
      }
    }
    greeting.completeExceptionally(cause);
    synchronized (admission) {
      held.clear(); // their commands are in the map, failed below, and never written
    }
    // Written commands may have run on the peer, the others (queued, held) cannot have.
    Throwable sent = Exceptions.forCommand(cause, true);
    failureSent = sent;
    for (Long id : pending.keySet()) {
      Pending p = pending.remove(id);
      if (p != null) {
        settled(p);
        p.fail(p.writeSeq != Long.MAX_VALUE ? sent : cause);
      }
    }
    ScheduledFuture<?> t = sweepTask;
    if (t != null) {
      t.cancel(false);
    }
    t = heartbeatTask;
    if (t != null) {
      t.cancel(false);
    }
    CompletableFuture<QapiSchema> s = schema.get();
    if (s != null) {
      s.completeExceptionally(cause);
    }
  }

  // ------------------------------------------------------------------ reading

  @Override
  public void run() {
    try {
      if (readSelector != null) {
        readLeading();
      } else {
        readBlocking();
      }
    } catch (RuntimeException | Error e) {
      LOG.error("{}: reader thread failed", name, e);
      fail(Exceptions.lost(addressText, "the reader of " + addressText + " failed: " + e, e));
    } finally {
      closeSelectors();
      owner.eventsRead();
      if (failure == null) {
        fail(Exceptions.lost(addressText, "connection to " + addressText + " ended", null));
      }
      owner.connectionEnded(this);
    }
  }

  private String inFlightNote() {
    int n = pending.size();
    return n == 0 ? "" : " (" + n + " command(s) in flight)";
  }

  private void closeReceivedDescriptors() {
    for (FileDescriptor fd : transport.receivedDescriptors()) {
      try {
        new FileInputStream(fd).close();
      } catch (IOException e) {
        LOG.debug("{}: closing a received descriptor failed", name, e);
      }
    }
  }

  @Override
  public void onValue(JsonNode value) {
    if (failure != null) {
      return;
    }
    if (wireLog && wire.isDebugEnabled()) {
      wire.debug("{} <-- {}", name, value);
    }
    if (Thread.currentThread() != thread) {
      readByCaller(value);
      return;
    }
    handle(value);
  }

  /**
   * A caller leads: it completes a reply itself only if nothing is queued for the reader thread and
   * completing runs no code; everything else goes to the reader thread, in order.
   */
  private void readByCaller(JsonNode value) {
    if (inboxCount.get() == 0) {
      long id = requestId(value.get("id"));
      if (id > 0 && (value.has("return") || value.has("error"))) {
        Pending p = pending.get(id);
        if (p != null
            && p.future instanceof ClientFuture
            && ((ClientFuture<?>) p.future).completesQuietly()) {
          handle(value);
          return;
        }
      }
    }
    toInbox(value);
  }

  /** Handles one message from the peer. */
  private void handle(JsonNode value) {
    // Fast path for the common case, a return with an id (and nothing else).
    if (value.size() == 2) {
      JsonNode ret = value.get("return");
      JsonNode id = value.get("id");
      if (ret != null && id != null) {
        route((ObjectNode) value, id, new QmpReturn(ret, id));
        return;
      }
    }
    QmpMessage message;
    try {
      message = QmpMessage.fromJson(value);
    } catch (QmpProtocolException e) {
      violation(e.getMessage());
      return;
    }
    if (message instanceof QmpReturn) {
      route((ObjectNode) value, ((QmpReturn) message).id(), message);
    } else if (message instanceof QmpErrorReply) {
      route((ObjectNode) value, ((QmpErrorReply) message).id(), message);
    } else if (message instanceof QmpEvent) {
      owner.eventReceived((QmpEvent) message);
    } else if (message instanceof QmpGreeting) {
      if (!greeting.complete((QmpGreeting) message)) {
        LOG.warn("{}: ignoring a second greeting: {}", name, value);
      }
    } else {
      violation("the peer sent a request to the client: " + preview(value));
    }
  }

  /** The number of one of our requests' ids, or 0 if {@code id} cannot be one. */
  private static long requestId(JsonNode id) {
    return id != null && id.isIntegralNumber() && id.canConvertToLong() ? id.longValue() : 0;
  }

  private void route(ObjectNode value, JsonNode id, QmpMessage message) {
    long n = requestId(id);
    Pending p = n > 0 ? pending.remove(n) : null;
    if (p == null) {
      unmatched(value, id);
      return;
    }
    settled(p); // what it admitted is written once the read that brought this reply is handled
    if (p.future.isDone()) {
      LOG.debug(
          "{}: discarding the late reply to {} (id {}): it timed out or was cancelled",
          name,
          p.command,
          p.id);
    } else if (message instanceof QmpReturn) {
      p.complete(value, ((QmpReturn) message).value(), null);
    } else {
      p.complete(value, null, (QmpErrorReply) message);
    }
  }

  /**
   * Writes the commands that replies admitted while a read (or a batch passed on by callers) was
   * handled: one write for all of them, after their callers were completed.
   */
  private void flushAdmitted() {
    flush(); // a no-op unless something is queued
  }

  private void unmatched(ObjectNode value, JsonNode id) {
    LOG.warn(
        "{}: a reply matches no pending command ({}), ignored: {}",
        name,
        id == null ? "no id" : "id " + id,
        preview(value));
    owner.unmatchedReply(value);
  }

  @Override
  public void onError(QmpProtocolException error) {
    if (failure != null) {
      return;
    }
    if (Thread.currentThread() != thread) {
      toInbox(error);
      return;
    }
    handleError(error);
  }

  private void handleError(QmpProtocolException error) {
    if (error instanceof QmpMessageTooLargeException && greeting.isDone()) {
      tooLarge((QmpMessageTooLargeException) error);
      return;
    }
    violation(error.getMessage());
  }

  /**
   * A message over the limit was skipped. In-band replies come in the order the commands were
   * written, so with no out-of-band command outstanding it answered the oldest command written:
   * that command fails and the connection goes on. Otherwise it cannot be attributed and the
   * connection is failed.
   */
  private void tooLarge(QmpMessageTooLargeException error) {
    if (oobOutstanding.get() > 0) {
      violation(error.getMessage() + " while out-of-band commands were outstanding");
      return;
    }
    Pending oldest = null;
    for (Pending p : pending.values()) {
      if (p.writeSeq != Long.MAX_VALUE && (oldest == null || p.writeSeq < oldest.writeSeq)) {
        oldest = p;
      }
    }
    if (oldest == null) {
      LOG.warn("{}: skipped a message over the limit that answers no command: {}", name, error);
      return;
    }
    if (pending.remove(oldest.id) != null) {
      settled(oldest);
      LOG.warn(
          "{}: the reply to {} (id {}) exceeds {} bytes; failing that command",
          name,
          oldest.command,
          oldest.id,
          error.limit());
      oldest.fail(Exceptions.tooLarge(error.limit()));
    }
  }

  private void violation(String what) {
    String text =
        greeting.isDone()
            ? addressText + " broke the QMP protocol: " + what
            : addressText + " did not send a QMP greeting: " + what;
    LOG.warn("{}: {}; closing the connection", name, text);
    fail(new QmpProtocolException(text));
  }

  @Override
  public void onSync() {
    // A 0xFF on a QMP monitor means nothing; the reader already dropped any partial input.
  }

  private static String preview(JsonNode value) {
    String s = String.valueOf(value);
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
