package org.qmp4j.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.qmp4j.protocol.JsonSyntaxException;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.protocol.QmpVersion;
import org.qmp4j.schema.QapiSchema;
import org.qmp4j.schema.SchemaCommand;
import org.qmp4j.server.CommandContext;
import org.qmp4j.server.MonitorOptions;
import org.qmp4j.server.QmpServer;
import org.qmp4j.server.QmpSession;

/** The server's machinery behind {@link QmpServer}: sessions, dispatch, events, listeners. */
public final class ServerCore {
  private static final System.Logger LOG = System.getLogger(QmpServer.class.getName());
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** How a registered handler runs. */
  public enum Mode {
    /** On the I/O thread; must not block. */
    INLINE,
    /** On the worker executor. */
    WORKER,
    /** Started on the I/O thread, completes whenever. */
    ASYNC
  }

  /** A registered handler. Exactly one of {@code sync} and {@code async} is set. */
  public record Handler(
      Mode mode,
      org.qmp4j.server.CommandHandler sync,
      org.qmp4j.server.AsyncCommandHandler async) {}

  /** One throttled event stream kind: at most one per {@code intervalNanos} per key. */
  public record ThrottleRule(long intervalNanos, List<String> keys) {}

  /** Everything the builder collected. */
  public record Config(
      QapiSchema schema,
      QmpVersion version,
      Map<String, Handler> handlers,
      Handler fallback,
      Map<String, ThrottleRule> throttles,
      ExecutorService executor,
      boolean ownExecutor,
      int outputHighWater,
      int maxOutputBacklog,
      boolean serialInBand,
      Set<String> noSuccessResponse) {}

  /**
   * A declared command; {@code noArguments} if its argument type is QAPI's empty object, so that a
   * request without {@code arguments} needs no validation.
   */
  record Command(
      String name,
      boolean allowOob,
      Handler handler,
      boolean successResponse,
      boolean noArguments) {

    /**
     * Whether a request naming it without arguments can run without the general dispatch: an inline
     * handler, no argument to validate, a reply on success.
     */
    boolean direct() {
      return handler != null && handler.mode() == Mode.INLINE && noArguments && successResponse;
    }
  }

  private final QmpServer facade;
  private final Config config;
  private final IoLoop loop = new IoLoop("qmp4j-server-io");
  private final Map<String, Command> commands = new LinkedHashMap<>();
  private final Command capabilitiesCommand;
  // The direct() commands by the bytes of their name (open addressing by String.hashCode).
  private final Command[] directCommands;
  private final byte[][] directNames;
  private final FastRequest fastRequest = new FastRequest();

  /**
   * System property: {@code false} makes every request take the general path (reader, tree, request
   * check, dispatch), for comparisons; read when a server is built.
   */
  public static final String DIRECT_DISPATCH_PROPERTY = "qmp4j.server.directDispatch";

  private final Map<Long, Session> sessions = new ConcurrentHashMap<>();
  private final Set<Listener> listeners = ConcurrentHashMap.newKeySet();
  private final AtomicLong sessionIds = new AtomicLong();
  private final Map<List<Object>, ThrottleState> throttled = new LinkedHashMap<>();
  private final ObjectNode versionJson;
  private volatile boolean closed;
  // closeAfterOutput(): set on the loop thread once the server ends; the future completes on close.
  private volatile boolean ending;
  private boolean endStarted;
  private final CompletableFuture<Void> ended = new CompletableFuture<>();

  /** How long {@link #closeAfterOutput} waits at most for a peer to take its output. */
  static final int END_DRAIN_LIMIT_SECONDS = 10;

  private static final long END_DRAIN_LIMIT_NANOS =
      TimeUnit.SECONDS.toNanos(END_DRAIN_LIMIT_SECONDS);

