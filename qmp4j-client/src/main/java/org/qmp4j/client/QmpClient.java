package org.qmp4j.client;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileDescriptor;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.qmp4j.client.internal.ClientConfig;
import org.qmp4j.client.internal.DefaultQmpClient;
import org.qmp4j.client.internal.Futures;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.protocol.QmpGreeting;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.protocol.QmpReader;
import org.qmp4j.schema.QapiSchema;
import org.qmp4j.transport.QmpAddress;
import org.qmp4j.transport.QmpConnection;
import org.qmp4j.transport.QmpListener;
import org.qmp4j.transport.TransportOptions;
import org.qmp4j.transport.Transports;

/**
 * A QMP client: one connection to a QEMU monitor (or any QMP server), many commands in flight.
 *
 * <pre>{@code
 * try (QmpClient qmp = QmpClient.newBuilder().address("unix:/run/vm1/qmp.sock").connect()) {
 *   StatusInfo s = qmp.execute("query-status", null, StatusInfo.class);
 *   qmp.executeAsync("cont").thenRun(() -> System.out.println("running"));
 *   QmpEvent gone = qmp.executeAndAwaitEvent(
 *       QmpCommand.of("device_del", Map.of("id", "nic1")),
 *       EventFilter.deviceDeleted("nic1"), Duration.ofSeconds(10));
 * }
 * }</pre>
 *
 * <h2>Async first, blocking on top</h2>
 *
 * Every {@code *Async} method returns at once with a {@link CompletableFuture}; the other methods
 * are a thin blocking view that waits for that future and throws its failure unwrapped (never an
 * {@code ExecutionException}). Both are safe to call from any number of threads at once; commands
 * are pipelined with generated ids (plain numbers) and replies are routed by id.
 *
 * <h2>Threads</h2>
 *
 * Each connection has one reader thread. It parses what arrives, completes the futures of replies
 * and offers events to subscription queues (evaluating their filters); it never runs your code.
 * Stages you add to the returned futures with non-async methods ({@code thenApply}, {@code
 * whenComplete}...) run on the client's {@linkplain Builder#executor executor}, as do event
 * callbacks. A thread blocked in a blocking call, {@code get()} or {@code join()} on a command's
 * future with no stage reads the socket itself while no other thread does, so that its reply wakes
 * it directly; it completes only futures whose completion runs nothing (its own, other blocked
 * callers') and hands everything else it reads to the reader thread, in order. Writes are
 * serialised and batched: the calling thread writes its command unless another thread is writing,
 * which then writes it along with its own. A call may therefore block while the socket's send
 * buffer is full.
 *
 * <h2>Errors</h2>
 *
 * Unchecked, in two families. The peer answered with an error: a {@link QmpErrorException} of the
 * subtype matching the error class, carrying class, description, id and command. We could not talk:
 * a {@link org.qmp4j.protocol.QmpCommunicationException} — {@link QmpConnectionLostException}
 * (connection lost, closed, or reconnecting), {@link QmpTimeoutException}, {@link
 * org.qmp4j.protocol.QmpProtocolException} (the peer broke the protocol; the connection is closed),
 * {@link org.qmp4j.protocol.QmpMessageTooLargeException} (a reply above {@link
 * Builder#maxMessageSize}; the connection stays usable), {@link
 * org.qmp4j.protocol.QmpConnectionException} (could not connect).
 *
 * <h2>Replies without a matching id</h2>
 *
 * The client puts an id on every request it sends, and checks raw requests are well-formed JSON
 * before sending them, so every reply QEMU sends it carries one of its ids. A reply whose id is
 * unknown, or which has none (QEMU sends an id-less error for input it cannot parse), is therefore
 * not the answer to any pending command: it completes nothing, is logged as a warning on logger
 * {@code org.qmp4j.client}, and is passed to {@link Builder#unmatchedReplyHandler} if set. A reply
 * to a command that already timed out or was cancelled is discarded (logged at debug level).
 */
public interface QmpClient extends AutoCloseable {

