package org.qmp4j.client.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.ConnectException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.qmp4j.client.ConnectionState;
import org.qmp4j.client.EventFilter;
import org.qmp4j.client.EventSubscription;
import org.qmp4j.client.QmpClient;
import org.qmp4j.client.QmpCommand;
import org.qmp4j.client.QmpConnectionLostException;
import org.qmp4j.client.QmpTimeoutException;
import org.qmp4j.client.ReconnectPolicy;
import org.qmp4j.protocol.QmpCommunicationException;
import org.qmp4j.protocol.QmpConnectionException;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.protocol.QmpGreeting;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.protocol.QmpProtocolException;
import org.qmp4j.schema.QapiSchema;
import org.qmp4j.schema.SchemaCommand;
import org.qmp4j.schema.SchemaType;
import org.qmp4j.transport.QmpAddress;
import org.qmp4j.transport.QmpConnection;
import org.qmp4j.transport.Transports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@link QmpClient} implementation. See the interface for the contract. */
public final class DefaultQmpClient implements QmpClient {

  static final Logger LOG = LoggerFactory.getLogger("org.qmp4j.client");
  static final Logger WIRE = LoggerFactory.getLogger("org.qmp4j.client.wire");

  private static final AtomicInteger CLIENTS = new AtomicInteger();

  /** For tests: the wire logger of clients created from now on; null: the real one. */
  static volatile Logger wireLoggerOverride;

  private final ClientConfig config;
  private final String name;
  private final String addressText;
  private final CallbackExecutor callbacks;
  private final boolean wireLog;
  private final Logger wire;
  private final AtomicLong ids = new AtomicLong();

  /** The encoded form of the last command sent without arguments; racy, immutable. */
  private volatile RequestTemplate template;

  /** How this client's connections reach it (the client owns them; they report upward). */
  private final Connection.Owner owner =
      new Connection.Owner() {
        @Override
        public long nextRequestNumber() {
          return ids.incrementAndGet();
        }

        @Override
        public RequestTemplate template(String command, boolean oob) {
          RequestTemplate t = template;
          if (t == null || t.oob != oob || !t.command.equals(command)) {
            t = RequestTemplate.of(command, oob);
            template = t;
          }
          return t;
        }

        @Override
        public void eventReceived(QmpEvent event) {
          if (holding && hold(event)) {
            return; // reconnecting: after the gap marker
          }
          dispatch(event);
        }

        @Override
        public void eventsRead() {
          wakeSubscriptions();
        }

        @Override
        public void unmatchedReply(ObjectNode value) {
          DefaultQmpClient.this.unmatchedReply(value);
        }

        @Override
        public void connectionLost(Connection c) {
          markLost(c);
        }

        @Override
        public void connectionEnded(Connection c) {
          DefaultQmpClient.this.connectionEnded(c);
        }
      };

  private final ClientFuture.RoundTrip roundTrip = new ClientFuture.RoundTrip();
  private final CopyOnWriteArrayList<Subscription> subscriptions = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<EventWaiter> waiters = new CopyOnWriteArrayList<>();
  private final Object lifecycle = new Object();
  private final AtomicInteger generations = new AtomicInteger();
  private final ConcurrentLinkedQueue<JsonNode> unmatchedQueue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean unmatchedRunning = new AtomicBoolean();
  private final Set<String> featureWarned = ConcurrentHashMap.newKeySet();
  private final CopyOnWriteArrayList<StateListener> stateListeners = new CopyOnWriteArrayList<>();
  private final ConcurrentLinkedQueue<ConnectionState> transitions = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean transitionsRunning = new AtomicBoolean();

  private final Object gapLock = new Object();

  /**
   * Events held back while the client reconnects, so that the gap marker precedes them all; null
   * while not holding. Guarded by {@link #gapLock}.
   */
  private ArrayDeque<QmpEvent> held;

  private int heldDropped; // guarded by gapLock
  private volatile boolean holding;

  /**
   * Queries kept across a reconnect, to be sent again (see {@link Retry}); guarded by lifecycle.
   */
  private final List<Retry> parked = new ArrayList<>();

  private volatile Connection conn;
  private volatile ConnectionState state = ConnectionState.NEW;
  private volatile boolean closed;
  private volatile QmpGreeting lastGreeting;
  private Thread reconnectThread; // guarded by lifecycle
  private boolean adoptedUsed; // guarded by lifecycle

  public DefaultQmpClient(ClientConfig config) {
    this.config = config;
    this.addressText = describeAddress(config);
    this.name =
        config.name() != null ? config.name() : addressText + "#" + CLIENTS.incrementAndGet();
    this.callbacks = new CallbackExecutor(config.executor(), threadName(name));
    this.wireLog = config.wireLogging();
    Logger override = wireLoggerOverride;
    this.wire = override != null ? override : WIRE;
    if (config.stateListener() != null) {
      onStateChange(config.stateListener());
    }
  }

  private static String describeAddress(ClientConfig c) {
    if (c.address() != null) {
      return c.address().toString();
    }
    if (c.listener() != null) {
      return "accept:" + c.listener().localAddress();
    }
    return c.connection().address().map(Object::toString).orElse("adopted-connection");
  }

  private static String threadName(String name) {
    return name.length() > 40 ? name.substring(name.length() - 40) : name;
  }

  Executor callbackExecutor() {
    return callbacks;
  }

  // ====================================================================== lifecycle