  public ServerCore(QmpServer facade, Config config) {
    this.facade = facade;
    this.config = config;
    this.versionJson = versionJson(config.version());
    for (SchemaCommand c : config.schema().commands()) {
      Handler h = config.handlers().get(c.name());
      if (h == null) {
        h = builtin(c.name());
      }
      if (h == null) {
        h = config.fallback();
      }
      commands.put(
          c.name(),
          new Command(
              c.name(),
              c.allowOob(),
              h,
              !config.noSuccessResponse().contains(c.name()),
              !c.freeForm() && c.argType().equals(QapiSchema.EMPTY_OBJECT)));
    }
    for (String name : config.handlers().keySet()) {
      if (!commands.containsKey(name)) {
        loop.close();
        throw new IllegalArgumentException(
            "command " + name + " has a handler but is not declared in the schema");
      }
    }
    // Without qmp_capabilities the server can serve guest agent monitors only.
    capabilitiesCommand = commands.get("qmp_capabilities");
    int size = Integer.highestOneBit(Math.max(1, commands.size()) * 4);
    directCommands = new Command[size];
    directNames = new byte[size][];
    if (!config.serialInBand()
        && Boolean.parseBoolean(System.getProperty(DIRECT_DISPATCH_PROPERTY, "true"))) {
      for (Command c : commands.values()) {
        if (c.direct() && isPrintableAscii(c.name())) {
          int slot = c.name().hashCode() & (size - 1);
          while (directCommands[slot] != null) {
            slot = (slot + 1) & (size - 1);
          }
          directCommands[slot] = c;
          directNames[slot] = c.name().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        }
      }
    }
  }

