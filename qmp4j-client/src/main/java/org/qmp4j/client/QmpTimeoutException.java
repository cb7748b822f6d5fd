package org.qmp4j.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.qmp4j.protocol.QmpCommunicationException;

/**
 * Something the client waited for did not happen in time: a command's reply, the event awaited
 * after a command, a guest agent's answer, a heartbeat, a guest program's exit ({@link
 * GuestExecTimeoutException}).
 *
 * <p>A command that timed out may still run on the peer: QMP cannot recall a request. Its reply, if
 * it comes later, is discarded; it is never delivered to another caller.
 *
 * <p>{@link #command()} and {@link #id()} say which request it was, where there is one:
 *
 * <table>
 *   <caption>What command() and id() hold</caption>
 *   <tr><th>what timed out</th><th>{@code command()}</th><th>{@code id()}</th></tr>
 *   <tr><td>a QMP command's reply</td><td>its name</td><td>the request's id, a number</td></tr>
 *   <tr><td>the event awaited by {@link QmpClient#executeAndAwaitEventAsync}</td><td>the
 *       command's name</td><td>{@code null}</td></tr>
 *   <tr><td>a retried query ({@link ReconnectPolicy#retryQueries}) while reconnecting</td><td>its
 *       name</td><td>the id of the attempt that went unanswered; {@code null} if the time ran out while the
 *       client was reconnecting</td></tr>
 *   <tr><td>a guest agent call</td><td>its name</td><td>the request's id, a string ({@code
 *       "qmp4j-ga-N"}); {@code null} for {@code guest-sync-delimited}, whose id is an
 *       argument</td></tr>
 *   <tr><td>a guest program started by {@link GuestAgentClient#exec}</td><td>{@code
 *       "guest-exec"}</td><td>{@code null}; see {@link GuestExecTimeoutException#pid()}</td></tr>
 * </table>
 */
public class QmpTimeoutException extends QmpCommunicationException {
  private static final long serialVersionUID = 1L;

  private final Duration timeout;
  private final String command;
  private final transient JsonNode id;

  /** A timeout that concerns no particular request ({@code command()} and {@code id()} null). */
  public QmpTimeoutException(String message, Duration timeout) {
    this(message, timeout, null, null);
  }

  /**
   * @param message the whole message (it names the command and, if any, the id)
   * @param timeout how long was waited
   * @param command the command whose reply or effect was waited for, or {@code null}
   * @param id the id of the request as it went (or was to go) on the wire, or {@code null}
   */
  public QmpTimeoutException(String message, Duration timeout, String command, JsonNode id) {
    super(message);
    this.timeout = timeout;
    this.command = command;
    this.id = id;
  }

  /** How long was waited. */
  public Duration timeout() {
    return timeout;
  }

  /**
   * The name of the command that timed out, or whose awaited event did not come; {@code null} if
   * the timeout concerns no command.
   */
  public String command() {
    return command;
  }

  /**
   * The id the client gave the request on the wire (a number for QMP, a string for the guest
   * agent), or {@code null} where there is none (an awaited event, a sync). For a {@linkplain
   * QmpClient#executeRawAsync raw request} it is the client's id, not yours: the one in the wire
   * log.
   */
  public JsonNode id() {
    return id;
  }
}