  @Override
  public QmpClient connect() {
    synchronized (lifecycle) {
      if (state != ConnectionState.NEW) {
        throw new IllegalStateException("client " + name + " is " + state + ", not NEW");
      }
      setState(ConnectionState.CONNECTING);
    }
    Connection c;
    boolean endedEarly;
    try {
      c = open(config.connectTimeout(), true);
    } catch (RuntimeException e) {
      synchronized (lifecycle) {
        closed = true;
        setState(ConnectionState.CLOSED);
      }
      endSubscriptions(e);
      callbacks.shutdown();
      throw e;
    }
    synchronized (lifecycle) {
      if (closed) {
        c.fail(Exceptions.lost(addressText, "client " + name + " was closed", null));
        throw Exceptions.lost(addressText, "client " + name + " was closed while connecting", null);
      }
      conn = c;
      setState(ConnectionState.CONNECTED);
      endedEarly = c.endedBeforeInstalled;
    }
    if (endedEarly) {
      handleEndLater(c);
    }
    c.startHeartbeat();
    return this;
  }

  /**
   * Opens the transport, starts the reader, waits for the greeting and negotiates.
   *
   * @param first the first connect (not a reconnect): {@link ClientConfig#waitForSocket} applies
   */
  private Connection open(Duration timeout, boolean first) {
    long deadline = System.nanoTime() + timeout.toNanos();
    QmpConnection transport = openTransport(timeout, first);
    Connection c =
        new Connection(
            owner,
            config,
            name,
            addressText,
            wireLog ? wire : null,
            transport,
            "qmp4j-client-" + threadName(name) + "-reader-" + generations.incrementAndGet());
    c.start();
    QmpGreeting greeting;
    try {
      greeting = c.greeting.get(remaining(deadline), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      QmpConnectionException ex =
          new QmpConnectionException(
              addressText,
              "no QMP greeting from "
                  + addressText
                  + " within "
                  + Exceptions.human(timeout)
                  + tlsHint(),
              null,
              true);
      c.fail(ex);
      throw ex;
    } catch (ExecutionException e) {
      throw connectFailure(c, "waiting for the greeting of " + addressText, e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      c.fail(Exceptions.lost(addressText, "interrupted while connecting", e));
      throw Exceptions.lost(addressText, "interrupted while connecting to " + addressText, e);
    }
    lastGreeting = greeting;
    boolean oob = config.oob() && greeting.hasCapability(QmpGreeting.OOB);
    ObjectNode args = null;
    if (oob) {
      args = QmpJson.objectNode();
      args.putArray("enable").add(QmpGreeting.OOB);
    }
    CompletableFuture<Object> negotiated = new CompletableFuture<>();
    long left = remaining(deadline);
    c.send(
        "qmp_capabilities",
        args,
        false,
        null,
        negotiated,
        Function.identity(),
        null,
        Duration.ofNanos(Math.max(1, left)));
    try {
      negotiated.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof QmpTimeoutException) {
        QmpConnectionException ex =
            new QmpConnectionException(
                addressText,
                "no answer to qmp_capabilities from "
                    + addressText
                    + " within "
                    + Exceptions.human(timeout),
                cause,
                true);
        c.fail(ex);
        throw ex;
      }
      throw connectFailure(c, "negotiating with " + addressText, cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      c.fail(Exceptions.lost(addressText, "interrupted while negotiating", e));
      throw Exceptions.lost(addressText, "interrupted while negotiating with " + addressText, e);
    }
    c.oob = oob;
    return c;
  }

  /**
   * For a greeting that did not come over plain TCP: QEMU sends nothing to a plain client on a
   * monitor with {@code tls-creds}, so the port may expect TLS.
   */
  private String tlsHint() {
    if (config.address() instanceof QmpAddress.Tcp && config.transportOptions().tls().isEmpty()) {
      return " (if that port expects TLS, i.e. QEMU's chardev has tls-creds, QEMU sends nothing to"
          + " a plain client: connect with QmpClient.Builder.tls(...))";
    }
    return "";
  }

  private RuntimeException connectFailure(Connection c, String what, Throwable cause) {
    QmpCommunicationException ex;
    if (cause instanceof QmpConnectionException) {
      ex = (QmpConnectionException) cause;
    } else {
      ex =
          new QmpConnectionException(
              addressText, what + " failed: " + cause.getMessage(), cause, false);
    }
    c.fail(ex);
    return ex;
  }

  private static long remaining(long deadline) {
    return Math.max(0, deadline - System.nanoTime());
  }

  /** Pause between attempts while {@link ClientConfig#waitForSocket} waits for the socket. */
  private static final long SOCKET_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private QmpConnection openTransport(Duration timeout, boolean first) {
    if (config.connection() != null) {
      synchronized (lifecycle) {
        if (adoptedUsed) {
          throw new QmpConnectionException(
              addressText, "an adopted connection cannot be opened again", null);
        }
        adoptedUsed = true;
      }
      return config.connection();
    }
    if (config.listener() != null) {
      return config.listener().accept(timeout);
    }
    if (!first || !config.waitForSocket()) {
      return Transports.connect(config.address(), timeout, config.transportOptions());
    }
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    for (int attempt = 1; ; attempt++) {
      long left = deadline - System.nanoTime();
      try {
        return Transports.connect(
            config.address(),
            Duration.ofNanos(Math.max(left, 1_000_000)),
            config.transportOptions());
      } catch (QmpConnectionException e) {
        if (!notListeningYet(e)) {
          throw e;
        }
        left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new QmpConnectionException(
              addressText,
              "waited "
                  + Exceptions.human(timeout)
                  + " for "
                  + addressText
                  + " to accept a connection ("
                  + attempt
                  + " attempts), in vain; the last attempt: "
                  + e.getMessage(),
              e,
              true);
        }
        try {
          TimeUnit.NANOSECONDS.sleep(Math.min(left, SOCKET_RETRY_NANOS));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw Exceptions.lost(addressText, "interrupted while waiting for " + addressText, ie);
        }
      }
    }
  }

  /**
   * Whether a failed connect means the peer is not listening yet (socket file missing, connection
   * refused) rather than something waiting cannot cure (permissions, bad host, TLS).
   */
  private boolean notListeningYet(QmpConnectionException e) {
    if (e.timedOut()) {
      return false;
    }
    if (config.address() instanceof QmpAddress.Unix) {
      // The transport's message says what it found: a missing file, a socket nothing listens on
      // ("Connection refused"), or something else (not a socket, no permission).
      java.nio.file.Path path = ((QmpAddress.Unix) config.address()).path();
      String m = String.valueOf(e.getMessage());
      return !Files.exists(path)
          || (m.contains("Connection refused") && !m.contains("not a socket"));
    }
    return e.getCause() instanceof ConnectException;
  }

  /**
   * Moves to state {@code s} and notifies the state listeners (in order, on the executor). Under
   * {@link #lifecycle}.
   */
  private void setState(ConnectionState s) {
    if (state == s) {
      return;
    }
    state = s;
    if (!stateListeners.isEmpty()) {
      transitions.add(s);
      if (transitionsRunning.compareAndSet(false, true)) {
        callbacks.execute(this::drainTransitions);
      }
    }
  }

  private void drainTransitions() {
    do {
      ConnectionState s;
      while ((s = transitions.poll()) != null) {
        for (StateListener l : stateListeners) {
          try {
            l.listener.accept(s);
          } catch (RuntimeException e) {
            LOG.warn("{}: a state listener threw on {}", name, s, e);
          }
        }
      }
      transitionsRunning.set(false);
    } while (!transitions.isEmpty() && transitionsRunning.compareAndSet(false, true));
  }

  /** A registered state listener (its own object, so that each registration is removed once). */
  private final class StateListener implements Registration {
    final Consumer<ConnectionState> listener;

    StateListener(Consumer<ConnectionState> listener) {
      this.listener = listener;
    }

    @Override
    public void close() {
      stateListeners.remove(this);
    }
  }

  @Override
  public Registration onStateChange(Consumer<ConnectionState> listener) {
    StateListener l = new StateListener(Objects.requireNonNull(listener, "listener"));
    stateListeners.add(l);
    return l;
  }

  /** Called as soon as {@code c} fails, before its pending commands are failed. */
  private void markLost(Connection c) {
    synchronized (lifecycle) {
      if (c != conn || closed) {
        return;
      }
      boolean reconnect = config.reconnect().enabled() && config.connection() == null;
      if (reconnect) {
        startHolding(); // before any event of a later connection can arrive
      }
      setState(reconnect ? ConnectionState.RECONNECTING : ConnectionState.CLOSED);
    }
  }

  /** Called on the reader thread of {@code c} after it failed and stopped reading. */
  private void connectionEnded(Connection c) {
    QmpCommunicationException cause = c.failure;
    boolean reconnect;
    synchronized (lifecycle) {
      if (c != conn) {
        // It failed before the client installed it (right after negotiating): the client handles
        // its end once it is installed (handleEndLater).
        c.endedBeforeInstalled = true;
        return;
      }
      if (closed) {
        return;
      }
      reconnect = config.reconnect().enabled() && config.connection() == null;
      if (reconnect) {
        startHolding();
        setState(ConnectionState.RECONNECTING);
        reconnectThread = Thread.currentThread();
      } else {
        setState(ConnectionState.CLOSED);
      }
    }
    failWaiters(cause);
    if (!reconnect) {
      failParked(cause);
      endSubscriptions(cause);
      return;
    }
    Thread.currentThread().setName("qmp4j-client-" + threadName(name) + "-reconnect");
    reconnectLoop(cause);
  }

  /**
   * {@code c} ended before it was installed, so its reader thread handed its end to the client:
   * handle it (reconnect, or close) on a thread of its own, as that reader thread would have.
   */
  private void handleEndLater(Connection c) {
    Thread t = new Thread(() -> connectionEnded(c), "qmp4j-client-" + threadName(name) + "-ended");
    t.setDaemon(true);
    t.start();
  }

  private void reconnectLoop(QmpCommunicationException cause) {
    long downSince = System.nanoTime();
    QmpGreeting before = lastGreeting; // of the connection that was lost
    ReconnectPolicy policy = config.reconnect();
    QmpCommunicationException last = cause;
    LOG.info("{}: connection lost ({}); reconnecting", name, cause.getMessage());
    for (int attempt = 1; ; attempt++) {
      if (attempt > policy.maxAttempts()) {
        giveUp(attempt - 1, last);
        return;
      }
      try {
        Thread.sleep(policy.delay(attempt).toMillis());
      } catch (InterruptedException e) {
        return; // closed
      }
      if (closed) {
        return;
      }
      Connection nc = null;
      ObjectNode resync;
      try {
        nc = open(config.connectTimeout(), false);
        resendParked(nc);
        resync = resync(nc, policy);
      } catch (QmpCommunicationException e) {
        if (nc != null) {
          nc.fail(e);
        }
        last = e;
        LOG.debug("{}: reconnect attempt {} failed: {}", name, attempt, e.getMessage());
        continue;
      } catch (InterruptedException e) {
        if (nc != null) {
          nc.fail(Exceptions.lost(addressText, "client " + name + " was closed", e));
        }
        return; // closed
      }
      ObjectNode data = QmpJson.objectNode();
      data.put("reason", cause.getMessage());
      data.put("down-ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - downSince));
      data.put("attempts", attempt);
      QmpGreeting now = nc.greeting.join();
      ObjectNode qmp = (ObjectNode) now.toJson().get("QMP");
      data.set("version", qmp.get("version"));
      data.set("capabilities", qmp.get("capabilities"));
      data.put(
          "peer-changed",
          before == null
              || !before.version().equals(now.version())
              || !before.capabilities().equals(now.capabilities()));
      if (resync != null) {
        data.set("resync", resync);
      }
      boolean endedEarly;
      synchronized (lifecycle) {
        if (closed) {
          nc.fail(Exceptions.lost(addressText, "client " + name + " was closed", null));
          return;
        }
        conn = nc;
        setState(ConnectionState.CONNECTED);
        reconnectThread = null;
        endedEarly = nc.endedBeforeInstalled;
      }
      if (endedEarly) {
        handleEndLater(nc);
      }
      releaseHeld(data);
      resendParked(nc); // parked while the resync ran (a late failure on the old connection)
      nc.startHeartbeat();
      LOG.info("{}: reconnected after {} attempt(s)", name, attempt);
      return;
    }
  }

  /**
   * Runs the policy's resync commands on {@code nc}, pipelined; their answers in QMP's reply shape,
   * keyed by command name, or null if there are none.
   *
   * @throws QmpCommunicationException if {@code nc} is lost meanwhile (the attempt failed)
   */
  private ObjectNode resync(Connection nc, ReconnectPolicy policy) throws InterruptedException {
    List<QmpCommand> commands = policy.resyncCommands();
    if (commands.isEmpty()) {
      return null;
    }
    List<CompletableFuture<Object>> replies = new ArrayList<>(commands.size());
    for (QmpCommand cmd : commands) {
      CompletableFuture<Object> reply = new CompletableFuture<>();
      replies.add(reply);
      nc.send(
          cmd.name(),
          CommandAccess.arguments(cmd),
          false,
          null,
          reply,
          Function.identity(),
          null,
          config.timeoutFor(cmd));
    }
    ObjectNode out = QmpJson.objectNode();
    for (int i = 0; i < commands.size(); i++) {
      ObjectNode entry = out.putObject(commands.get(i).name());
      try {
        entry.set("return", (JsonNode) replies.get(i).get());
      } catch (ExecutionException e) {
        Throwable t = Futures.unwrap(e.getCause());
        if (nc.failure != null) {
          throw nc.failure;
        }
        ObjectNode error = entry.putObject("error");
        if (t instanceof QmpErrorException) {
          error.put("class", ((QmpErrorException) t).errorClass());
          error.put("desc", ((QmpErrorException) t).desc());
        } else {
          error.put("class", t instanceof QmpTimeoutException ? "Timeout" : t.getClass().getName());
          error.put("desc", String.valueOf(t.getMessage()));
        }
      }
    }
    if (nc.failure != null) {
      throw nc.failure;
    }
    return out;
  }

  /** Maximum events held back during a reconnect; beyond it the oldest are dropped (counted). */
  static final int HOLD_LIMIT = 10_000;

  /** From now until {@link #releaseHeld}, events are held back. Under {@link #lifecycle}. */
  private void startHolding() {
    synchronized (gapLock) {
      if (held == null) {
        held = new ArrayDeque<>();
        heldDropped = 0;
        holding = true;
      }
    }
  }

  /** Holds {@code event} back if a reconnect is under way; false: deliver it now. */
  private boolean hold(QmpEvent event) {
    synchronized (gapLock) {
      if (held == null) {
        return false;
      }
      if (held.size() >= HOLD_LIMIT) {
        held.pollFirst();
        heldDropped++;
      }
      held.addLast(event);
      return true;
    }
  }

  /** Delivers the gap marker, then the events held back meanwhile, and stops holding. */
  private void releaseHeld(ObjectNode markerData) {
    synchronized (gapLock) {
      if (heldDropped > 0) {
        markerData.put("events-dropped", heldDropped);
      }
      dispatchMarker(QmpEvent.of(EventSubscription.GAP_EVENT, markerData, Instant.now()));
      ArrayDeque<QmpEvent> h = held;
      held = null;
      holding = false;
      if (h != null) {
        for (QmpEvent e : h) {
          dispatch(e);
        }
      }
    }
    wakeSubscriptions();
  }

  /** Drops the events held back (the client closed or gave up). */
  private void dropHeld() {
    synchronized (gapLock) {
      held = null;
      holding = false;
    }
  }

  private void giveUp(int attempts, QmpCommunicationException last) {
    QmpConnectionLostException ex =
        Exceptions.lost(
            addressText,
            "gave up reconnecting to "
                + addressText
                + " after "
                + attempts
                + " attempt(s): "
                + last.getMessage(),
            last);
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      setState(ConnectionState.CLOSED);
      reconnectThread = null;
    }
    LOG.warn("{}: {}", name, ex.getMessage());
    dropHeld();
    failParked(ex);
    endSubscriptions(ex);
  }

  @Override
  public void close() {
    Connection c;
    Thread rt;
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      setState(ConnectionState.CLOSED);
      c = conn;
      rt = reconnectThread;
    }
    QmpConnectionLostException cause =
        Exceptions.lost(addressText, "client " + name + " was closed", null);
    Thread me = Thread.currentThread();
    if (rt != null && rt != me) {
      // The reconnect thread is the lost connection's reader thread: wake it from its backoff
      // sleep, connect or resync before joining it.
      rt.interrupt();
    }
    if (c != null) {
      c.fail(cause);
      if (c.thread != me) {
        join(c.thread);
      }
    }
    if (rt != null && rt != me) {
      join(rt);
    }
    dropHeld();
    failParked(cause);
    failWaiters(cause);
    endSubscriptions(null);
    callbacks.shutdown();
    if (!me.getName().startsWith("qmp4j-client-")) {
      callbacks.awaitTermination(1000);
    }
  }

