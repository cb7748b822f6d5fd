package org.qmp4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.time.Duration;
import org.qmp4j.client.GuestAgentClient;
import org.qmp4j.client.QmpClient;
import org.qmp4j.protocol.QmpCommunicationException;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.transport.QmpAddress;

/** What the commands share: connecting with useful messages, printing JSON, failing. */
final class Cli {

  private Cli() {}

  /** How long connecting (and the greeting and negotiation) may take. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private static final Separators SPACED =
      Separators.createDefaultInstance()
          .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
          .withObjectEmptySeparator("")
          .withArrayEmptySeparator("");

  private static final ObjectWriter PRETTY =
      QmpJson.mapper()
          .writer(
              new DefaultPrettyPrinter()
                  .withSeparators(SPACED)
                  .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                  .withArrayIndenter(new DefaultIndenter("  ", "\n")));

  /** One line, with QEMU's {@code ", "} and {@code ": "} separators: for people. */
  private static final ObjectWriter ONE_LINE =
      QmpJson.mapper()
          .writer(
              new DefaultPrettyPrinter()
                  .withSeparators(
                      SPACED
                          .withObjectEntrySpacing(Separators.Spacing.AFTER)
                          .withArrayValueSpacing(Separators.Spacing.AFTER))
                  .withObjectIndenter(null)
                  .withArrayIndenter(null));

  private static final ObjectWriter COMPACT = QmpJson.mapper().writer();

  /** A failure the command reports as one line on stderr, with an exit status. */
  static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;

    Failure(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  /** {@code value} as JSON, indented by two spaces or on one line. */
  static String json(JsonNode value, boolean pretty) {
    try {
      return (pretty ? PRETTY : COMPACT).writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code value} on one line with spaces after separators, as QEMU prints it. */
  static String oneLine(JsonNode value) {
    try {
      return ONE_LINE.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether to pretty-print: as asked, else when standard output is a terminal. */
  static boolean pretty(Boolean pretty, Boolean compact) {
    if (Boolean.TRUE.equals(pretty)) {
      return true;
    }
    if (Boolean.TRUE.equals(compact)) {
      return false;
    }
    return System.console() != null;
  }

  /** {@code CLASS: desc}, as the contract prints an error reply. */
  static String describe(QmpErrorException e) {
    return e.errorClass() + ": " + e.desc();
  }

  /** Parses {@code address}, failing with {@link Main#EXIT_USAGE} and the parser's explanation. */
  static QmpAddress address(String command, String address) {
    try {
      return QmpAddress.parse(address);
    } catch (RuntimeException e) {
      throw new Failure(Main.EXIT_USAGE, "qmp4j " + command + ": " + e.getMessage());
    }
  }

  /** Connects a built client, turning a failure into a {@link Failure} saying what was tried. */
  static QmpClient connect(String command, QmpClient client, QmpAddress address) {
    try {
      return client.connect();
    } catch (QmpCommunicationException e) {
      client.close();
      throw connectFailure(command, address, e);
    }
  }

  /** Connects to a QMP monitor at {@code address} with the defaults. */
  static QmpClient connect(String command, String address) {
    QmpAddress a = address(command, address);
    return connect(
        command, QmpClient.newBuilder().address(a).connectTimeout(CONNECT_TIMEOUT).build(), a);
  }

  /** Connects to a guest agent at {@code address}. */
  static GuestAgentClient connectAgent(String command, String address, Duration timeout) {
    QmpAddress a = address(command, address);
    try {
      return GuestAgentClient.newBuilder()
          .address(a)
          .connectTimeout(CONNECT_TIMEOUT)
          .timeout(timeout)
          .connect();
    } catch (QmpCommunicationException e) {
      String m = String.valueOf(e.getMessage());
      String lower = m.toLowerCase(java.util.Locale.ROOT);
      if (!(lower.contains("refused") || lower.contains("no such file"))) {
        throw connectFailure(command, a, e);
      }
      // Nothing listens there: the transport's hint is about QEMU's -qmp; say how an agent listens.
      throw new Failure(
          Main.EXIT_USAGE,
          "qmp4j "
              + command
              + ": cannot talk to a guest agent at "
              + a
              + ": "
              + m.replaceAll(" \\(is QEMU running with -qmp [^)]*\\)", "")
              + (a instanceof QmpAddress.Unix
                  ? " (is qemu-ga listening there, as with qemu-ga -m unix-listen -p PATH, or"
                      + " QEMU's -chardev socket,path=PATH,server=on for the guest's agent? a"
                      + " simulated one: qmp4j serve --guest-agent "
                      + a
                      + ")"
                  : " (is QEMU's -chardev socket,host=...,port=...,server=on for the guest's agent"
                      + " there?)"));
    }
  }

  static Failure connectFailure(String command, QmpAddress address, RuntimeException e) {
    String what = address.toString();
    String message = e.getMessage();
    return new Failure(
        Main.EXIT_USAGE,
        "qmp4j " + command + ": cannot talk QMP to " + what + ": " + message + hint(address, e));
  }

  private static String hint(QmpAddress address, RuntimeException e) {
    String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
    if ((m.contains("refused") || m.contains("no such file")) && m.contains("is qemu running")) {
      // The transport already asked whether QEMU is running there.
      return address instanceof QmpAddress.Unix
          ? " (or serve a simulated machine there: qmp4j serve --qmp " + address + ")"
          : "";
    }
    if (m.contains("refused") || m.contains("no such file")) {
      return address instanceof QmpAddress.Unix
          ? " (is QEMU running with -qmp unix:PATH,server=on,wait=off? try: qmp4j serve --qmp "
              + address
              + ")"
          : " (is QEMU running with -qmp tcp:HOST:PORT,server=on,wait=off?)";
    }
    if (m.contains("greeting")) {
      return " (a QEMU monitor serves one client at a time: is another client connected to it?)";
    }
    return "";
  }
}