  private static boolean isPrintableAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < 0x20 || s.charAt(i) > 0x7E) {
        return false;
      }
    }
    return true;
  }

  /** query-version's value, members inserted in the order QEMU's output visitor adds them. */
  private static ObjectNode versionJson(QmpVersion v) {
    ObjectNode version = NODES.objectNode();
    ObjectNode qemu = version.putObject("qemu");
    qemu.put("major", v.major());
    qemu.put("minor", v.minor());
    qemu.put("micro", v.micro());
    version.put("package", v.packageName());
    return version;
  }

  IoLoop loop() {
    return loop;
  }

  public QapiSchema schema() {
    return config.schema();
  }

  int outputHighWater() {
    return config.outputHighWater();
  }

  int maxOutputBacklog() {
    return config.maxOutputBacklog();
  }

  void log(System.Logger.Level level, String message) {
    LOG.log(level, message);
  }

  // ---------------------------------------------------------------------------------------------
  // Connections

  /** Accepts clients from {@code channel} until closed; returns a handle that stops listening. */
  public QmpServer.Listener listen(
      ServerSocketChannel channel, MonitorOptions options, Path socketFile) throws IOException {
    return listen(
        channel,
        options,
        () -> {
          if (socketFile != null) {
            Files.deleteIfExists(socketFile);
          }
        });
  }

  /** As above; {@code onClose} runs when the listener closes (e.g. to remove a socket file). */
  public QmpServer.Listener listen(
      ServerSocketChannel channel, MonitorOptions options, AutoCloseable onClose)
      throws IOException {
    checkOpen();
    checkDialect(options);
    channel.configureBlocking(false);
    Listener listener = new Listener(channel, options, onClose);
    listeners.add(listener);
    CompletableFuture<Void> registered = new CompletableFuture<>();
    loop.run(
        () -> {
          try {
            channel.register(loop.selector(), SelectionKey.OP_ACCEPT, listener);
            registered.complete(null);
          } catch (IOException | RuntimeException e) {
            registered.completeExceptionally(e);
          }
        });
    await(registered);
    return listener;
  }

  /** Starts a session on an already connected channel. */
  public QmpSession adopt(SocketChannel channel, MonitorOptions options) throws IOException {
    return adopt(new Endpoint.Socket(channel), options);
  }

  /** Starts a session on a pair of blocking streams, e.g. standard input and output. */
  public QmpSession adopt(
      java.io.InputStream in, java.io.OutputStream out, String name, MonitorOptions options)
      throws IOException {
    return adopt(new Endpoint.Streams(in, out, name), options);
  }

  private QmpSession adopt(Endpoint endpoint, MonitorOptions options) throws IOException {
    checkOpen();
    checkDialect(options);
    Session session = newSession(endpoint, options, null);
    CompletableFuture<Void> started = new CompletableFuture<>();
    loop.run(
        () -> {
          try {
            startSession(session);
            started.complete(null);
          } catch (IOException | RuntimeException e) {
            started.completeExceptionally(e);
          }
        });
    await(started);
    return session;
  }

  /** A session on a monitor of its own (independent sessions, adopted channels, stdio). */
  private Session newSession(Endpoint endpoint, MonitorOptions options, Object origin) {
    return newSession(endpoint, new Monitor(this, options, null), origin);
  }

  private Session newSession(Endpoint endpoint, Monitor monitor, Object origin) {
    return new Session(
        this, sessionIds.incrementAndGet(), endpoint, endpoint.peer(), monitor, origin);
  }

  private void startSession(Session session) throws IOException {
    if (closed || ending) {
      session.closeNow();
      return;
    }
    session.channel().register(loop.selector(), session);
    sessions.put(session.id(), session);
    session.start();
  }

  void sessionClosed(Session session) {
    sessions.remove(session.id());
    if (endStarted && sessions.isEmpty()) {
      loop.execute(this::finishEnding); // not from inside the session's close
    }
  }

  public List<QmpSession> sessions() {
    return List.copyOf(sessions.values());
  }

  /**
   * Accepts the clients of one listening channel. With {@link MonitorOptions#singleClient()} the
   * listener is one monitor serving one client at a time, as QEMU's socket chardev: while a client
   * is attached it accepts nobody (later clients wait in the listen backlog), and the next one is
   * accepted when it leaves; otherwise every client gets a monitor of its own.
   */
  private final class Listener implements IoLoop.Readiness, QmpServer.Listener {
    final ServerSocketChannel channel;
    final MonitorOptions options;
    final AutoCloseable onClose;
    final Monitor shared;

    Listener(ServerSocketChannel channel, MonitorOptions options, AutoCloseable onClose) {
      this.channel = channel;
      this.options = options;
      this.onClose = onClose;
      this.shared =
          options.singleClient() ? new Monitor(ServerCore.this, options, this::acceptNext) : null;
    }

    @Override
    public void ready(SelectionKey key) throws IOException {
      if (shared != null) {
        Session current = shared.session();
        if (current == null || current.inputEnded()) {
          SocketChannel client = channel.accept();
          if (client != null) {
            if (current != null) {
              // The client ended its input while its monitor was suspended (a running command).
              // QEMU tells a full close (HUP) from a half close; Java cannot: the next client
              // in the backlog is taken as proof that this one is gone.
              current.closeNow();
            }
            startSession(newSession(new Endpoint.Socket(client), shared, this));
          }
        }
        current = shared.session();
        if (current != null && !current.inputEnded() && key.isValid()) {
          key.interestOps(0); // the next client waits in the backlog, as with QEMU
        }
        return;
      }
      SocketChannel client;
      while ((client = channel.accept()) != null) {
        startSession(newSession(new Endpoint.Socket(client), options, this));
      }
    }

    @Override
    public List<QmpSession> clients() {
      if (shared != null) {
        Session current = shared.session();
        return current != null && current.open() ? List.of(current) : List.of();
      }
      // Derived from the server's open sessions: nothing to keep in step as clients come and go.
      return sessions.values().stream()
          .filter(s -> s.origin() == this && s.open())
          .sorted(java.util.Comparator.comparingLong(Session::id))
          .collect(java.util.stream.Collectors.toList());
    }

    /** The single client left or ended its input: look for the next one (on the loop thread). */
    private void acceptNext() {
      SelectionKey key = channel.keyFor(loop.selector());
      if (key != null && key.isValid() && !closed) {
        key.interestOps(SelectionKey.OP_ACCEPT);
      }
    }

    @Override
    public void close() {
      listeners.remove(this);
      loop.run(
          () -> {
            SelectionKey key = channel.keyFor(loop.selector());
            if (key != null) {
              key.cancel();
            }
          });
      try {
        channel.close();
      } catch (IOException e) {
        LOG.log(System.Logger.Level.DEBUG, "closing listener", e);
      }
      try {
        onClose.close();
      } catch (Exception e) {
        LOG.log(System.Logger.Level.WARNING, "closing listener on " + channel, e);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // QEMU's single in-band dispatcher (optional)

  private Monitor inBandOwner;
  private final java.util.ArrayDeque<Monitor> inBandWaiting = new java.util.ArrayDeque<>();

  /**
   * Whether {@code monitor} may run its next in-band command now. Always, unless the server runs
   * in-band commands one at a time across monitors as QEMU does; then monitors take turns.
   */
  boolean acquireInBand(Monitor monitor) {
    if (!config.serialInBand() || inBandOwner == monitor) {
      return true;
    }
    if (inBandOwner == null && inBandWaiting.isEmpty()) {
      inBandOwner = monitor;
      return true;
    }
    if (!inBandWaiting.contains(monitor)) {
      inBandWaiting.add(monitor);
    }
    return false;
  }

  /**
   * {@code monitor}'s in-band command finished (or its client left while none ran): the next one's
   * turn.
   */
  void releaseInBand(Monitor monitor, boolean wantsMore) {
    if (!config.serialInBand()) {
      return;
    }
    inBandWaiting.remove(monitor);
    if (inBandOwner == monitor) {
      inBandOwner = null;
    }
    if (wantsMore) {
      inBandWaiting.add(monitor);
    }
    if (inBandOwner == null) {
      Monitor next;
      while ((next = inBandWaiting.poll()) != null && !next.wantsInBand()) {
        // skip monitors whose client went away while waiting
      }
      if (next != null) {
        inBandOwner = next;
        loop.execute(next::dispatchNext);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Messages

  ObjectNode greeting(MonitorOptions options) {
    ObjectNode qmp = NODES.objectNode();
    qmp.set("version", versionJson.deepCopy());
    ArrayNode caps = qmp.putArray("capabilities");
    if (options.offerOob()) {
      caps.add("oob");
    }
    ObjectNode greeting = NODES.objectNode();
    greeting.set("QMP", qmp);
    return greeting;
  }

  ObjectNode errorResponse(JsonSyntaxException error) {
    return errorResponse(QmpErrorException.GENERIC_ERROR, error.desc(), null);
  }

  private static ObjectNode errorResponse(String errorClass, String desc, JsonNode id) {
    ObjectNode response = NODES.objectNode();
    if (id != null) {
      response.set("id", id);
    }
    ObjectNode error = response.putObject("error");
    error.put("class", errorClass);
    error.put("desc", desc);
    return response;
  }

  static ObjectNode returnResponse(JsonNode value, JsonNode id) {
    ObjectNode response = NODES.objectNode();
    response.set("return", value == null ? NODES.objectNode() : value);
    if (id != null) {
      response.set("id", id);
    }
    return response;
  }

  // ---------------------------------------------------------------------------------------------
  // Dispatch: QEMU's qmp_dispatch(), in its order

  /**
   * Validates and executes one request; {@code reply} receives the response (on the I/O thread for
   * inline handlers and early errors, on whatever thread completes the handler otherwise).
   */
  void dispatch(Session session, JsonNode request, Consumer<ObjectNode> reply) {
    if (!(request instanceof ObjectNode dict)) {
      reply.accept(
          errorResponse(QmpErrorException.GENERIC_ERROR, "QMP input must be a JSON object", null));
      return;
    }
    JsonNode id = dict.get("id");
    String problem = RequestCheck.check(dict, session.oobEnabled());
    if (problem != null) {
      reply.accept(errorResponse(QmpErrorException.GENERIC_ERROR, problem, id));
      return;
    }
    JsonNode execute = dict.get("execute");
    boolean oob = execute == null;
    String name = (oob ? dict.get("exec-oob") : execute).textValue();
    Command command =
        session.options().guestAgent()
            ? (name.equals("qmp_capabilities") ? null : commands.get(name))
            : session.negotiated()
                ? commands.get(name)
                : name.equals("qmp_capabilities") ? capabilitiesCommand : null;
    if (command == null) {
      reply.accept(
          negotiationRewrite(
              session,
              errorResponse(
                  QmpErrorException.COMMAND_NOT_FOUND,
                  "The command " + name + " has not been found",
                  id)));
      return;
    }
    if (oob && !command.allowOob()) {
      reply.accept(
          errorResponse(
              QmpErrorException.GENERIC_ERROR,
              "The command " + name + " does not support OOB",
              id));
      return;
    }
    ObjectNode arguments;
    try {
      JsonNode given = dict.get("arguments");
      if (command.noArguments() && given == null) {
        // what the validator would return, without its work
        arguments = LazyMembers.emptyArguments();
      } else {
        arguments = config.schema().validateArguments(name, given);
      }
    } catch (QmpErrorException e) {
      reply.accept(negotiationRewrite(session, errorResponse(e.errorClass(), e.desc(), id)));
      return;
    }
    Context context = new Context(session, name, id, oob);
    Handler h = command.handler();
    if (h != null && h.mode() == Mode.INLINE) {
      ObjectNode response;
      try {
        JsonNode value = h.sync().execute(context, arguments);
        response = command.successResponse() ? returnResponse(value, id) : null;
      } catch (Throwable t) {
        response = negotiationRewrite(session, failureResponse(name, t, id));
      }
      deliver(context, reply, response);
      return;
    }
    CompletionStage<JsonNode> result;
    try {
      result = invoke(command, context, arguments);
    } catch (Exception e) {
      result = CompletableFuture.failedFuture(e);
    }
    // Always through the loop's queue, behind what the handler emitted, even if the stage is
    // complete already (its callback would then run here at once, ahead of those events).
    result.whenComplete(
        (value, failure) ->
            loop.execute(
                () ->
                    deliver(
                        context,
                        reply,
                        failure == null
                            ? (command.successResponse() ? returnResponse(value, id) : null)
                            : negotiationRewrite(session, failureResponse(name, failure, id)))));
  }

  /**
   * Hands a handler's response to {@code reply}; if the handler asked to {@link
   * CommandContext#closeServerAfterReply() close the server after its reply}, the server ends right
   * behind it, on the loop thread: nothing else is dispatched in between.
   */
  private void deliver(Context context, Consumer<ObjectNode> reply, ObjectNode response) {
    if (!context.closeAfterReply) {
      reply.accept(response);
      return;
    }
    loop.run(
        () -> {
          ending = true; // no queued request starts once this reply is out (Monitor.wantsInBand)
          reply.accept(response); // on the loop thread, this queues the reply now
          endNow();
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Dispatch without the tree: a request of FastRequest's shape naming a direct() command

  /**
   * Runs the request at the position of {@code in} (a heap buffer) if it has {@link FastRequest}'s
   * shape and names a {@link Command#direct()} command, and moves past it; otherwise does nothing
   * and returns false. The caller has checked that the outcome is what the reader, the queue and
   * {@link #dispatch} would produce: the session is negotiated and not a guest agent's, its reader
   * is between messages, and nothing is queued or running on its monitor.
   */
  boolean dispatchDirect(Session session, java.nio.ByteBuffer in) {
    byte[] b = in.array();
    int base = in.arrayOffset();
    int stop = fastRequest.scan(b, base + in.position(), base + in.limit());
    if (stop < 0) {
      return false;
    }
    Command command = directCommand(b, fastRequest.nameStart(), fastRequest.nameEnd());
    if (command == null) {
      return false;
    }
    in.position(stop - base);
    session.monitor().executeDirect(session, command, fastRequest.id(b));
    return true;
  }

  private Command directCommand(byte[] b, int from, int to) {
    int mask = directCommands.length - 1;
    for (int slot = fastRequest.nameHash() & mask; ; slot = (slot + 1) & mask) {
      Command c = directCommands[slot];
      if (c == null) {
        return null;
      }
      byte[] name = directNames[slot];
      if (java.util.Arrays.equals(name, 0, name.length, b, from, to)) {
        return c;
      }
    }
  }

  /**
   * Runs a {@link Command#direct()} command for a request without arguments and replies, as {@link
   * #dispatch} does for it after the request check.
   */
  void runDirect(Session session, Command command, JsonNode id, Monitor monitor) {
    Context context = new Context(session, command.name(), id, false);
    JsonNode value;
    try {
      value = command.handler().sync().execute(context, LazyMembers.emptyArguments());
    } catch (Throwable t) {
      ObjectNode error = negotiationRewrite(session, failureResponse(command.name(), t, id));
      deliver(context, monitor::reply, error);
      return;
    }
    if (context.closeAfterReply) {
      deliver(context, r -> monitor.replyReturn(value, id), null);
    } else {
      monitor.replyReturn(value, id);
    }
  }

  private CompletionStage<JsonNode> invoke(Command command, Context context, ObjectNode arguments)
      throws Exception {
    Handler h = command.handler();
    if (h == null) {
      throw QmpErrorException.generic(
          "The command " + command.name() + " is not implemented by this server");
    }
    // Inline handlers never get here: dispatch() runs them without a future.
    if (h.mode() == Mode.ASYNC) {
      return h.async().execute(context, arguments);
    }
    CompletableFuture<JsonNode> f = new CompletableFuture<>();
    config
        .executor()
        .execute(
            () -> {
              try {
                f.complete(h.sync().execute(context, arguments));
              } catch (Throwable t) {
                f.completeExceptionally(t);
              }
            });
    return f;
  }

  private ObjectNode failureResponse(String command, Throwable failure, JsonNode id) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof QmpErrorException e) {
      return errorResponse(e.errorClass(), e.desc(), id);
    }
    LOG.log(System.Logger.Level.WARNING, "command " + command + " failed", t);
    String message = t.getMessage() != null ? t.getMessage() : t.getClass().getName();
    return errorResponse(QmpErrorException.GENERIC_ERROR, message, id);
  }

  /** In negotiation mode, QEMU replaces the text of every CommandNotFound error. */
  static ObjectNode negotiationRewrite(Session session, ObjectNode response) {
    if (!session.negotiated()) {
      JsonNode error = response.get("error");
      if (error != null
          && QmpErrorException.COMMAND_NOT_FOUND.equals(error.path("class").asText())) {
        ((ObjectNode) error)
            .put("desc", "Expecting capabilities negotiation with 'qmp_capabilities'");
      }
    }
    return response;
  }

  private final class Context implements CommandContext {
    private final Session session;
    private final String command;
    private final JsonNode id;
    private final boolean oob;
    volatile boolean closeAfterReply;

    Context(Session session, String command, JsonNode id, boolean oob) {
      this.session = session;
      this.command = command;
      this.id = id;
      this.oob = oob;
    }

    @Override
    public QmpServer server() {
      return facade;
    }

    @Override
    public QmpSession session() {
      return session;
    }

    @Override
    public String command() {
      return command;
    }

    @Override
    public JsonNode id() {
      return id;
    }

    @Override
    public boolean outOfBand() {
      return oob;
    }

    @Override
    public CompletableFuture<Void> closeServerAfterReply() {
      closeAfterReply = true;
      return ended;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Control commands

  private Handler builtin(String name) {
    switch (name) {
      case "qmp_capabilities":
        return inline(this::qmpCapabilities);
      case "query-version":
        return inline((ctx, args) -> versionJson.deepCopy());
      case "query-commands":
        return inline((ctx, args) -> queryCommands());
      case "query-qmp-schema":
        return inline((ctx, args) -> config.schema().toIntrospection());
      default:
        return null;
    }
  }

  private static Handler inline(org.qmp4j.server.CommandHandler h) {
    return new Handler(Mode.INLINE, h, null);
  }

  private JsonNode qmpCapabilities(CommandContext ctx, ObjectNode args) {
    Session session = (Session) ctx.session();
    if (session.negotiated()) {
      throw new QmpErrorException.CommandNotFoundException(
          "Capabilities negotiation is already complete, command ignored", null, null);
    }
    Set<String> enable = new LinkedHashSet<>();
    List<String> unavailable = new ArrayList<>();
    for (JsonNode cap : args.path("enable")) {
      String c = cap.asText();
      if (!(c.equals("oob") && session.options().offerOob())) {
        unavailable.add(c);
      }
      enable.add(c);
    }
    if (!unavailable.isEmpty()) {
      throw QmpErrorException.generic(
          "Capability " + String.join(", ", unavailable) + " not available");
    }
    session.negotiate(enable);
    return null;
  }

  /**
   * QEMU lists commands in reverse order of registration, and registers its free-form commands
   * ({@code device_add}) by hand after the generated ones, so those come first.
   */
  private JsonNode queryCommands() {
    ArrayNode list = NODES.arrayNode();
    List<SchemaCommand> declared = new ArrayList<>(config.schema().commands());
    Collections.reverse(declared);
    for (SchemaCommand c : declared) {
      if (c.freeForm()) {
        list.addObject().put("name", c.name());
      }
    }
    for (SchemaCommand c : declared) {
      if (!c.freeForm()) {
        list.addObject().put("name", c.name());
      }
    }
    return list;
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  /** Builds the event now (its timestamp is now) and sends it, subject to throttling. */
  public void emit(String name, ObjectNode data) {
    if (config.schema().event(name).isEmpty()) {
      throw new IllegalArgumentException("event " + name + " is not declared in the schema");
    }
    Instant now = Instant.now();
    ObjectNode event = NODES.objectNode();
    ObjectNode timestamp = event.putObject("timestamp");
    timestamp.put("seconds", now.getEpochSecond());
    timestamp.put("microseconds", now.getNano() / 1000);
    event.put("event", name);
    if (data != null && data.size() > 0) {
      event.set("data", data);
    }
    ThrottleRule rule = config.throttles().get(name);
    if (rule == null) {
      loop.run(() -> broadcast(event));
    } else {
      loop.run(() -> throttle(rule, name, data, event));
    }
  }

  private static final class ThrottleState {
    ObjectNode pending;
  }

  private void throttle(ThrottleRule rule, String name, ObjectNode data, ObjectNode event) {
    List<Object> key = new ArrayList<>(1 + rule.keys().size());
    key.add(name);
    for (String k : rule.keys()) {
      key.add(data == null ? null : data.get(k));
    }
    ThrottleState state = throttled.get(key);
    if (state != null) {
      state.pending = event; // the last one wins, and keeps its own timestamp
      return;
    }
    broadcast(event);
    ThrottleState fresh = new ThrottleState();
    throttled.put(key, fresh);
    loop.schedule(rule.intervalNanos(), () -> throttleTimer(rule, key, fresh));
  }

  private void throttleTimer(ThrottleRule rule, List<Object> key, ThrottleState state) {
    if (state.pending != null) {
      broadcast(state.pending);
      state.pending = null;
      loop.schedule(rule.intervalNanos(), () -> throttleTimer(rule, key, state));
    } else {
      throttled.remove(key);
    }
  }

  /** Sends an event to every negotiated session; serialised once per output form. */
  private void broadcast(ObjectNode event) {
    byte[] compact = null;
    byte[] pretty = null;
    for (Session s : sessions.values()) {
      if (!s.negotiated() || !s.open() || s.options().guestAgent()) {
        continue;
      }
      byte[] bytes;
      if (s.options().pretty()) {
        bytes = pretty != null ? pretty : (pretty = s.writer().writeMessage(event));
      } else {
        bytes = compact != null ? compact : (compact = s.writer().writeMessage(event));
      }
      s.sendBytes(bytes, 0, bytes.length);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Shutdown

  private void checkDialect(MonitorOptions options) {
    if (!options.guestAgent() && capabilitiesCommand == null) {
      throw new IllegalArgumentException(
          "a QMP monitor needs qmp_capabilities in the schema (see QmpServer.controlSchema())");
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the server is closed");
    }
  }

  /** Whether the server is ending ({@link #closeAfterOutput}): no request starts any more. */
  boolean ending() {
    return ending;
  }

  /** See {@link QmpServer#closeAfterOutput()}. */
  public CompletableFuture<Void> closeAfterOutput() {
    if (closed) {
      ended.complete(null);
    } else {
      loop.execute(this::endNow); // behind what is queued for the loop now (events, replies)
    }
    return ended;
  }

  /**
   * Ends the server (loop thread): stops listening and closes each session once what is queued for
   * it now has been written, through the sessions' own write-then-close path; then closes.
   */
  private void endNow() {
    if (endStarted || closed) {
      return;
    }
    endStarted = true;
    ending = true;
    for (Listener l : List.copyOf(listeners)) {
      l.close();
    }
    for (Session s : List.copyOf(sessions.values())) {
      s.closeAfterOutput();
    }
    if (sessions.isEmpty()) {
      loop.execute(this::finishEnding);
    } else {
      // A peer that never reads must not keep the server alive: its output is dropped then.
      loop.schedule(
          END_DRAIN_LIMIT_NANOS,
          () -> {
            for (Session s : List.copyOf(sessions.values())) {
              s.closeNow();
            }
          });
    }
  }

  private void finishEnding() {
    if (!ended.isDone()) {
      close();
      ended.complete(null);
    }
  }

  public void close() {
    if (closed) {
      ended.complete(null);
      return;
    }
    closed = true;
    for (Listener l : List.copyOf(listeners)) {
      l.close();
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.run(
        () -> {
          for (Session s : List.copyOf(sessions.values())) {
            s.closeNow();
          }
          done.complete(null);
        });
    try {
      done.get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.log(System.Logger.Level.WARNING, "closing sessions", e);
    }
    loop.close();
    if (config.ownExecutor()) {
      config.executor().shutdownNow();
    }
    ended.complete(null);
  }

  private static void await(CompletableFuture<Void> f) throws IOException {
    try {
      f.get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException(e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IOException("the server's I/O thread did not answer", e);
    }
  }
}