  // ---------------------------------------------------------------------- retried queries

  /**
   * A read-only query that {@link ReconnectPolicy#retryQueries} keeps across a reconnect: the
   * caller's future, completed from whichever connection answers.
   */
  private final class Retry {
    final QmpCommand command;
    final CompletableFuture<?> future;
    final Function<JsonNode, ?> binder;
    final Duration timeout;
    final long deadline; // System.nanoTime() based; Long.MAX_VALUE: none
    ScheduledFuture<?> timer; // while parked; guarded by lifecycle
    boolean resent;
    volatile boolean sent; // some attempt was written to a connection
    volatile JsonNode lastId; // of the last attempt that timed out, if any

    Retry(QmpCommand command, CompletableFuture<?> future, Function<JsonNode, ?> binder) {
      this.command = command;
      this.future = future;
      this.binder = binder;
      this.timeout = config.timeoutFor(command);
      this.deadline =
          timeout.equals(QmpCommand.NO_TIMEOUT)
              ? Long.MAX_VALUE
              : System.nanoTime() + timeout.toNanos();
    }

    @SuppressWarnings("unchecked")
    void fail(Throwable t) {
      ((CompletableFuture<Object>) future).completeExceptionally(t);
    }

    QmpTimeoutException timedOut() {
      return Exceptions.retryTimeout(command.name(), lastId, timeout, resent);
    }
  }

