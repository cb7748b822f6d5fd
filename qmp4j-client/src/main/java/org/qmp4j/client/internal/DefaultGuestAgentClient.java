package org.qmp4j.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.qmp4j.client.GuestAgentClient;
import org.qmp4j.client.GuestExecResult;
import org.qmp4j.client.QmpCommand;
import org.qmp4j.client.QmpConnectionLostException;
import org.qmp4j.protocol.QmpCommunicationException;
import org.qmp4j.protocol.QmpErrorReply;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.protocol.QmpMessage;
import org.qmp4j.protocol.QmpProtocolException;
import org.qmp4j.protocol.QmpReader;
import org.qmp4j.protocol.QmpReturn;
import org.qmp4j.protocol.QmpWriter;
import org.qmp4j.transport.QmpAddress;
import org.qmp4j.transport.QmpConnection;
import org.qmp4j.transport.TransportOptions;
import org.qmp4j.transport.Transports;

/**
 * The {@link GuestAgentClient} implementation: one call on the wire at a time, a queue behind it, a
 * reader thread, and resynchronisation with {@code guest-sync-delimited} whenever the stream may
 * hold stale replies.
 */
public final class DefaultGuestAgentClient implements GuestAgentClient, QmpReader.Handler {

  private static final QmpWriter WRITER = QmpWriter.guestAgent();
  private static final AtomicInteger CLIENTS = new AtomicInteger();
  private static final byte[] SYNC_BYTE = {(byte) 0xFF};

  /** One call: a command, or the internal resynchronisation. */
  private static final class Call {
    final String id; // null for a sync
    final long syncId;
    final String command;
    final ObjectNode request;
    final CompletableFuture<JsonNode> future;
    final long deadline;
    final Duration timeout;
    final boolean noReply;

    Call(
        String id,
        long syncId,
        String command,
        ObjectNode request,
        CompletableFuture<JsonNode> future,
        Duration timeout,
        boolean noReply) {
      this.id = id;
      this.syncId = syncId;
      this.command = command;
      this.request = request;
      this.future = future;
      this.timeout = timeout;
      this.deadline = System.nanoTime() + timeout.toNanos();
      this.noReply = noReply;
    }

    boolean isSync() {
      return id == null;
    }
  }

  private final QmpConnection transport;
  private final String name;
  private final Duration timeout;
  private final int chunkSize;
  private final boolean wireLog;
  private final org.slf4j.Logger wire;
  private final CallbackExecutor callbacks;
  private final QmpReader reader = QmpReader.liberal();
  private final Thread thread;
  private final AtomicLong ids = new AtomicLong();
  private final Object lock = new Object();
  private final ArrayDeque<Call> queue = new ArrayDeque<>(); // guarded by lock
  private Call inFlight; // guarded by lock
  private boolean needSync = true; // guarded by lock
  private boolean pumping; // guarded by lock
  private volatile QmpCommunicationException failure;
  private final ScheduledFuture<?> sweeper;

  private DefaultGuestAgentClient(
      QmpConnection transport, String name, Duration timeout, int chunkSize, boolean wireLog) {
    this.transport = transport;
    this.name = name;
    this.timeout = timeout;
    this.chunkSize = chunkSize;
    this.wireLog = wireLog;
    org.slf4j.Logger override = DefaultQmpClient.wireLoggerOverride;
    this.wire = override != null ? override : DefaultQmpClient.WIRE;
    this.callbacks = new CallbackExecutor(null, "ga-" + CLIENTS.incrementAndGet());
    this.thread = new Thread(this::readLoop, "qmp4j-client-ga-" + name + "-reader");
    thread.setDaemon(true);
    long tick = Math.max(Duration.ofMillis(5).toNanos(), timeout.toNanos() / 20);
    this.sweeper = Delayer.every(this::sweep, Math.min(tick, Duration.ofMillis(100).toNanos()));
  }

