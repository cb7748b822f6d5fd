package org.qmp4j.client.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
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
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
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

  /** Prefix of the ids the client generates. */
  static final String ID_PREFIX = "qmp4j-";

  private static final AtomicInteger CLIENTS = new AtomicInteger();
  private static final QmpWriter WRITER = QmpWriter.compact();
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
    Connection c = new Connection(transport, generations.incrementAndGet(), gapMarker);
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
    if (c.readSelector != null) {
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
    if (c.readSelector != null) {
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
  void dispatch(QmpEvent event) {
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
  void wakeSubscriptions() {
    for (Subscription s : subscriptions) {
      s.wake();
    }
  }

  /** Offers a synthetic marker to every subscription, whatever its filter. */
  void dispatchMarker(QmpEvent marker) {
    for (Subscription s : subscriptions) {
      s.offer(marker, true, false);
    }
  }

  Executor callbacks() {
    return callbacks;
  }

  // ====================================================================== connection

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

  /**
   * One connection: its transport, reader thread, pending commands and write queue. When the
   * transport is a socket channel, it runs in non-blocking mode under a selector and waiting
   * callers may read for it (see {@link ReplySource}); otherwise the reader thread alone reads,
   * blocking.
   */
  /**
   * A request without arguments, encoded once but for its id's number: {@code head}, the digits,
   * {@code tail} give exactly the bytes the writer makes for it.
   */
  static final class RequestTemplate {
    private static final long PROBE = 1_000_000_007L;
    final String command;
    final boolean oob;
    private final byte[] head;
    private final byte[] tail;

    private RequestTemplate(String command, boolean oob, byte[] head, byte[] tail) {
      this.command = command;
      this.oob = oob;
      this.head = head;
      this.tail = tail;
    }

    /** Null if the command's encoding cannot be split around its id's number. */
    static RequestTemplate of(String command, boolean oob) {
      ObjectNode request = QmpJson.objectNode();
      request.put(oob ? "exec-oob" : "execute", command);
      request.put("id", ID_PREFIX + PROBE);
      byte[] bytes;
      try {
        bytes = WRITER.writeMessage(request);
      } catch (RuntimeException e) {
        return null; // the slow path reports it
      }
      byte[] marker = ("\"" + ID_PREFIX + PROBE + "\"").getBytes(StandardCharsets.US_ASCII);
      int at = indexOf(bytes, marker, 0);
      if (at < 0 || indexOf(bytes, marker, at + 1) >= 0) {
        return null;
      }
      int digitsAt = at + 1 + ID_PREFIX.length();
      int digitsEnd = digitsAt + Long.toString(PROBE).length();
      return new RequestTemplate(
          command,
          oob,
          Arrays.copyOfRange(bytes, 0, digitsAt),
          Arrays.copyOfRange(bytes, digitsEnd, bytes.length));
    }

    private static int indexOf(byte[] bytes, byte[] marker, int from) {
      outer:
      for (int i = from; i <= bytes.length - marker.length; i++) {
        for (int k = 0; k < marker.length; k++) {
          if (bytes[i + k] != marker[k]) {
            continue outer;
          }
        }
        return i;
      }
      return -1;
    }

    /** The request with id {@code ID_PREFIX + n}, {@code n} positive. */
    byte[] encode(long n) {
      int digits = 1;
      for (long v = n; v >= 10; v /= 10) {
        digits++;
      }
      byte[] out = new byte[head.length + digits + tail.length];
      System.arraycopy(head, 0, out, 0, head.length);
      int end = head.length + digits;
      for (long v = n; ; v /= 10) {
        out[--end] = (byte) ('0' + (v % 10));
        if (v < 10) {
          break;
        }
      }
      System.arraycopy(tail, 0, out, head.length + digits, tail.length);
      return out;
    }
  }

  final class Connection implements QmpReader.Handler, Runnable, ReplySource {
    final QmpConnection transport;
    final Thread thread;
    final CompletableFuture<QmpGreeting> greeting = new CompletableFuture<>();
    final AtomicReference<CompletableFuture<QapiSchema>> schema = new AtomicReference<>();
    volatile boolean oob;
    volatile boolean negotiated;
    volatile QmpCommunicationException failure;

    private final ReplyReader reader;
    private final ConcurrentHashMap<String, Pending> pending = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Outgoing> queue = new ConcurrentLinkedQueue<>();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ByteBuffer writeBuffer = ByteBuffer.allocateDirect(WRITE_BUFFER);
    private final AtomicInteger oobOutstanding = new AtomicInteger();
    private final AtomicLong sweepAt = new AtomicLong(Long.MAX_VALUE);
    private final AtomicBoolean heartbeatInFlight = new AtomicBoolean();
    private final boolean canPassFds;
    private long writeSeq; // guarded by writeLock
    private volatile long lastReceive = System.nanoTime();
    private volatile ScheduledFuture<?> sweepTask;
    private volatile ScheduledFuture<?> heartbeatTask;
    private volatile QmpEvent gapMarker;
    private final QmpGreeting previousGreeting; // of the connection before, for the gap marker

    // leader/follower reading: null selector means the reader thread alone reads, blocking
    final Selector readSelector;
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
    private final AtomicInteger waitingCallers = new AtomicInteger();
    private volatile boolean readerDozing; // parked for longer than POLL_MIN_NANOS
    private volatile boolean takeOver; // a caller let go and wants the reader thread to read

    Connection(QmpConnection transport, int generation, QmpEvent gapMarker) {
      this.transport = transport;
      this.reader =
          new ReplyReader(
              QmpReader.liberal(config.maxMessageSize()),
              config.maxMessageSize(),
              READ_BUFFER,
              FAST_READER);
      this.canPassFds = transport.canPassDescriptors();
      this.gapMarker = gapMarker;
      this.previousGreeting = gapMarker != null ? lastGreeting : null;
      this.readSelector = openSelector(transport);
      this.thread = new Thread(this, "qmp4j-client-" + threadName(name) + "-reader-" + generation);
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
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
     * The reader thread with a selector: handles what callers passed on, and reads whenever the
     * lead has been free for a grace period and no caller wants it.
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
                wakeSubscriptions();
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
        wakeSubscriptions();
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
        reader.feed(buf, this);
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
     * A caller read the end of the stream: lets the reader thread first handle what was read before
     * it (QEMU's {@code quit} sends its reply just before closing; passed on behind an event, it
     * must not be failed by the end that follows it). Bounded, in case the reader thread is stuck
     * in a handler.
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
      wakeSubscriptions();
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
        java.util.List<FileDescriptor> fds,
        CompletableFuture<?> future,
        Function<JsonNode, ?> binder,
        JsonNode rawId,
        Duration timeout) {
      long n = ids.incrementAndGet();
      String id = ID_PREFIX + n;
      FileDescriptor[] fdArray =
          fds == null || fds.isEmpty() ? NO_FDS : fds.toArray(new FileDescriptor[0]);
      if (arguments == null) {
        RequestTemplate t = template;
        if (t == null || t.oob != oobFlag || !t.command.equals(command)) {
          t = RequestTemplate.of(command, oobFlag);
          template = t;
        }
        if (t != null) {
          enqueue(id, command, t.encode(n), oobFlag, fdArray, future, binder, rawId, timeout);
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
      String id = ID_PREFIX + ids.incrementAndGet();
      request.put("id", id);
      enqueue(id, command, request, oobFlag, NO_FDS, future, null, callerId, timeout);
    }

    private void enqueue(
        String id,
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
        String id,
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
            new String(bytes, 0, bytes.length - 2, StandardCharsets.UTF_8),
            fds.length == 0 ? "" : " (+" + fds.length + " fd)");
      }
      queue.add(new Outgoing(bytes, fds, p));
      flush();
    }

    /** Writes what is queued unless another thread is doing so (it will write ours too). */
    private void flush() {
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
      ws.select(IGNORE_KEY, 100);
    }

    /** Bookkeeping when a pending command leaves the map. */
    private void settled(Pending p) {
      if (p.oob) {
        oobOutstanding.decrementAndGet();
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
          p.fail(Exceptions.commandTimeout(p.command, p.id, p.timeout));
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
      send(
          "query-version",
          null,
          false,
          null,
          reply,
          Function.identity(),
          null,
          config.heartbeatTimeout());
    }

    // ------------------------------------------------------------------ failing

    /** Fails the connection once: closes it, fails every pending command at once. */
    void fail(QmpCommunicationException cause) {
      synchronized (this) {
        if (failure != null) {
          return;
        }
        failure = cause;
      }
      markLost(this);
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
      for (String id : pending.keySet()) {
        Pending p = pending.remove(id);
        if (p != null) {
          settled(p);
          p.fail(cause);
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
        wakeSubscriptions();
        if (failure == null) {
          fail(Exceptions.lost(addressText, "connection to " + addressText + " ended", null));
        }
        if (gapMarker != null) {
          gapMarker = null; // this connection never made it; the next one carries its own
        }
        connectionEnded(this);
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
     * A caller leads: it completes a reply itself only if nothing is queued for the reader thread
     * and completing runs no code; everything else goes to the reader thread, in order.
     */
    private void readByCaller(JsonNode value) {
      if (inboxCount.get() == 0) {
        JsonNode id = value.get("id");
        if (id != null && id.isTextual() && (value.has("return") || value.has("error"))) {
          Pending p = pending.get(id.textValue());
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
        if (gapMarker != null) {
          flushGapMarker();
        }
        dispatch((QmpEvent) message);
      } else if (message instanceof QmpGreeting) {
        if (!greeting.complete((QmpGreeting) message)) {
          LOG.warn("{}: ignoring a second greeting: {}", name, value);
        }
      } else {
        violation("the peer sent a request to the client: " + preview(value));
      }
    }

    void flushGapMarker() {
      synchronized (this) {
        QmpEvent m = gapMarker;
        if (m != null) {
          gapMarker = null;
          dispatchMarker(describePeer(m));
        }
      }
    }

    /**
     * The gap marker with what this connection learned about the peer: its version and
     * capabilities, and whether they differ from the previous connection's (the peer may have been
     * restarted as another QEMU). Left as it is if an event came before the greeting.
     */
    private QmpEvent describePeer(QmpEvent marker) {
      QmpGreeting now = greeting.getNow(null);
      if (now == null) {
        return marker;
      }
      ObjectNode data = ((ObjectNode) marker.data()).deepCopy();
      ObjectNode qmp = (ObjectNode) now.toJson().get("QMP");
      data.set("version", qmp.get("version"));
      data.set("capabilities", qmp.get("capabilities"));
      QmpGreeting before = previousGreeting;
      data.put(
          "peer-changed",
          before == null
              || !before.version().equals(now.version())
              || !before.capabilities().equals(now.capabilities()));
      return QmpEvent.of(marker.name(), data, marker.timestamp());
    }

    private void route(ObjectNode value, JsonNode id, QmpMessage message) {
      Pending p = id != null && id.isTextual() ? pending.remove(id.textValue()) : null;
      if (p == null) {
        unmatched(value, id);
        return;
      }
      settled(p);
      if (p.future.isDone()) {
        LOG.debug(
            "{}: discarding the late reply to {} (id {}): it timed out or was cancelled",
            name,
            p.command,
            p.id);
        return;
      }
      if (message instanceof QmpReturn) {
        p.complete(value, ((QmpReturn) message).value(), null);
      } else {
        p.complete(value, null, (QmpErrorReply) message);
      }
    }

    private void unmatched(ObjectNode value, JsonNode id) {
      LOG.warn(
          "{}: a reply matches no pending command ({}), ignored: {}",
          name,
          id == null ? "no id" : "id " + id,
          preview(value));
      if (config.unmatchedReplyHandler() != null) {
        unmatchedQueue.add(value);
        if (unmatchedRunning.compareAndSet(false, true)) {
          callbacks.execute(DefaultQmpClient.this::drainUnmatched);
        }
      }
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

  private static String preview(JsonNode value) {
    String s = String.valueOf(value);
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