  /** Sends {@code r} on {@code c}; if {@code c} is lost before the reply, parks it again. */
  @SuppressWarnings("unchecked")
  private void sendRetry(Connection c, Retry r) {
    if (r.future.isDone()) {
      return; // cancelled meanwhile
    }
    Duration left = QmpCommand.NO_TIMEOUT;
    if (r.deadline != Long.MAX_VALUE) {
      long nanos = r.deadline - System.nanoTime();
      if (nanos <= 0) {
        r.fail(r.timedOut());
        return;
      }
      left = Duration.ofNanos(nanos);
    }
    CompletableFuture<Object> attempt = new CompletableFuture<>();
    attempt.whenComplete(
        (v, err) -> {
          if (err == null) {
            ((CompletableFuture<Object>) r.future).complete(v);
            return;
          }
          Throwable t = Futures.unwrap(err);
          if (c.failedWith(t)) {
            if (t instanceof QmpConnectionLostException
                && ((QmpConnectionLostException) t).commandSent()) {
              r.sent = true;
            }
            park(r, c, (QmpCommunicationException) t);
          } else if (t instanceof QmpTimeoutException && r.resent) {
            r.lastId = ((QmpTimeoutException) t).id();
            r.fail(r.timedOut());
          } else {
            r.fail(t);
          }
        });
    c.send(
        r.command.name(),
        CommandAccess.arguments(r.command),
        false,
        null,
        attempt,
        r.binder,
        null,
        left);
  }

