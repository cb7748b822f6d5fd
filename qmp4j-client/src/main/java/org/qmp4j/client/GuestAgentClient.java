package org.qmp4j.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.qmp4j.client.internal.DefaultGuestAgentClient;
import org.qmp4j.client.internal.Futures;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.transport.QmpAddress;
import org.qmp4j.transport.QmpConnection;
import org.qmp4j.transport.TransportOptions;

/**
 * A client of the QEMU guest agent ({@code qemu-ga}): the socket QEMU exposes for the guest's
 * {@code org.qemu.guest_agent.0} port, or an agent's own {@code unix-listen} socket.
 *
 * <pre>{@code
 * try (GuestAgentClient ga = GuestAgentClient.connect("unix:/run/vm1/qga.sock")) {
 *   ga.ping();
 *   GuestExecResult r = ga.exec("/bin/uname", "-r");
 *   byte[] motd = ga.readFile("/etc/motd");
 * }
 * }</pre>
 *
 * <h2>The dialect</h2>
 *
 * No greeting and no negotiation; messages end with a bare LF. The agent serves one request at a
 * time, so the client sends one at a time too and queues the rest. Stale replies (left over from an
 * earlier client, or answering a call that timed out) are recognised by their id and dropped.
 *
 * <h2>Resynchronisation</h2>
 *
 * On connect, and after any call timed out or was sent without waiting for a reply, the client
 * resynchronises before its next call, as the agent's documentation prescribes: it sends a 0xFF
 * byte (the agent drops whatever partial input it had) followed by {@code guest-sync-delimited}
 * with a random id, then ignores everything until the agent's 0xFF sentinel and the reply carrying
 * that id. Garbage on the line before that is expected and ignored.
 *
 * <h2>Timeouts</h2>
 *
 * Every call has one ({@link Builder#timeout}, default 5 s, or {@link QmpCommand#withTimeout}),
 * counted from when the call is made: a missing agent (a guest that is not running one) never hangs
 * a caller. {@link QmpTimeoutException#id()} is the call's id, a string.
 *
 * <h2>Errors</h2>
 *
 * Unchecked, as for {@link QmpClient}: the agent's error replies are {@link
 * org.qmp4j.protocol.QmpErrorException}s, {@link QmpTimeoutException} when time runs out, {@link
 * QmpConnectionLostException} when the connection goes. Local file errors in the file helpers are
 * {@link UncheckedIOException}s wrapping the {@link java.io.IOException}.
 */
public interface GuestAgentClient extends AutoCloseable {

  /** Default timeout of a call: 5 s. */
  Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  /** Default time {@link #exec(String, String...)} waits for the program to exit: 60 s. */
  Duration DEFAULT_EXEC_TIMEOUT = Duration.ofSeconds(60);

  /** Default size of a chunk for file transfers: 48 KiB (64 KiB once base64-encoded). */
  int DEFAULT_CHUNK_SIZE = 48 * 1024;

  static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Makes a client with the defaults and connects it to the agent socket at {@code address}: the
   * shortcut for {@code newBuilder().address(address).connect()}.
   */
  static GuestAgentClient connect(String address) {
    return newBuilder().address(address).connect();
  }

  /**
   * Sends a command and returns its {@code return} value. Errors as for {@link QmpClient}: the
   * agent's error replies are {@link org.qmp4j.protocol.QmpErrorException} subtypes; {@link
   * QmpTimeoutException} after the call's timeout.
   */
  CompletableFuture<JsonNode> executeAsync(QmpCommand command);

  /**
   * Sends a command that does not reply on success ({@code guest-shutdown}, {@code
   * guest-suspend-*}) and returns once it is written. The next call resynchronises first.
   */
  void executeNoReply(QmpCommand command);

  /** Resynchronises now ({@code guest-sync-delimited}); returns the id the agent echoed. */
  long sync();

  default JsonNode execute(QmpCommand command) {
    return Futures.await(executeAsync(command));
  }

  default JsonNode execute(String command) {
    return execute(QmpCommand.of(command));
  }

  default JsonNode execute(String command, Object arguments) {
    return execute(QmpCommand.of(command, arguments));
  }

  default <T> T execute(String command, Object arguments, Class<T> type) {
    return QmpJson.convert(execute(command, arguments), type);
  }

  /** {@code guest-ping}. */
  default void ping() {
    execute("guest-ping");
  }

  /** {@code guest-info}: the agent's version and commands. */
  default JsonNode info() {
    return execute("guest-info");
  }

