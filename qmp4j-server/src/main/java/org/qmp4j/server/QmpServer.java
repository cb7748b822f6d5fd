package org.qmp4j.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.qmp4j.protocol.QmpVersion;
import org.qmp4j.schema.QapiSchema;
import org.qmp4j.server.internal.ServerCore;
import org.qmp4j.transport.QmpAddress;
import org.qmp4j.transport.QmpListener;
import org.qmp4j.transport.TransportOptions;
import org.qmp4j.transport.Transports;

/**
 * A QMP server engine that a client cannot tell from QEMU's monitor: QEMU's greeting, negotiation,
 * request validation and texts, out-of-band execution, in-band queue and flow control, event
 * delivery and throttling, and introspection, for the commands and events its {@link QapiSchema}
 * declares.
 *
 * <pre>{@code
 * QmpServer server = QmpServer.newBuilder()
 *     .schema(QmpServer.controlSchema(s -> s
 *         .command("query-status", c -> c.returns("StatusInfo"))
 *         .object("StatusInfo", o -> o.member("running", "bool").member("status", "str"))))
 *     .commandInline("query-status", (ctx, args) -> status())
 *     .build();
 * server.listen(channel, MonitorOptions.DEFAULT);
 * server.emit("STOP", null);
 * }</pre>
 *
 * <p>Threads: one I/O thread serves every session; handlers registered with {@link
 * Builder#commandInline} run on it, those registered with {@link Builder#command} on a worker
 * executor. {@link #emit} may be called from any thread. A slow or stalled client never delays
 * another.
 */
public final class QmpServer implements AutoCloseable {

  /** QEMU's rate for throttled events: one per second. */
  public static final Duration DEFAULT_THROTTLE_INTERVAL = Duration.ofSeconds(1);

  /** Pending output above which a session stops reading its input (QEMU-style back-pressure). */
  public static final int DEFAULT_OUTPUT_HIGH_WATER = 256 * 1024;

  /** Pending output above which a session that does not read is closed. */
  public static final int DEFAULT_MAX_OUTPUT_BACKLOG = 64 * 1024 * 1024;

  private final ServerCore core;