  /**
   * {@code r} was pending on {@code lost} when it failed: keep it for the next connection while
   * reconnecting, send it on the new one if that is already up, else fail it.
   */
  private void park(Retry r, Connection lost, QmpCommunicationException cause) {
    Connection now = null;
    synchronized (lifecycle) {
      // The connection publishes its failure before the client learns of it (markLost): a retry
      // that failed on it in between is parked too, if the client will reconnect.
      boolean willReconnect =
          conn == lost && config.reconnect().enabled() && config.connection() == null;
      if (!closed && (state == ConnectionState.RECONNECTING || willReconnect)) {
        parked.add(r);
        if (r.deadline != Long.MAX_VALUE) {
          r.timer =
              Delayer.schedule(
                  () -> {
                    synchronized (lifecycle) {
                      if (!parked.remove(r)) {
                        return;
                      }
                    }
                    r.fail(r.timedOut());
                  },
                  r.deadline - System.nanoTime());
        }
        return;
      }
      if (!closed && state == ConnectionState.CONNECTED && conn != lost) {
        now = conn;
      }
    }
    if (now != null) {
      r.resent = true;
      sendRetry(now, r);
    } else {
      r.fail(Exceptions.forCommand(cause, r.sent));
    }
  }

  /** Sends the parked queries on the new connection {@code nc}. Reconnect thread. */
  private void resendParked(Connection nc) {
    List<Retry> toSend;
    synchronized (lifecycle) {
      if (parked.isEmpty()) {
        return;
      }
      toSend = new ArrayList<>(parked);
      parked.clear();
      for (Retry r : toSend) {
        if (r.timer != null) {
          r.timer.cancel(false);
          r.timer = null;
        }
      }
    }
    for (Retry r : toSend) {
      r.resent = true;
      sendRetry(nc, r);
    }
  }