  /** Default time to connect, read the greeting and negotiate: 10 s. */
  Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Default time a command may take: 30 s. Override per command with {@link
   * QmpCommand#withTimeout}.
   */
  Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(30);

  /** In-band commands on the wire at once while OOB is on, by default: QMP's eight. */
  int DEFAULT_IN_BAND_WINDOW = 8;

  /** Default largest message accepted from the peer: 10 MiB, as libvirt and qemu.qmp. */
  int DEFAULT_MAX_MESSAGE_SIZE = QmpReader.DEFAULT_MAX_MESSAGE_SIZE;

  /** A builder with the defaults. */
  static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Makes a client with the defaults and connects it to {@code address} ({@code unix:PATH}, {@code
   * tcp:HOST:PORT}, see {@link QmpAddress#parse}): the shortcut for {@code
   * newBuilder().address(address).connect()}. Returns a connected client, or throws. Not to be
   * confused with the instance method {@link #connect()}, which connects a client that {@link
   * Builder#build()} made.
   *
   * @throws org.qmp4j.protocol.QmpConnectionException if it could not connect, got no greeting, or
   *     negotiation failed
   * @throws IllegalArgumentException if {@code address} is not a valid address
   */
  static QmpClient connect(String address) {
    return newBuilder().address(address).connect();
  }

  /**
   * Connects this client, made with {@link Builder#build()} and not connected yet: opens the
   * connection (or accepts one), reads the greeting, negotiates (enabling OOB if offered, unless
   * told not to), all within the connect timeout. Subscriptions made before this see every event,
   * including any that arrive before the greeting or during negotiation. Called once per client;
   * reconnecting after a loss is the {@link ReconnectPolicy}'s job, not this method's. ({@link
   * Builder#connect()} is {@code build().connect()}; the static {@link #connect(String)} makes and
   * connects a client with the defaults.)
   *
   * @return this client
   * @throws org.qmp4j.protocol.QmpConnectionException if it could not connect, got no greeting, or
   *     negotiation failed
   * @throws IllegalStateException if already connected or closed
   */
  QmpClient connect();

  /** Where the client is in its life. */
  ConnectionState state();

  /** The greeting of the current (or last) connection; empty before the first one. */
  Optional<QmpGreeting> greeting();

  /** Whether out-of-band execution was negotiated on the current connection. */
  boolean oobEnabled();

  /** The address connected to (or listened on); empty for an adopted channel. */
  Optional<QmpAddress> address();

  /**
   * Calls {@code listener} with the new state on every transition of {@link #state()} from now on
   * ({@code CONNECTING}, {@code CONNECTED}, {@code RECONNECTING}, {@code CONNECTED} again, {@code
   * CLOSED}; as qemu.qmp's {@code runstate_changed}). Listeners run on the client's {@linkplain
   * Builder#executor executor}, one call at a time and in the order of the transitions, so a
   * listener that blocks delays the next notifications (of every listener) but nothing else. The
   * final {@code CLOSED} is delivered even after {@link #close()} (then on the common pool if the
   * client's own executor has stopped). A listener that throws is logged and stays registered. The
   * current state is not replayed: read {@link #state()} after registering.
   *
   * @return a handle whose {@code close()} removes the listener
   * @see Builder#onStateChange
   */
  Registration onStateChange(Consumer<ConnectionState> listener);

  /** A registered listener; {@link #close()} removes it (idempotent). */
  interface Registration extends AutoCloseable {
    @Override
    void close();
  }

  // ---------------------------------------------------------------- async

  /**
   * Sends {@code command} and returns its {@code return} value. Never blocks for the reply.
   *
   * <p>The future fails with the {@link QmpErrorException} subtype for an error reply, with {@link
   * QmpTimeoutException} when the command's timeout passes, with {@link QmpConnectionLostException}
   * if the connection goes away first, and with {@link IllegalStateException} for OOB on a
   * connection without it or {@link UnsupportedOperationException} for descriptors on a connection
   * that cannot pass them. Cancelling the future does not recall a command already sent; its reply
   * is discarded.
   */
  CompletableFuture<JsonNode> executeAsync(QmpCommand command);

  /**
   * As {@link #executeAsync(QmpCommand)}, binding the return value to {@code type} with Jackson.
   */
  <T> CompletableFuture<T> executeAsync(QmpCommand command, Class<T> type);

  /** As {@link #executeAsync(QmpCommand)}, binding the return value to a generic type. */
  <T> CompletableFuture<T> executeAsync(QmpCommand command, TypeReference<T> type);

  /** Executes a command without arguments. */
  default CompletableFuture<JsonNode> executeAsync(String command) {
    return executeAsync(QmpCommand.of(command));
  }

  /** Executes a command; {@code arguments} as for {@link QmpCommand#of(String, Object)}. */
  default CompletableFuture<JsonNode> executeAsync(String command, Object arguments) {
    return executeAsync(QmpCommand.of(command, arguments));
  }

  /** Executes a command and binds its return value to {@code type}. */
  default <T> CompletableFuture<T> executeAsync(String command, Object arguments, Class<T> type) {
    return executeAsync(QmpCommand.of(command, arguments), type);
  }

  /**
   * Executes a command and binds its return value to a generic type, e.g. {@code new
   * TypeReference<List<BlockInfo>>() {}}.
   */
  default <T> CompletableFuture<T> executeAsync(
      String command, Object arguments, TypeReference<T> type) {
    return executeAsync(QmpCommand.of(command, arguments), type);
  }

  /** Executes a command out-of-band ({@code exec-oob}). */
  default CompletableFuture<JsonNode> executeOobAsync(String command, Object arguments) {
    return executeAsync(QmpCommand.of(command, arguments).withOob(true));
  }

  /**
   * Sends a request given as JSON text, e.g. {@code {"execute": "query-status"}}, and returns the
   * whole reply object, error replies included (they do not fail the future). The request must be
   * one JSON object with {@code execute} or {@code exec-oob}; its {@code id}, if any, is replaced
   * on the wire by a client id and put back in the reply.
   *
   * @throws IllegalArgumentException (from this method) if the text is not such a request
   */
  CompletableFuture<ObjectNode> executeRawAsync(String request);

  /** As {@link #executeRawAsync(String)}, with the request as a JSON object. */
  CompletableFuture<ObjectNode> executeRawAsync(ObjectNode request);

  /**
   * Executes {@code command} and waits for the first event passing {@code filter} that arrives
   * after the command is sent, e.g. {@code device_del} then {@code DEVICE_DELETED} of that device,
   * or {@code stop} then {@code STOP}. The waiter is registered before the command is written, so
   * the event cannot slip through, even if the peer sends it before the reply (QEMU does for {@code
   * stop}).
   *
   * <p>Completes with the event once both the event arrived and the command succeeded. Fails with
   * the command's error, with {@link QmpTimeoutException} if the event does not come within {@code
   * timeout} (counted from sending), or with {@link QmpConnectionLostException}.
   */
  CompletableFuture<QmpEvent> executeAndAwaitEventAsync(
      QmpCommand command, EventFilter filter, Duration timeout);

  // ---------------------------------------------------------------- blocking

  /** Blocking {@link #executeAsync(QmpCommand)}. */
  default JsonNode execute(QmpCommand command) {
    return Futures.await(executeAsync(command));
  }

  /** Blocking {@link #executeAsync(QmpCommand, Class)}. */
  default <T> T execute(QmpCommand command, Class<T> type) {
    return Futures.await(executeAsync(command, type));
  }

  /** Blocking {@link #executeAsync(QmpCommand, TypeReference)}. */
  default <T> T execute(QmpCommand command, TypeReference<T> type) {
    return Futures.await(executeAsync(command, type));
  }

  /** Blocking {@link #executeAsync(String)}. */
  default JsonNode execute(String command) {
    return execute(QmpCommand.of(command));
  }

  /** Blocking {@link #executeAsync(String, Object)}. */
  default JsonNode execute(String command, Object arguments) {
    return execute(QmpCommand.of(command, arguments));
  }

  /** Blocking {@link #executeAsync(String, Object, Class)}. */
  default <T> T execute(String command, Object arguments, Class<T> type) {
    return execute(QmpCommand.of(command, arguments), type);
  }

  /** Blocking {@link #executeAsync(String, Object, TypeReference)}. */
  default <T> T execute(String command, Object arguments, TypeReference<T> type) {
    return execute(QmpCommand.of(command, arguments), type);
  }

  /** Blocking {@link #executeOobAsync(String, Object)}. */
  default JsonNode executeOob(String command, Object arguments) {
    return execute(QmpCommand.of(command, arguments).withOob(true));
  }

  /** Blocking {@link #executeRawAsync(String)}. */
  default ObjectNode executeRaw(String request) {
    return Futures.await(executeRawAsync(request));
  }

  /** Blocking {@link #executeAndAwaitEventAsync}. */
  default QmpEvent executeAndAwaitEvent(QmpCommand command, EventFilter filter, Duration timeout) {
    return Futures.await(executeAndAwaitEventAsync(command, filter, timeout));
  }

  // ---------------------------------------------------------------- HMP

  /**
   * Runs a human monitor (HMP) command through {@code human-monitor-command} and returns its output
   * (often empty), e.g. {@code humanMonitorCommand("info mtree")}. HMP is not a stable interface:
   * prefer QMP commands where one exists. QEMU reports most HMP failures in the output text, not as
   * an error.
   */
  default String humanMonitorCommand(String commandLine) {
    return Futures.await(humanMonitorCommandAsync(commandLine, null));
  }

  /**
   * As {@link #humanMonitorCommand(String)}, with the CPU that commands such as {@code info
   * registers} refer to ({@code cpu-index}).
   */
  default String humanMonitorCommand(String commandLine, int cpuIndex) {
    return Futures.await(humanMonitorCommandAsync(commandLine, cpuIndex));
  }

  /**
   * Async {@link #humanMonitorCommand(String, int)}; {@code cpuIndex} null for QEMU's default CPU.
   */
  default CompletableFuture<String> humanMonitorCommandAsync(String commandLine, Integer cpuIndex) {
    ObjectNode args = QmpJson.objectNode();
    args.put("command-line", Objects.requireNonNull(commandLine, "commandLine"));
    if (cpuIndex != null) {
      args.put("cpu-index", cpuIndex.intValue());
    }
    return executeAsync(QmpCommand.of("human-monitor-command", args), String.class);
  }

  // ---------------------------------------------------------------- descriptors

  /**
   * {@code getfd}: passes {@code fd} to QEMU, which keeps it under {@code fdname} (for {@code
   * netdev_add}, {@code migrate} to {@code fd:NAME}, ...). The descriptor rides on the command's
   * own message and stays open on this side. Needs {@link Builder#descriptorPassing(boolean)
   * descriptor passing}.
   */
  default void getfd(String fdname, FileDescriptor fd) {
    Futures.await(getfdAsync(fdname, fd));
  }

  /** Async {@link #getfd(String, FileDescriptor)}. */
  default CompletableFuture<Void> getfdAsync(String fdname, FileDescriptor fd) {
    Objects.requireNonNull(fd, "fd");
    return executeAsync(
            QmpCommand.of(
                    "getfd",
                    QmpJson.objectNode().put("fdname", Objects.requireNonNull(fdname, "fdname")))
                .withFds(fd))
        .thenApply(r -> null);
  }

  /**
   * {@code add-fd} into a new descriptor set, without opaque text: {@code addFd(fd, null, null)}.
   */
  default AddFdInfo addFd(FileDescriptor fd) {
    return addFd(fd, null, null);
  }

  /**
   * {@code add-fd}: passes {@code fd} to QEMU into a descriptor set ({@code /dev/fdset/N} paths).
   * The descriptor rides on the command's own message and stays open on this side. Needs {@link
   * Builder#descriptorPassing(boolean) descriptor passing}.
   *
   * @param fdsetId the set to add to, or {@code null} for a new one
   * @param opaque free text QEMU stores with it, or {@code null}
   * @return QEMU's answer: the set's id and the descriptor's number in QEMU
   */
  default AddFdInfo addFd(FileDescriptor fd, Integer fdsetId, String opaque) {
    return Futures.await(addFdAsync(fd, fdsetId, opaque));
  }

  /** Async {@link #addFd(FileDescriptor, Integer, String)}. */
  default CompletableFuture<AddFdInfo> addFdAsync(
      FileDescriptor fd, Integer fdsetId, String opaque) {
    Objects.requireNonNull(fd, "fd");
    ObjectNode args = QmpJson.objectNode();
    if (fdsetId != null) {
      args.put("fdset-id", fdsetId.intValue());
    }
    if (opaque != null) {
      args.put("opaque", opaque);
    }
    return executeAsync(QmpCommand.of("add-fd", args).withFds(fd), AddFdInfo.class);
  }

  // ---------------------------------------------------------------- events

  /** Starts configuring an event subscription. */
  EventSubscription.Builder events();

  /**
   * Calls {@code listener} for every event with one of {@code names} (none: every event), on the
   * client's executor, with the defaults of {@link #events()}. The listener also receives the
   * client's markers whatever the names ({@link EventSubscription#DROPPED_EVENT}, {@link
   * EventSubscription#GAP_EVENT}); their data differs from the events asked for, so check {@link
   * EventSubscription#isMarker} first:
   *
   * <pre>{@code
   * qmp.subscribe(e -> {
   *   if (EventSubscription.isMarker(e)) return;            // or re-read what you track
   *   onDeleted(e.data().get("device").asText());
   * }, "DEVICE_DELETED");
   * }</pre>
   */
  default EventSubscription subscribe(Consumer<? super QmpEvent> listener, String... names) {
    return events().names(names).subscribe(listener);
  }

  // ---------------------------------------------------------------- schema

  /** The peer's schema: {@code query-qmp-schema}, fetched once per connection on first use. */
  CompletableFuture<QapiSchema> schemaAsync();

  /** Blocking {@link #schemaAsync()}. */
  default QapiSchema schema() {
    return Futures.await(schemaAsync());
  }

  /**
   * Whether the peer's schema has {@code path}: {@code "blockdev-add"}, {@code
   * "device_add/arg-type/id"}, {@code "DEVICE_DELETED"}, {@code
   * "blockdev-add/arg-type/+file/drop-cache"} (libvirt's path syntax, see {@link
   * QapiSchema#supports(String)}). Fetches the schema on first use.
   */
  default boolean supports(String path) {
    return schema().supports(path);
  }

  /**
   * Closes the connection. Pending commands fail at once with {@link QmpConnectionLostException},
   * subscriptions end, the reader thread and the client's executor stop. Idempotent.
   */
  @Override
  void close();

  /** What {@code add-fd} returns. */
  record AddFdInfo(
      @com.fasterxml.jackson.annotation.JsonProperty("fdset-id") int fdsetId, int fd) {}

  /**
   * Configures a {@link QmpClient}. Exactly one of {@link #address}, {@link #accept} or {@link
   * #connection} must be given. Not thread-safe.
   */
  final class Builder {
    private QmpAddress address;
    private QmpListener listener;
    private QmpConnection connection;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
    private ReconnectPolicy reconnect = ReconnectPolicy.NEVER;
    private boolean oob = true;
    private int inBandWindow = DEFAULT_IN_BAND_WINDOW;
    private boolean descriptorPassing;
    private TransportOptions transportOptions;
    private SSLContext tls;
    private int maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
    private Executor executor;
    private boolean validateArguments;
    private boolean wireLogging;
    private Duration heartbeatInterval;
    private Duration heartbeatTimeout;
    private Consumer<JsonNode> unmatchedReplyHandler;
    private Consumer<String> featureWarningHandler;
    private String name;
    private final Map<String, Duration> commandTimeouts = new LinkedHashMap<>();
    private boolean waitForSocket;
    private Consumer<ConnectionState> stateListener;

    private Builder() {}

    /**
     * Connect to this address: {@code unix:PATH}, {@code tcp:HOST:PORT} (see {@link
     * QmpAddress#parse}).
     */
    public Builder address(String address) {
      return address(QmpAddress.parse(address));
    }

    /** Connect to this address. */
    public Builder address(QmpAddress address) {
      this.address = Objects.requireNonNull(address, "address");
      return this;
    }

    /**
     * Accept mode: wait on {@code listener} for the peer to connect, as QEMU does when started with
     * {@code -qmp unix:PATH,server=off}. Open the listener (with {@link Transports#listen}) before
     * starting QEMU; {@link QmpClient#connect()} accepts within the connect timeout, and a
     * reconnect accepts again. The listener stays yours to close.
     */
    public Builder accept(QmpListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Use an already open connection (e.g. {@link Transports#adopt} of a socket pair or an
     * inherited channel). The client owns it from now on. Such a client cannot reconnect.
     */
    public Builder connection(QmpConnection connection) {
      this.connection = Objects.requireNonNull(connection, "connection");
      return this;
    }

    /** Time to connect (or accept), read the greeting and negotiate (default 10 s). */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * Default time a command may take, from sending to reply (default 30 s; {@link
     * QmpCommand#NO_TIMEOUT} for none).
     */
    public Builder commandTimeout(Duration timeout) {
      this.commandTimeout = positive(timeout, "commandTimeout");
      return this;
    }

    /**
     * Default timeout of one command, overriding {@link #commandTimeout(Duration)} for it (as
     * Proxmox's table: {@code device_del} 60 s, {@code migrate} 1 h, ...). A command's own {@link
     * QmpCommand#withTimeout} still wins. Applies to {@link QmpClient#executeRawAsync raw requests}
     * and {@link ReconnectPolicy#resync resync commands} of that name too.
     *
     * @param command the command's name, e.g. {@code "device_del"}
     * @param timeout its timeout ({@link QmpCommand#NO_TIMEOUT} for none)
     */
    public Builder commandTimeout(String command, Duration timeout) {
      commandTimeouts.put(Objects.requireNonNull(command, "command"), positive(timeout, command));
      return this;
    }

    /**
     * With {@link #address}: wait for the peer's socket on the first {@link QmpClient#connect()
     * connect()} (default false), as libvirt does while QEMU starts: within the connect timeout, a
     * unix socket file that does not exist yet, or a refused connection (unix or tcp), is retried
     * every 20 ms; any other failure fails at once. When the timeout runs out, the {@link
     * org.qmp4j.protocol.QmpConnectionException} (with {@code timedOut()} true) names the address,
     * says how long it waited and why the last attempt failed. Reconnects are not affected: they
     * retry through the {@link ReconnectPolicy}.
     */
    public Builder waitForSocket(boolean wait) {
      this.waitForSocket = wait;
      return this;
    }

    /**
     * Calls {@code listener} on every state transition from the first, {@code CONNECTING}, on, as
     * {@link QmpClient#onStateChange} does for a listener registered before {@code connect()}.
     */
    public Builder onStateChange(Consumer<ConnectionState> listener) {
      this.stateListener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** Reconnect after losing the connection (default {@link ReconnectPolicy#NEVER}). */
    public Builder reconnect(ReconnectPolicy policy) {
      this.reconnect = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** Enable out-of-band execution when the server offers it (default true). */
    public Builder oob(boolean enable) {
      this.oob = enable;
      return this;
    }

    /**
     * At most this many in-band commands unanswered on the wire while out-of-band execution is on
     * (default {@value QmpClient#DEFAULT_IN_BAND_WINDOW}, as QMP's specification asks); further
     * ones wait in the client, in order, and out-of-band commands overtake them. QEMU queues eight
     * in-band commands and then stops reading, so with a larger window an out-of-band command may
     * wait behind in-band ones. A larger window only pays where the round trip, not the peer, is
     * the limit (a fast peer on an idle machine) and out-of-band commands are not needed promptly.
     */
    public Builder inBandWindow(int commands) {
      if (commands < 1) {
        throw new IllegalArgumentException("inBandWindow must be at least 1: " + commands);
      }
      this.inBandWindow = commands;
      return this;
    }

    /**
     * Open unix connections with descriptor passing (SCM_RIGHTS, through junixsocket), so that
     * commands can carry descriptors ({@link QmpCommand#withFds}). Default false: the JDK's own
     * channels, no descriptors.
     */
    public Builder descriptorPassing(boolean enable) {
      this.descriptorPassing = enable;
      return this;
    }

    /**
     * Speak TLS to a {@code tcp:} address, as to a QEMU whose monitor chardev has {@code
     * tls-creds=ID}. The context's trust managers must trust the CA of QEMU's certificate (its
     * {@code ca-cert.pem}); for QEMU's {@code verify-peer=on} its key managers must hold a client
     * certificate that CA issued. The certificate must name the host connected to unless hostname
     * verification is switched off with {@link #transportOptions}({@code
     * TransportOptions.newBuilder().tlsHostnameVerification(false).build()}). The handshake is part
     * of the connect timeout; a failure is a {@link org.qmp4j.protocol.QmpConnectionException} that
     * says what failed. See {@link TransportOptions.Builder#tls}. Applied on top of {@link
     * #transportOptions}.
     */
    public Builder tls(SSLContext context) {
      this.tls = Objects.requireNonNull(context, "context");
      return this;
    }

    /**
     * Transport options for connecting; {@link #descriptorPassing} and {@link #tls} are applied on
     * top.
     */
    public Builder transportOptions(TransportOptions options) {
      this.transportOptions = Objects.requireNonNull(options, "options");
      return this;
    }

    /** Largest message accepted from the peer, in bytes (default 10 MiB). */
    public Builder maxMessageSize(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxMessageSize must be positive: " + bytes);
      }
      this.maxMessageSize = bytes;
      return this;
    }

    /**
     * Where dependent stages of returned futures and event callbacks run. Default: a cached pool of
     * daemon threads owned by the client, started on first use and stopped by {@link #close()}.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Check each command's arguments against the peer's schema before sending it (fetched on first
     * use), failing with QEMU's own error text without sending (default false). A command, or an
     * argument given, that the connected QEMU marks {@code deprecated} or {@code unstable} is
     * reported once per client: logged as a warning on {@code org.qmp4j.client} and passed to
     * {@link #featureWarningHandler} if set.
     */
    public Builder validateArguments(boolean validate) {
      this.validateArguments = validate;
      return this;
    }

    /**
     * Log every message sent and received, as {@code -->} and {@code <--} lines at DEBUG on the
     * SLF4J logger {@code org.qmp4j.client.wire} (default false: nothing is logged and nothing is
     * formatted).
     */
    public Builder wireLogging(boolean enable) {
      this.wireLogging = enable;
      return this;
    }

    /**
     * Detect a hung peer: when nothing has arrived for {@code interval}, send a probe ({@code
     * exec-oob query-yank} with OOB on, which a busy QEMU still answers; {@code query-version}
     * without) and, if no answer comes within {@code timeout}, treat the connection as lost
     * (pending commands fail, reconnect if configured). Any answer, an error too, proves the peer
     * alive. Off by default.
     */
    public Builder heartbeat(Duration interval, Duration timeout) {
      this.heartbeatInterval = positive(interval, "interval");
      this.heartbeatTimeout = positive(timeout, "timeout");
      return this;
    }

    /**
     * Receives replies that answer no pending command (unknown id or none), on the client's
     * executor, one at a time and in the order they came. They are logged as warnings either way.
     */
    public Builder unmatchedReplyHandler(Consumer<JsonNode> handler) {
      this.unmatchedReplyHandler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /**
     * Receives, with {@link #validateArguments(boolean) validateArguments(true)}, one line per
     * command or argument in use that the connected QEMU marks {@code deprecated} or {@code
     * unstable}, e.g. {@code "eject: argument 'device' is deprecated in QEMU 7.2.22"}, before the
     * command is sent, on the thread that checks it (the caller's; the client's executor when the
     * schema was still being fetched). Each is reported once per client.
     */
    public Builder featureWarningHandler(Consumer<String> handler) {
      this.featureWarningHandler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /** A name for this client's threads and log lines (default: the address). */
    public Builder name(String name) {
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    /** A client, not yet connected: subscribe, then {@link QmpClient#connect()}. */
    public QmpClient build() {
      int given =
          (address != null ? 1 : 0) + (listener != null ? 1 : 0) + (connection != null ? 1 : 0);
      if (given != 1) {
        throw new IllegalStateException(
            "give exactly one of address(...), accept(...) or connection(...)");
      }
      TransportOptions base =
          transportOptions != null ? transportOptions : TransportOptions.DEFAULTS;
      TransportOptions options =
          descriptorPassing ? base.toBuilder().descriptorPassing(true).build() : base;
      if (tls != null) {
        options = options.toBuilder().tls(tls).build();
      }
      return new DefaultQmpClient(
          new ClientConfig(
              address,
              listener,
              connection,
              connectTimeout,
              commandTimeout,
              reconnect,
              oob,
              options,
              maxMessageSize,
              executor,
              validateArguments,
              wireLogging,
              heartbeatInterval,
              heartbeatTimeout,
              unmatchedReplyHandler,
              featureWarningHandler,
              name,
              Map.copyOf(commandTimeouts),
              waitForSocket,
              stateListener,
              inBandWindow));
    }

    /**
     * Builds the client and connects it: {@code build().connect()}, see {@link
     * QmpClient#connect()}. Returns a connected client, or throws.
     */
    public QmpClient connect() {
      return build().connect();
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive: " + d);
      }
      return d;
    }
  }
}