  private QmpServer(ServerCore.Config config) {
    this.core = new ServerCore(this, config);
  }

  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * A schema holding QMP's control commands as QEMU 7.2 declares them ({@code qmp_capabilities},
   * {@code query-version}, {@code query-commands}, {@code query-qmp-schema}) plus whatever {@code
   * more} declares.
   */
  public static QapiSchema controlSchema(Consumer<QapiSchema.Builder> more) {
    QapiSchema.Builder b = QapiSchema.newBuilder();
    ControlSchema.declare(b);
    more.accept(b);
    return b.build();
  }

  /** The declared schema. */
  public QapiSchema schema() {
    return core.schema();
  }

  /**
   * Serves clients that connect to {@code channel} (bound, unix or tcp), each with a greeting of
   * its own: all at once, or one at a time as QEMU does if {@code options} say {@link
   * MonitorOptions#singleClient() singleClient}. Returns a handle whose {@code close()} stops
   * listening and that tells which clients are connected.
   */
  public Listener listen(ServerSocketChannel channel, MonitorOptions options) throws IOException {
    return core.listen(channel, options, (Path) null);
  }

  /**
   * As {@link #listen(ServerSocketChannel, MonitorOptions)}, and removes {@code socketFile} when
   * the listener or the server closes.
   */
  public Listener listen(ServerSocketChannel channel, MonitorOptions options, Path socketFile)
      throws IOException {
    return core.listen(channel, options, socketFile);
  }

  /**
   * Listens on {@code address} ({@code unix:PATH}, created with mode 0600 and removed on close;
   * {@code tcp:HOST:PORT}, loopback unless a host is given; see {@link QmpAddress#parse}) and
   * serves every client that connects. Returns the listener; {@code close()} it to stop.
   */
  public QmpListener listen(QmpAddress address, MonitorOptions options) throws IOException {
    // QEMU's socket chardev listens with a backlog of 1.
    QmpListener listener =
        options.singleClient()
            ? Transports.listen(address, TransportOptions.newBuilder().backlog(1).build())
            : Transports.listen(address);
    try {
      core.listen(listener.channel(), options, listener);
    } catch (IOException | RuntimeException e) {
      listener.close();
      throw e;
    }
    return listener;
  }

  /**
   * Serves one session over blocking streams, e.g. {@code System.in} and {@code System.out} (as
   * QEMU's {@code -qmp stdio}). The session ends at the end of {@code in}.
   */
  public QmpSession serve(InputStream in, OutputStream out, MonitorOptions options)
      throws IOException {
    return core.adopt(in, out, "stdio", options);
  }

  /** Starts a session on an already connected channel: the greeting is sent at once. */
  public QmpSession adopt(SocketChannel channel, MonitorOptions options) throws IOException {
    return core.adopt(channel, options);
  }

  /**
   * Emits an event to every negotiated session, from any thread. The timestamp is taken now.
   * Throttled events (see {@link Builder#throttle}) are sent at most once per interval per stream;
   * of those that arrive meanwhile, the last one is sent when the interval ends.
   *
   * @param data the event's data, or {@code null} for none
   * @throws IllegalArgumentException if the schema does not declare the event
   */
  public void emit(String event, ObjectNode data) {
    core.emit(event, data);
  }

  /** The sessions currently connected. */
  public List<QmpSession> sessions() {
    return core.sessions();
  }

  /**
   * Ends the server the way QEMU exits: stops listening (removing socket files) at once, then each
   * session reads no more input, runs no more requests (those queued are dropped), takes no more
   * messages, and is closed as soon as its peer has taken everything queued for it when this is
   * called (events emitted and replies sent before, from any thread); then the server {@link
   * #close() closes}. A peer that has not taken it all within 10 seconds is disconnected with the
   * rest unsent. A handler that ends the server with its own reply uses {@link
   * CommandContext#closeServerAfterReply()} instead. Returns at once.
   *
   * @return a future completing once the server is closed (also by {@link #close()})
   */
  public CompletableFuture<Void> closeAfterOutput() {
    return core.closeAfterOutput();
  }

  /**
   * Stops listening (removing socket files the server was told to remove), closes every session
   * (requests still queued are dropped, as when QEMU's client disconnects; output not yet written
   * is lost, see {@link #closeAfterOutput()}) and stops the server's threads. Idempotent.
   */
  @Override
  public void close() {
    core.close();
  }

  /**
   * A listening channel the server serves, as returned by {@link #listen(ServerSocketChannel,
   * MonitorOptions)}: which clients it has now (what QEMU's {@code query-chardev} shows as a socket
   * chardev's {@code filename}), and {@code close()} to stop listening (sessions already connected
   * stay). Thread-safe.
   */
  public interface Listener extends AutoCloseable {
    /**
     * The sessions connected through this listener now, oldest first: with {@link
     * MonitorOptions#singleClient()} at most one, the client attached to the monitor (not those
     * waiting in the listen backlog); otherwise every client still connected.
     */
    List<QmpSession> clients();

    /** Stops listening. Idempotent. */
    @Override
    void close();
  }

  /** Collects a server's configuration. */
  public static final class Builder {
    private QapiSchema schema;
    private QmpVersion version = new QmpVersion(7, 2, 0, "qmp4j");
    private final Map<String, ServerCore.Handler> handlers = new LinkedHashMap<>();
    private ServerCore.Handler fallback;
    private final Map<String, ServerCore.ThrottleRule> throttles = new LinkedHashMap<>();
    private ExecutorService executor;
    private int outputHighWater = DEFAULT_OUTPUT_HIGH_WATER;
    private int maxOutputBacklog = DEFAULT_MAX_OUTPUT_BACKLOG;
    private boolean serialInBand;
    private final java.util.Set<String> noSuccessResponse = new java.util.HashSet<>();

    private Builder() {
      qemuThrottling();
    }

    /** The commands, events and types the server declares; must include the control commands. */
    public Builder schema(QapiSchema schema) {
      this.schema = Objects.requireNonNull(schema, "schema");
      return this;
    }

    /** The version in the greeting and in {@code query-version}. Default: 7.2.0, "qmp4j". */
    public Builder version(QmpVersion version) {
      this.version = Objects.requireNonNull(version, "version");
      return this;
    }

    /** Registers a handler that may block; it runs on the worker executor. */
    public Builder command(String name, CommandHandler handler) {
      return handler(name, new ServerCore.Handler(ServerCore.Mode.WORKER, handler, null));
    }

    /** Registers a handler that never blocks; it runs on the I/O thread (the fastest path). */
    public Builder commandInline(String name, CommandHandler handler) {
      return handler(name, new ServerCore.Handler(ServerCore.Mode.INLINE, handler, null));
    }

    /** Registers a handler that completes a stage later. */
    public Builder commandAsync(String name, AsyncCommandHandler handler) {
      return handler(name, new ServerCore.Handler(ServerCore.Mode.ASYNC, null, handler));
    }

    private Builder handler(String name, ServerCore.Handler handler) {
      Objects.requireNonNull(name, "name");
      if (name.equals("qmp_capabilities")) {
        throw new IllegalArgumentException("qmp_capabilities is the server's own");
      }
      handlers.put(name, handler);
      return this;
    }

    /**
     * Runs for declared commands that have no handler of their own. Without one, such commands
     * answer GenericError "The command X is not implemented by this server".
     */
    public Builder fallback(AsyncCommandHandler handler) {
      this.fallback = new ServerCore.Handler(ServerCore.Mode.ASYNC, null, handler);
      return this;
    }

    /**
     * Throttles {@code event}: at most one per {@code interval} for each distinct combination of
     * the values of {@code dataKeys} in its data.
     */
    public Builder throttle(String event, Duration interval, String... dataKeys) {
      throttles.put(event, new ServerCore.ThrottleRule(interval.toNanos(), List.of(dataKeys)));
      return this;
    }

    /** Removes all throttling rules (including QEMU's defaults). */
    public Builder noThrottling() {
      throttles.clear();
      return this;
    }

    /** QEMU 7.2's throttled events (the default). */
    public Builder qemuThrottling() {
      Duration s = DEFAULT_THROTTLE_INTERVAL;
      throttle("RTC_CHANGE", s);
      throttle("WATCHDOG", s);
      throttle("BALLOON_CHANGE", s);
      throttle("QUORUM_REPORT_BAD", s, "node-name");
      throttle("QUORUM_FAILURE", s);
      throttle("VSERPORT_CHANGE", s, "id");
      throttle("MEMORY_DEVICE_SIZE_CHANGE", s, "qom-path");
      return this;
    }

    /** The executor for blocking handlers. Default: a cached pool of daemon threads. */
    public Builder executor(ExecutorService executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /** Limits on a session's pending output: stop reading above {@code highWater}, close above. */
    public Builder outputLimits(int highWater, int maxBacklog) {
      if (highWater <= 0 || maxBacklog < highWater) {
        throw new IllegalArgumentException("need 0 < highWater <= maxBacklog");
      }
      this.outputHighWater = highWater;
      this.maxOutputBacklog = maxBacklog;
      return this;
    }

    /**
     * Declares commands that, like QAPI's {@code 'success-response': false} ({@code
     * guest-shutdown}, {@code guest-suspend-*}), send no reply when they succeed; their errors are
     * answered.
     */
    public Builder noSuccessResponse(String... commands) {
      for (String c : commands) {
        noSuccessResponse.add(Objects.requireNonNull(c, "command"));
      }
      return this;
    }

    /**
     * Runs in-band commands one at a time across all sessions, sessions taking turns, as QEMU's
     * single dispatcher does: a slow command then delays every session's in-band commands (not OOB
     * ones). Off by default, where each session's commands wait only for that session's.
     */
    public Builder serialInBand(boolean serial) {
      this.serialInBand = serial;
      return this;
    }

    /** Starts the server's I/O thread; add listeners or sessions with {@link QmpServer#listen}. */
    public QmpServer build() {
      QapiSchema s = schema != null ? schema : controlSchema(b -> {});
      boolean own = executor == null;
      ExecutorService ex = own ? newWorkerPool() : executor;
      return new QmpServer(
          new ServerCore.Config(
              s,
              version,
              Map.copyOf(handlers),
              fallback,
              Map.copyOf(throttles),
              ex,
              own,
              outputHighWater,
              maxOutputBacklog,
              serialInBand,
              java.util.Set.copyOf(noSuccessResponse)));
    }

    private static ExecutorService newWorkerPool() {
      AtomicInteger n = new AtomicInteger();
      return Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "qmp4j-server-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
    }
  }
}