  private void failParked(Throwable cause) {
    List<Retry> toFail;
    synchronized (lifecycle) {
      toFail = new ArrayList<>(parked);
      parked.clear();
      for (Retry r : toFail) {
        if (r.timer != null) {
          r.timer.cancel(false);
        }
      }
    }
    for (Retry r : toFail) {
      r.fail(Exceptions.forCommand(cause, r.sent));
    }
  }

  private static void join(Thread t) {
    try {
      t.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public ConnectionState state() {
    return state;
  }

  @Override
  public Optional<QmpGreeting> greeting() {
    return Optional.ofNullable(lastGreeting);
  }

  @Override
  public boolean oobEnabled() {
    Connection c = conn;
    return c != null && c.oob;
  }

  @Override
  public Optional<QmpAddress> address() {
    if (config.address() != null) {
      return Optional.of(config.address());
    }
    if (config.listener() != null) {
      return Optional.of(config.listener().localAddress());
    }
    return config.connection().address();
  }

  @Override
  public String toString() {
    return "QmpClient[" + name + ", " + state + "]";
  }

  // ====================================================================== commands

  @Override
  public CompletableFuture<JsonNode> executeAsync(QmpCommand command) {
    return submit(command, Function.identity());
  }

  @Override
  public <T> CompletableFuture<T> executeAsync(QmpCommand command, Class<T> type) {
    Objects.requireNonNull(type, "type");
    return submit(command, v -> QmpJson.convert(v, type));
  }

  @Override
  public <T> CompletableFuture<T> executeAsync(QmpCommand command, TypeReference<T> type) {
    JavaType javaType = QmpJson.mapper().getTypeFactory().constructType(type);
    return submit(command, v -> QmpJson.convert(v, javaType));
  }

  private <T> CompletableFuture<T> submit(QmpCommand command, Function<JsonNode, T> binder) {
    Objects.requireNonNull(command, "command");
    ClientFuture<T> future = new ClientFuture<>(callbacks, roundTrip);
    Connection c = usable(future);
    if (c == null || !precheck(c, command, future)) {
      return future;
    }
    boolean retried = retried(command);
    if (c.callersMayRead() && !retried) {
      future.readBy(c);
    }
    if (config.validateArguments()) {
      CompletableFuture<QapiSchema> schema = schemaAsync();
      if (schema.isDone() && !schema.isCompletedExceptionally()) {
        if (validate(schema.join(), command, future)) {
          sendCommand(c, command, future, binder, retried);
        }
      } else {
        schema.whenCompleteAsync(
            (s, err) -> {
              if (err != null) {
                future.completeExceptionally(Futures.unwrap(err));
              } else if (validate(s, command, future)) {
                sendCommand(c, command, future, binder, retried);
              }
            },
            callbacks);
      }
      return future;
    }
    sendCommand(c, command, future, binder, retried);
    return future;
  }

  private boolean validate(QapiSchema schema, QmpCommand command, CompletableFuture<?> future) {
    try {
      schema.validateArguments(command.name(), CommandAccess.arguments(command));
      warnFeatures(schema, command);
      return true;
    } catch (QmpErrorException e) {
      future.completeExceptionally(Exceptions.rejected(e, command.name()));
    } catch (IllegalArgumentException e) {
      future.completeExceptionally(e);
    }
    return false;
  }

  /**
   * Reports, once per client, a command or a given argument that the peer's schema marks {@code
   * deprecated} or {@code unstable}.
   */
  private void warnFeatures(QapiSchema schema, QmpCommand command) {
    SchemaCommand sc = schema.command(command.name()).orElse(null);
    if (sc == null) {
      return;
    }
    for (String f : sc.features()) {
      if (WARN_FEATURES.contains(f)) {
        warnFeature(command.name(), command.name() + " is " + f);
      }
    }
    ObjectNode args = CommandAccess.arguments(command);
    if (args == null || args.isEmpty()) {
      return;
    }
    SchemaType t = schema.type(sc.argType()).orElse(null);
    if (!(t instanceof SchemaType.ObjectType)) {
      return;
    }
    for (SchemaType.Member m : ((SchemaType.ObjectType) t).members()) {
      if (!m.features().isEmpty() && args.has(m.name())) {
        for (String f : m.features()) {
          if (WARN_FEATURES.contains(f)) {
            warnFeature(
                command.name() + "/" + m.name(),
                command.name() + ": argument '" + m.name() + "' is " + f);
          }
        }
      }
    }
  }

  private static final Set<String> WARN_FEATURES = Set.of("deprecated", "unstable");

  private void warnFeature(String key, String text) {
    if (!featureWarned.add(key + "$" + text)) {
      return;
    }
    QmpGreeting g = lastGreeting;
    String line =
        g == null
            ? text
            : text
                + " in QEMU "
                + g.version().major()
                + "."
                + g.version().minor()
                + "."
                + g.version().micro();
    LOG.warn("{}: {}", name, line);
    Consumer<String> handler = config.featureWarningHandler();
    if (handler != null) {
      try {
        handler.accept(line);
      } catch (RuntimeException e) {
        LOG.warn("{}: the feature-warning handler threw", name, e);
      }
    }
  }

  /** Whether {@code command} would be sent again after a reconnect ({@link Retry}). */
  private boolean retried(QmpCommand command) {
    ReconnectPolicy policy = config.reconnect();
    return policy.retriesQueries()
        && !command.oob()
        && command.fds().isEmpty()
        && config.connection() == null
        && policy.retries(command.name());
  }

  private void sendCommand(
      Connection c,
      QmpCommand command,
      CompletableFuture<?> future,
      Function<JsonNode, ?> binder,
      boolean retried) {
    if (retried) {
      sendRetry(c, new Retry(command, future, binder));
      return;
    }
    c.send(
        command.name(),
        CommandAccess.arguments(command),
        command.oob(),
        command.fds(),
        future,
        binder,
        null,
        config.timeoutFor(command));
  }

  /** The connection to send on, or null after failing {@code future} with the reason. */
  private Connection usable(CompletableFuture<?> future) {
    Connection c = conn;
    ConnectionState s = state;
    if (c != null && s == ConnectionState.CONNECTED && c.failure == null) {
      return c;
    }
    String why;
    switch (s) {
      case NEW:
        why = "client " + name + " is not connected yet (call connect())";
        future.completeExceptionally(new IllegalStateException(why));
        return null;
      case CONNECTING:
        why = "client " + name + " is still connecting";
        future.completeExceptionally(new IllegalStateException(why));
        return null;
      case RECONNECTING:
        why = "not connected to " + addressText + ": reconnecting";
        break;
      case CLOSED:
        why = closed ? "client " + name + " is closed" : "connection to " + addressText + " lost";
        break;
      default:
        why = "connection to " + addressText + " lost";
        break;
    }
    Throwable cause = c != null ? c.failure : null;
    if (cause != null
        && cause.getMessage() != null
        && !closed
        && s != ConnectionState.RECONNECTING) {
      // Say what ended the connection (closed by the peer, reset, ...), not just that it ended.
      why = cause.getMessage();
    }
    future.completeExceptionally(Exceptions.lost(addressText, why, cause));
    return null;
  }

  private boolean precheck(Connection c, QmpCommand command, CompletableFuture<?> future) {
    if (command.oob() && !c.oob) {
      future.completeExceptionally(
          new IllegalStateException(
              command.name()
                  + ": out-of-band execution is not enabled on this connection (the server did not"
                  + " offer 'oob', or the client was built with oob(false))"));
      return false;
    }
    if (command.oob() && !command.fds().isEmpty()) {
      // QEMU drops a message's unclaimed descriptors when the next message with descriptors
      // arrives; an out-of-band command overtakes the in-band one whose descriptors QEMU holds.
      future.completeExceptionally(
          new IllegalArgumentException(
              command.name()
                  + ": an out-of-band command cannot carry file descriptors (it would overtake the"
                  + " in-band command whose descriptors QEMU holds)"));
      return false;
    }
    if (!command.fds().isEmpty() && !c.transport.canPassDescriptors()) {
      future.completeExceptionally(
          new UnsupportedOperationException(
              command.name()
                  + ": this connection cannot pass file descriptors; connect to a unix: address"
                  + " with QmpClient.Builder.descriptorPassing(true)"));
      return false;
    }
    return true;
  }

  @Override
  public CompletableFuture<ObjectNode> executeRawAsync(String request) {
    Objects.requireNonNull(request, "request");
    JsonNode json;
    try {
      json = QmpJson.parse(request);
    } catch (QmpProtocolException e) {
      throw new IllegalArgumentException("not a JSON value: " + e.getMessage(), e);
    }
    if (!json.isObject()) {
      throw new IllegalArgumentException("a request must be a JSON object: " + request);
    }
    return executeRawAsync((ObjectNode) json);
  }

  @Override
  public CompletableFuture<ObjectNode> executeRawAsync(ObjectNode request) {
    Objects.requireNonNull(request, "request");
    JsonNode exec = request.get("execute");
    boolean oob = false;
    if (exec == null) {
      exec = request.get("exec-oob");
      oob = exec != null;
    }
    if (exec == null || !exec.isTextual()) {
      throw new IllegalArgumentException(
          "a request needs a string 'execute' or 'exec-oob' member: " + request);
    }
    ClientFuture<ObjectNode> future = new ClientFuture<>(callbacks, roundTrip);
    Connection c = usable(future);
    if (c == null) {
      return future;
    }
    if (oob && !c.oob) {
      future.completeExceptionally(
          new IllegalStateException("out-of-band execution is not enabled on this connection"));
      return future;
    }
    if (c.callersMayRead()) {
      future.readBy(c);
    }
    ObjectNode copy = request.deepCopy();
    JsonNode callerId = copy.get("id");
    c.sendRaw(exec.textValue(), copy, oob, future, callerId, config.timeoutFor(exec.textValue()));
    return future;
  }

  @Override
  public CompletableFuture<QmpEvent> executeAndAwaitEventAsync(
      QmpCommand command, EventFilter filter, Duration timeout) {
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(filter, "filter");
    Objects.requireNonNull(timeout, "timeout");
    ClientFuture<QmpEvent> result = new ClientFuture<>(callbacks);
    Connection c = usable(result);
    if (c == null || !precheck(c, command, result)) {
      return result;
    }
    EventWaiter waiter = new EventWaiter(this, filter, result);
    waiters.add(waiter); // before the command goes out: the event cannot slip through
    CompletableFuture<Object> reply = new CompletableFuture<>();
    reply.whenComplete(
        (v, err) -> {
          if (err != null) {
            waiter.fail(err);
          } else {
            waiter.commandSucceeded();
          }
        });
    waiter.timer =
        Delayer.schedule(
            () -> waiter.fail(Exceptions.eventTimeout(command.name(), filter, timeout)),
            timeout.toNanos());
    if (config.validateArguments()) {
      schemaAsync()
          .whenCompleteAsync(
              (s, err) -> {
                if (err != null) {
                  reply.completeExceptionally(Futures.unwrap(err));
                } else if (validate(s, command, reply)) {
                  sendCommand(c, command, reply, Function.identity(), false);
                }
              },
              callbacks);
    } else {
      sendCommand(c, command, reply, Function.identity(), false);
    }
    return result;
  }

  void removeWaiter(EventWaiter w) {
    waiters.remove(w);
  }

  private void failWaiters(Throwable cause) {
    for (EventWaiter w : waiters) {
      w.fail(cause);
    }
  }

  // ====================================================================== schema

  @Override
  public CompletableFuture<QapiSchema> schemaAsync() {
    ClientFuture<QapiSchema> failed = new ClientFuture<>(callbacks);
    Connection c = usable(failed);
    if (c == null) {
      return failed;
    }
    ClientFuture<QapiSchema> fresh;
    while (true) {
      CompletableFuture<QapiSchema> s = c.schema.get();
      if (s != null) {
        return s;
      }
      fresh = new ClientFuture<>(callbacks);
      if (c.schema.compareAndSet(null, fresh)) {
        break;
      }
      // Another call won; its fetch may have failed and cleared the slot meanwhile: look again.
    }
    ClientFuture<QapiSchema> mine = fresh;
    CompletableFuture<Object> reply = new CompletableFuture<>();
    reply.whenCompleteAsync(
        (v, err) -> {
          if (err != null) {
            c.schema.compareAndSet(mine, null); // let a later call try again
            mine.completeExceptionally(Futures.unwrap(err));
            return;
          }
          try {
            mine.complete(QapiSchema.fromIntrospection((JsonNode) v));
          } catch (RuntimeException e) {
            c.schema.compareAndSet(mine, null);
            mine.completeExceptionally(e);
          }
        },
        callbacks);
    c.send(
        "query-qmp-schema",
        null,
        false,
        null,
        reply,
        Function.identity(),
        null,
        config.timeoutFor("query-qmp-schema"));
    return mine;
  }

  // ====================================================================== events

  @Override
  public EventSubscription.Builder events() {
    return new SubscriptionBuilder(this);
  }

  Subscription addSubscription(Subscription s) {
    subscriptions.add(s);
    if (state == ConnectionState.CLOSED) {
      subscriptions.remove(s);
      s.end(closed ? null : Exceptions.lost(addressText, "connection lost", null));
    }
    return s;
  }

  void removeSubscription(Subscription s) {
    subscriptions.remove(s);
  }

  private void endSubscriptions(Throwable cause) {
    for (Subscription s : subscriptions) {
      s.end(cause);
    }
    subscriptions.clear();
  }

  /** Offers an event to every matching subscription and waiter. Reader thread. */
  private void dispatch(QmpEvent event) {
    for (Subscription s : subscriptions) {
      try {
        if (s.filter().test(event)) {
          s.offer(event, false, true);
        }
      } catch (RuntimeException e) {
        LOG.warn("{}: an event filter threw on {}", name, event.name(), e);
      }
    }
    if (!waiters.isEmpty()) {
      for (EventWaiter w : waiters) {
        try {
          if (w.filter.test(event)) {
            w.eventArrived(event);
          }
        } catch (RuntimeException e) {
          LOG.warn("{}: an event filter threw on {}", name, event.name(), e);
        }
      }
    }
  }

  /** Wakes the consumers of events queued during one read. Reader thread. */
  private void wakeSubscriptions() {
    for (Subscription s : subscriptions) {
      s.wake();
    }
  }

  /** Offers a synthetic marker to every subscription, whatever its filter. */
  private void dispatchMarker(QmpEvent marker) {
    for (Subscription s : subscriptions) {
      s.offer(marker, true, false);
    }
  }

  Executor callbacks() {
    return callbacks;
  }

  // ====================================================================== unmatched replies

  /**
   * Hands a reply that matched no command to the unmatched-reply handler, if any. Reader thread.
   */
  private void unmatchedReply(ObjectNode value) {
    if (config.unmatchedReplyHandler() != null) {
      unmatchedQueue.add(value);
      if (unmatchedRunning.compareAndSet(false, true)) {
        callbacks.execute(this::drainUnmatched);
      }
    }
  }

  /** Calls the unmatched-reply handler one reply at a time, in the order they came. */
  private void drainUnmatched() {
    Consumer<JsonNode> handler = config.unmatchedReplyHandler();
    do {
      JsonNode v;
      while ((v = unmatchedQueue.poll()) != null) {
        try {
          handler.accept(v);
        } catch (RuntimeException e) {
          LOG.warn("{}: the unmatched-reply handler threw", name, e);
        }
      }
      unmatchedRunning.set(false);
    } while (!unmatchedQueue.isEmpty() && unmatchedRunning.compareAndSet(false, true));
  }
}