  /**
   * Runs a program with {@code guest-exec}, capturing its output, and waits (up to {@code timeout})
   * for it to exit, polling {@code guest-exec-status}. The program runs in the guest, as the
   * agent's user (root, usually): it is not sandboxed. Each agent call has the client's call
   * timeout besides.
   *
   * @param path the program, an absolute path in the guest (the agent does not search {@code PATH}
   *     on every system)
   * @param args its arguments, without the program itself
   * @param stdin bytes for its standard input, or {@code null}
   * @param timeout how long to wait for it to exit
   * @throws GuestExecTimeoutException if it has not exited within {@code timeout}: it keeps
   *     running, and the exception's {@link GuestExecTimeoutException#pid() pid()} names it
   * @throws org.qmp4j.protocol.QmpErrorException if the agent could not start it (a missing
   *     program, say), with the agent's text
   */
  GuestExecResult exec(String path, List<String> args, byte[] stdin, Duration timeout);

  /**
   * {@link #exec(String, List, byte[], Duration)} with no input, waiting up to {@link
   * #DEFAULT_EXEC_TIMEOUT} (60 s).
   */
  default GuestExecResult exec(String path, String... args) {
    return exec(path, List.of(args), null, DEFAULT_EXEC_TIMEOUT);
  }

  /**
   * {@link #exec(String, List, byte[], Duration)} with no input, waiting up to {@code timeout},
   * e.g. {@code exec(Duration.ofMinutes(10), "/usr/bin/fstrim", "-a")}.
   */
  default GuestExecResult exec(Duration timeout, String path, String... args) {
    return exec(path, List.of(args), null, timeout);
  }

  /** Reads a whole file from the guest, in chunks ({@code guest-file-open/read/close}). */
  byte[] readFile(String guestPath);

  /**
   * Writes (creates or truncates) a file in the guest, in chunks.
   *
   * @throws UncheckedIOException if the agent wrote fewer bytes than were sent (a full disk)
   */
  void writeFile(String guestPath, byte[] data);

  /**
   * Copies a local file into the guest, streaming it in chunks. The local file is opened first: if
   * it cannot be, nothing is created in the guest.
   *
   * @throws UncheckedIOException if the local file cannot be read, or the agent wrote fewer bytes
   *     than were sent
   */
  void copyIn(Path localFile, String guestPath);

  /**
   * Copies a guest file to a local file (created or truncated), streaming it in chunks.
   *
   * @throws UncheckedIOException if the local file cannot be written
   */
  void copyOut(String guestPath, Path localFile);

  /** Closes the connection; pending calls fail with {@link QmpConnectionLostException}. */
  @Override
  void close();

  /** Configures a {@link GuestAgentClient}. */
  final class Builder {
    private QmpAddress address;
    private QmpConnection connection;
    private Duration connectTimeout = QmpClient.DEFAULT_CONNECT_TIMEOUT;
    private Duration timeout = DEFAULT_TIMEOUT;
    private int chunkSize = DEFAULT_CHUNK_SIZE;
    private boolean wireLogging;
    private TransportOptions transportOptions = TransportOptions.DEFAULTS;

    private Builder() {}

    public Builder address(String address) {
      return address(QmpAddress.parse(address));
    }

    public Builder address(QmpAddress address) {
      this.address = Objects.requireNonNull(address, "address");
      return this;
    }

    /** Use an open connection (a pipe to a virtio-serial chardev, say); the client owns it. */
    public Builder connection(QmpConnection connection) {
      this.connection = Objects.requireNonNull(connection, "connection");
      return this;
    }

    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** Default timeout of every call, the resynchronisation included (default 5 s). */
    public Builder timeout(Duration timeout) {
      this.timeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** Bytes per {@code guest-file-read}/{@code guest-file-write} (default 48 KiB). */
    public Builder chunkSize(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("chunkSize must be positive: " + bytes);
      }
      this.chunkSize = bytes;
      return this;
    }

    /** {@code -->}/{@code <--} lines at DEBUG on {@code org.qmp4j.client.wire} (default off). */
    public Builder wireLogging(boolean enable) {
      this.wireLogging = enable;
      return this;
    }

    public Builder transportOptions(TransportOptions options) {
      this.transportOptions = Objects.requireNonNull(options, "options");
      return this;
    }

    /** Connects and resynchronises with the agent. */
    public GuestAgentClient connect() {
      if ((address == null) == (connection == null)) {
        throw new IllegalStateException("give exactly one of address(...) or connection(...)");
      }
      return DefaultGuestAgentClient.connect(
          address, connection, connectTimeout, timeout, chunkSize, wireLogging, transportOptions);
    }
  }
}
