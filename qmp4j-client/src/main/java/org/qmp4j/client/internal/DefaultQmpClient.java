package org.qmp4j.client.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
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
          dispatch(event);
        }

        @Override
        public void markerReceived(QmpEvent marker) {
          dispatchMarker(marker);
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
  private final java.util.Set<String> featureWarned = ConcurrentHashMap.newKeySet();

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
      state = ConnectionState.CONNECTING;
    }
    Connection c;
    try {
      c = open(config.connectTimeout(), null);
    } catch (RuntimeException e) {
      synchronized (lifecycle) {
        closed = true;
        state = ConnectionState.CLOSED;
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
      state = ConnectionState.CONNECTED;
    }
    c.startHeartbeat();
    return this;
  }

  /** Opens the transport, starts the reader, waits for the greeting and negotiates. */
  private Connection open(Duration timeout, QmpEvent gapMarker) {
    long deadline = System.nanoTime() + timeout.toNanos();
    QmpConnection transport = openTransport(timeout);
    Connection c =
        new Connection(
            owner,
            config,
            name,
            addressText,
            wireLog ? wire : null,
            transport,
            "qmp4j-client-" + threadName(name) + "-reader-" + generations.incrementAndGet(),
            gapMarker,
            gapMarker != null ? lastGreeting : null);
    c.start();
    QmpGreeting greeting;
    try {
      greeting = c.greeting.get(remaining(deadline), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      QmpConnectionException ex =
          new QmpConnectionException(
              addressText,
              "no QMP greeting from " + addressText + " within " + Exceptions.human(timeout),
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
    c.negotiated = true;
    return c;
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

  private QmpConnection openTransport(Duration timeout) {
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
    return Transports.connect(config.address(), timeout, config.transportOptions());
  }

  /** Called as soon as {@code c} fails, before its pending commands are failed. */
  private void markLost(Connection c) {
    synchronized (lifecycle) {
      if (c != conn || closed) {
        return;
      }
      state =
          config.reconnect().enabled() && config.connection() == null
              ? ConnectionState.RECONNECTING
              : ConnectionState.CLOSED;
    }
  }

  /** Called on the reader thread of {@code c} after it failed and stopped reading. */
  private void connectionEnded(Connection c) {
    QmpCommunicationException cause = c.failure;
    boolean reconnect;
    synchronized (lifecycle) {
      if (c != conn || closed) {
        return;
      }
      reconnect = config.reconnect().enabled() && config.connection() == null;
      if (reconnect) {
        state = ConnectionState.RECONNECTING;
        reconnectThread = Thread.currentThread();
      } else {
        state = ConnectionState.CLOSED;
      }
    }
    failWaiters(cause);
    if (!reconnect) {
      endSubscriptions(cause);
      return;
    }
    Thread.currentThread().setName("qmp4j-client-" + threadName(name) + "-reconnect");
    reconnectLoop(cause);
  }

  private void reconnectLoop(QmpCommunicationException cause) {
    long downSince = System.nanoTime();
    QmpCommunicationException last = cause;
    LOG.info("{}: connection lost ({}); reconnecting", name, cause.getMessage());
    for (int attempt = 1; ; attempt++) {
      if (attempt > config.reconnect().maxAttempts()) {
        giveUp(attempt - 1, last);
        return;
      }
      try {
        Thread.sleep(config.reconnect().delay(attempt).toMillis());
      } catch (InterruptedException e) {
        return; // closed
      }
      if (closed) {
        return;
      }
      ObjectNode data = QmpJson.objectNode();
      data.put("reason", cause.getMessage());
      data.put("down-ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - downSince));
      data.put("attempts", attempt);
      QmpEvent marker = QmpEvent.of(EventSubscription.GAP_EVENT, data, Instant.now());
      Connection nc;
      try {
        nc = open(config.connectTimeout(), marker);
      } catch (QmpCommunicationException e) {
        last = e;
        LOG.debug("{}: reconnect attempt {} failed: {}", name, attempt, e.getMessage());
        continue;
      }
      synchronized (lifecycle) {
        if (closed) {
          nc.fail(Exceptions.lost(addressText, "client " + name + " was closed", null));
          return;
        }
        conn = nc;
        state = ConnectionState.CONNECTED;
        reconnectThread = null;
      }
      nc.flushGapMarker();
      nc.startHeartbeat();
      LOG.info("{}: reconnected after {} attempt(s)", name, attempt);
      return;
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
      state = ConnectionState.CLOSED;
      reconnectThread = null;
    }
    LOG.warn("{}: {}", name, ex.getMessage());
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
      state = ConnectionState.CLOSED;
      c = conn;
      rt = reconnectThread;
    }
    QmpConnectionLostException cause =
        Exceptions.lost(addressText, "client " + name + " was closed", null);
    Thread me = Thread.currentThread();
    if (c != null) {
      c.fail(cause);
      if (c.thread != me) {
        join(c.thread);
      }
    }
    if (rt != null && rt != me) {
      rt.interrupt();
      join(rt);
    }
    failWaiters(cause);
    endSubscriptions(null);
    callbacks.shutdown();
    if (!me.getName().startsWith("qmp4j-client-")) {
      callbacks.awaitTermination(1000);
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
    if (c.callersMayRead()) {
      future.readBy(c);
    }
    if (config.validateArguments()) {
      CompletableFuture<QapiSchema> schema = schemaAsync();
      if (schema.isDone() && !schema.isCompletedExceptionally()) {
        if (validate(schema.join(), command, future)) {
          sendCommand(c, command, future, binder);
        }
      } else {
        schema.whenCompleteAsync(
            (s, err) -> {
              if (err != null) {
                future.completeExceptionally(Futures.unwrap(err));
              } else if (validate(s, command, future)) {
                sendCommand(c, command, future, binder);
              }
            },
            callbacks);
      }
      return future;
    }
    sendCommand(c, command, future, binder);
    return future;
  }

  private boolean validate(QapiSchema schema, QmpCommand command, CompletableFuture<?> future) {
    try {
      schema.validateArguments(command.name(), command.arguments());
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
    ObjectNode args = command.arguments();
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

  private static final java.util.Set<String> WARN_FEATURES =
      java.util.Set.of("deprecated", "unstable");

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

  private void sendCommand(
      Connection c, QmpCommand command, CompletableFuture<?> future, Function<JsonNode, ?> binder) {
    c.send(
        command.name(),
        command.arguments(),
        command.oob(),
        command.fds(),
        future,
        binder,
        null,
        command.timeout().orElse(config.commandTimeout()));
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
    c.sendRaw(exec.textValue(), copy, oob, future, callerId, config.commandTimeout());
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
                  sendCommand(c, command, reply, Function.identity());
                }
              },
              callbacks);
    } else {
      sendCommand(c, command, reply, Function.identity());
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
    CompletableFuture<QapiSchema> s = c.schema.get();
    if (s != null) {
      return s;
    }
    ClientFuture<QapiSchema> fresh = new ClientFuture<>(callbacks);
    if (!c.schema.compareAndSet(null, fresh)) {
      return c.schema.get();
    }
    CompletableFuture<Object> reply = new CompletableFuture<>();
    reply.whenCompleteAsync(
        (v, err) -> {
          if (err != null) {
            c.schema.compareAndSet(fresh, null); // let a later call try again
            fresh.completeExceptionally(Futures.unwrap(err));
            return;
          }
          try {
            fresh.complete(QapiSchema.fromIntrospection((JsonNode) v));
          } catch (RuntimeException e) {
            c.schema.compareAndSet(fresh, null);
            fresh.completeExceptionally(e);
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
        config.commandTimeout());
    return fresh;
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