  public static GuestAgentClient connect(
      QmpAddress address,
      QmpConnection connection,
      Duration connectTimeout,
      Duration timeout,
      int chunkSize,
      boolean wireLog,
      TransportOptions options) {
    QmpConnection t =
        connection != null ? connection : Transports.connect(address, connectTimeout, options);
    String name = address != null ? address.toString() : "adopted";
    DefaultGuestAgentClient c = new DefaultGuestAgentClient(t, name, timeout, chunkSize, wireLog);
    c.thread.start();
    try {
      c.sync();
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
    return c;
  }

  // ====================================================================== calls

  @Override
  public CompletableFuture<JsonNode> executeAsync(QmpCommand command) {
    ClientFuture<JsonNode> f = new ClientFuture<>(callbacks);
    submit(command, f, false);
    return f;
  }

  @Override
  public void executeNoReply(QmpCommand command) {
    CompletableFuture<JsonNode> f = new CompletableFuture<>();
    submit(command, f, true);
    Futures.await(f);
  }

  private void submit(QmpCommand command, CompletableFuture<JsonNode> f, boolean noReply) {
    if (command.oob()) {
      f.completeExceptionally(
          new IllegalStateException("the guest agent has no out-of-band execution"));
      return;
    }
    String id = "qmp4j-ga-" + ids.incrementAndGet();
    ObjectNode request = QmpJson.objectNode();
    request.put("execute", command.name());
    ObjectNode args = CommandAccess.arguments(command);
    if (args != null) {
      request.set("arguments", args);
    }
    request.put("id", id);
    Call call =
        new Call(id, 0, command.name(), request, f, command.timeout().orElse(timeout), noReply);
    enqueue(call);
  }

  @Override
  public long sync() {
    CompletableFuture<JsonNode> f = new CompletableFuture<>();
    synchronized (lock) {
      needSync = false;
      queue.addFirst(newSync(f));
    }
    pump();
    return Futures.await(f).asLong();
  }

  private Call newSync(CompletableFuture<JsonNode> f) {
    long syncId = ThreadLocalRandom.current().nextLong(1, 1L << 53);
    ObjectNode request = QmpJson.objectNode();
    request.put("execute", "guest-sync-delimited");
    request.putObject("arguments").put("id", syncId);
    return new Call(null, syncId, "guest-sync-delimited", request, f, timeout, false);
  }

  private void enqueue(Call call) {
    QmpCommunicationException f = failure;
    if (f != null) {
      call.future.completeExceptionally(f);
      return;
    }
    synchronized (lock) {
      queue.addLast(call);
    }
    pump();
  }

  /** Puts the next call on the wire if none is in flight. Never on the reader thread. */
  private void pump() {
    if (Thread.currentThread() == thread) {
      callbacks.execute(this::pump);
      return;
    }
    while (true) {
      Call next;
      synchronized (lock) {
        if (pumping || inFlight != null || queue.isEmpty() || failure != null) {
          return;
        }
        if (needSync && !queue.peekFirst().isSync()) {
          needSync = false;
          // the sync's failure is the next call's failure
          Call head = queue.peekFirst();
          CompletableFuture<JsonNode> sf = new CompletableFuture<>();
          sf.whenComplete(
              (v, err) -> {
                if (err != null) {
                  synchronized (lock) {
                    needSync = true;
                    queue.remove(head);
                  }
                  // the head itself was never sent
                  head.future.completeExceptionally(
                      Exceptions.forCommand(Futures.unwrap(err), false));
                  pump();
                }
              });
          queue.addFirst(newSync(sf));
        }
        next = queue.pollFirst();
        inFlight = next.noReply ? null : next;
        if (next.noReply) {
          needSync = true;
        }
        pumping = true;
      }
      try {
        write(next);
      } catch (IOException e) {
        fail(Exceptions.lost(name, "writing to the guest agent at " + name + " failed", e));
      } finally {
        synchronized (lock) {
          pumping = false;
        }
      }
      if (next.noReply) {
        next.future.complete(null);
      }
      // Loop: the reply may have come while this thread was writing, and a pump started by the
      // reader meanwhile gave up because this one was still pumping.
    }
  }

  private void write(Call call) throws IOException {
    byte[] json = WRITER.writeMessage(call.request);
    if (wireLog && wire.isDebugEnabled()) {
      wire.debug(
          "{} --> {}{}",
          name,
          call.isSync() ? "\\xff" : "",
          new String(json, 0, json.length - 1, StandardCharsets.UTF_8));
    }
    ByteBuffer b;
    if (call.isSync()) {
      b = ByteBuffer.allocate(json.length + 1);
      b.put(SYNC_BYTE).put(json).flip();
    } else {
      b = ByteBuffer.wrap(json);
    }
    while (b.hasRemaining()) {
      transport.write(b);
    }
  }

  private void sweep() {
    long now = System.nanoTime();
    Call expired = null;
    List<Call> queuedExpired = new java.util.ArrayList<>();
    synchronized (lock) {
      if (inFlight != null && inFlight.deadline - now <= 0) {
        expired = inFlight;
        inFlight = null;
        needSync = true; // its reply may still come: resynchronise before the next call
      }
      queue.removeIf(
          c -> {
            if (c.deadline - now <= 0) {
              queuedExpired.add(c);
              return true;
            }
            return false;
          });
    }
    if (expired != null) {
      expired.future.completeExceptionally(
          Exceptions.agentTimeout(
              expired.command
                  + ": the guest agent at "
                  + name
                  + " did not answer within "
                  + Exceptions.human(expired.timeout)
                  + (expired.isSync() ? " (is an agent running in the guest?)" : ""),
              expired.command,
              expired.id,
              expired.timeout));
    }
    for (Call c : queuedExpired) {
      c.future.completeExceptionally(
          Exceptions.agentTimeout(
              c.command + ": still queued after " + Exceptions.human(c.timeout),
              c.command,
              c.id,
              c.timeout));
    }
    if (expired != null || !queuedExpired.isEmpty()) {
      pump();
    }
  }

  // ====================================================================== reading

  private void readLoop() {
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    try {
      while (failure == null) {
        buf.clear();
        int n = transport.read(buf);
        if (n < 0) {
          fail(
              Exceptions.lost(name, "the guest agent at " + name + " closed the connection", null));
          return;
        }
        buf.flip();
        reader.feed(buf, this);
      }
    } catch (ClosedChannelException e) {
      fail(Exceptions.lost(name, "the connection to the guest agent at " + name + " closed", e));
    } catch (IOException e) {
      fail(Exceptions.lost(name, "reading from the guest agent at " + name + " failed", e));
    } catch (RuntimeException e) {
      fail(Exceptions.lost(name, "the guest agent reader failed: " + e, e));
    }
  }

  @Override
  public void onValue(JsonNode value) {
    if (wireLog && wire.isDebugEnabled()) {
      wire.debug("{} <-- {}", name, value);
    }
    QmpMessage m;
    try {
      m = QmpMessage.fromJson(value);
    } catch (QmpProtocolException e) {
      DefaultQmpClient.LOG.debug("{}: ignoring a non-message from the agent: {}", name, value);
      return;
    }
    JsonNode id;
    if (m instanceof QmpReturn) {
      id = ((QmpReturn) m).id();
    } else if (m instanceof QmpErrorReply) {
      id = ((QmpErrorReply) m).id();
    } else {
      DefaultQmpClient.LOG.debug("{}: ignoring {} from the agent", name, value);
      return;
    }
    Call call;
    synchronized (lock) {
      call = inFlight;
      if (call == null || !matches(call, m, id)) {
        call = null;
      } else {
        inFlight = null;
      }
    }
    if (call == null) {
      DefaultQmpClient.LOG.debug("{}: dropping a stale reply from the agent: {}", name, value);
      return;
    }
    if (m instanceof QmpReturn) {
      call.future.complete(((QmpReturn) m).value());
    } else {
      call.future.completeExceptionally(Exceptions.errorReply((QmpErrorReply) m, call.command));
    }
    pump();
  }

  /** Whether reply {@code m} answers {@code call}. Called with the lock held. */
  private boolean matches(Call call, QmpMessage m, JsonNode id) {
    if (call.isSync()) {
      return m instanceof QmpReturn
          && id == null
          && ((QmpReturn) m).value().isIntegralNumber()
          && ((QmpReturn) m).value().asLong() == call.syncId;
    }
    if (id != null) {
      return id.isTextual() && id.textValue().equals(call.id);
    }
    // An agent that does not echo ids: once in sync, the next reply is the call's.
    return true;
  }

  @Override
  public void onError(QmpProtocolException error) {
    DefaultQmpClient.LOG.debug("{}: garbage from the agent ignored: {}", name, error.getMessage());
  }

  @Override
  public void onSync() {
    DefaultQmpClient.LOG.debug("{}: 0xFF sentinel from the agent", name);
  }

  private void fail(QmpCommunicationException cause) {
    List<Call> all = new java.util.ArrayList<>();
    Call written;
    synchronized (lock) {
      if (failure != null) {
        return;
      }
      failure = cause;
      written = inFlight;
      inFlight = null;
      all.addAll(queue);
      queue.clear();
    }
    sweeper.cancel(false);
    try {
      transport.close();
    } catch (IOException e) {
      // ignore
    }
    if (written != null) {
      written.future.completeExceptionally(Exceptions.forCommand(cause, true));
    }
    for (Call c : all) {
      c.future.completeExceptionally(cause);
    }
  }

  @Override
  public void close() {
    fail(new QmpConnectionLostException(name, "guest agent client " + name + " was closed", null));
    if (Thread.currentThread() != thread) {
      try {
        thread.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    callbacks.shutdown();
  }

  // ====================================================================== helpers

  @Override
  public GuestExecResult exec(String path, List<String> args, byte[] stdin, Duration limit) {
    java.util.Objects.requireNonNull(path, "path");
    java.util.Objects.requireNonNull(args, "args");
    java.util.Objects.requireNonNull(limit, "timeout");
    long deadline = System.nanoTime() + limit.toNanos();
    ObjectNode a = QmpJson.objectNode();
    a.put("path", path);
    ArrayNode argv = a.putArray("arg");
    args.forEach(argv::add);
    if (stdin != null) {
      a.put("input-data", Base64.getEncoder().encodeToString(stdin));
    }
    a.put("capture-output", true);
    long pid = execute(QmpCommand.of("guest-exec", a)).get("pid").asLong();
    long sleepMs = 5;
    while (true) {
      JsonNode s =
          execute(QmpCommand.of("guest-exec-status", QmpJson.objectNode().put("pid", pid)));
      if (s.path("exited").asBoolean()) {
        return new GuestExecResult(
            s.path("exitcode").asInt(-1),
            s.path("signal").asInt(-1),
            decode(s.get("out-data")),
            decode(s.get("err-data")),
            s.path("out-truncated").asBoolean(),
            s.path("err-truncated").asBoolean());
      }
      if (System.nanoTime() - deadline >= 0) {
        throw Exceptions.execTimeout(path, pid, limit);
      }
      try {
        Thread.sleep(sleepMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new org.qmp4j.client.QmpInterruptedException("interrupted waiting for " + path, e);
      }
      sleepMs = Math.min(200, sleepMs * 2);
    }
  }

  private static byte[] decode(JsonNode b64) {
    return b64 == null || b64.isNull() ? new byte[0] : Base64.getDecoder().decode(b64.asText());
  }

  private long open(String path, String mode) {
    ObjectNode a = QmpJson.objectNode().put("path", path).put("mode", mode);
    return execute(QmpCommand.of("guest-file-open", a)).asLong();
  }

  private void closeHandle(long handle) {
    execute(QmpCommand.of("guest-file-close", QmpJson.objectNode().put("handle", handle)));
  }

  @Override
  public byte[] readFile(String guestPath) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      readInto(guestPath, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // not from a byte array: the agent's short write
    }
    return out.toByteArray();
  }

  private void readInto(String guestPath, OutputStream out) throws IOException {
    long h = open(guestPath, "r");
    try {
      while (true) {
        ObjectNode a = QmpJson.objectNode().put("handle", h).put("count", chunkSize);
        JsonNode r = execute(QmpCommand.of("guest-file-read", a));
        out.write(decode(r.get("buf-b64")));
        if (r.path("eof").asBoolean() || r.path("count").asLong() == 0) {
          return;
        }
      }
    } finally {
      closeHandle(h);
    }
  }

  @Override
  public void writeFile(String guestPath, byte[] data) {
    try {
      writeFrom(guestPath, new java.io.ByteArrayInputStream(data));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // not from a byte array: the agent's short write
    }
  }

  private void writeFrom(String guestPath, InputStream in) throws IOException {
    long h = open(guestPath, "w");
    try {
      byte[] chunk = new byte[chunkSize];
      int n;
      while ((n = in.readNBytes(chunk, 0, chunk.length)) > 0) {
        byte[] part = n == chunk.length ? chunk : java.util.Arrays.copyOf(chunk, n);
        ObjectNode a =
            QmpJson.objectNode()
                .put("handle", h)
                .put("buf-b64", Base64.getEncoder().encodeToString(part));
        long written = execute(QmpCommand.of("guest-file-write", a)).path("count").asLong();
        if (written != n) {
          throw new IOException(
              "the guest agent wrote " + written + " of " + n + " bytes to " + guestPath);
        }
      }
    } finally {
      closeHandle(h);
    }
  }

  @Override
  public void copyIn(Path localFile, String guestPath) {
    // opened before the guest file: a missing local file creates nothing in the guest
    try (InputStream in = Files.newInputStream(localFile)) {
      writeFrom(guestPath, in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void copyOut(String guestPath, Path localFile) {
    try (OutputStream out = Files.newOutputStream(localFile)) {
      readInto(guestPath, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
