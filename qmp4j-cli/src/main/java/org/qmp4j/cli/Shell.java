package org.qmp4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;
import org.qmp4j.client.EventSubscription;
import org.qmp4j.client.QmpClient;
import org.qmp4j.protocol.QmpCommunicationException;
import org.qmp4j.protocol.QmpErrorException;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.schema.QapiSchema;

/** The read-execute-print loop of {@code qmp4j shell}, on a JLine terminal. */
final class Shell {

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

  static final String HELP =
      String.join(
          "\n",
          "Type a QMP command and its arguments:",
          "  query-status",
          "  eject id=cd0dev force=true          key=value; numbers, true/false typed as JSON",
          "  blockdev-add driver=null-co node-name=n0 size=1048576",
          "  set-action panic=pause a.b=1         dotted keys build nested objects",
          "  x files=[\"a\", \"b\"] opts={\"x\": 1}    [ and { start JSON values; \"1\" is a string",
          "  {\"execute\": \"query-name\"}            a line starting with { is sent as it is",
          "  transaction(                          then one action per line, and ) to send",
          "TAB completes commands, argument names and enum values from the server's schema,",
          "device ids, node names and job ids from the server, and HMP commands in HMP mode.",
          "Shell commands:",
          "  !hmp              switch to HMP (human monitor) mode and back; -H starts there",
          "  !hmp info block   one HMP command",
          "  !args COMMAND     the arguments COMMAND takes, with their types",
          "  !pretty           pretty or compact output;  !verbose  show the JSON sent",
          "  quit, exit, Ctrl-D  leave the shell (the machine keeps running; to stop it send",
          "                      {\"execute\": \"quit\"})",
          "Events are printed as they arrive. Ctrl-C cancels a command that takes long.");

  private final QmpClient client;
  private final Terminal terminal;
  private final Path historyFile;
  private final String banner;
  private boolean hmp;
  private boolean pretty;
  private boolean verbose;
  private LineReader reader;
  private boolean interactive = true;
  private volatile boolean closed;
  private volatile boolean leaving;
  private final AtomicReference<CompletableFuture<?>> running = new AtomicReference<>();

  Shell(
      QmpClient client,
      Terminal terminal,
      Path historyFile,
      String banner,
      boolean hmp,
      boolean pretty,
      boolean verbose) {
    this.client = client;
    this.terminal = terminal;
    this.historyFile = historyFile;
    this.banner = banner;
    this.hmp = hmp;
    this.pretty = pretty;
    this.verbose = verbose;
  }

  /** Whether a person types: prompts are shown; false: none (input piped in). */
  Shell interactive(boolean interactive) {
    this.interactive = interactive;
    return this;
  }

  /** Runs until Ctrl-D, quit or exit, or until the connection goes; returns the exit status. */
  int run() {
    CompletableFuture<QapiSchema> schema = client.schemaAsync();
    CompletableFuture<List<String>> commandNames = new CompletableFuture<>();
    schema.whenComplete(
        (s, e) -> {
          if (e == null) {
            commandNames.complete(List.of());
          } else {
            client
                .executeAsync("query-commands")
                .whenComplete(
                    (r, e2) -> {
                      List<String> names = new ArrayList<>();
                      if (r != null) {
                        r.forEach(c -> names.add(c.path("name").asText()));
                      }
                      commandNames.complete(names);
                    });
          }
        });
    DefaultParser parser = new DefaultParser();
    parser.setEscapeChars(new char[0]);
    reader =
        LineReaderBuilder.builder()
            .terminal(terminal)
            .appName("qmp4j")
            .parser(parser)
            .completer(
                new SchemaCompleter(
                    // TAB pressed before the schema came waits for it a little.
                    () -> soon(schema, null),
                    () -> soon(commandNames, List.of()),
                    () -> hmp,
                    new SchemaCompleter.LiveIds(
                        this::query,
                        java.time.Duration.ofSeconds(3),
                        java.time.Duration.ofSeconds(2))))
            .variable(LineReader.HISTORY_FILE, historyFile)
            .variable(LineReader.HISTORY_SIZE, 5000)
            .variable(LineReader.HISTORY_FILE_SIZE, 5000)
            .build();
    reader.setOpt(LineReader.Option.DISABLE_EVENT_EXPANSION);
    reader.unsetOpt(LineReader.Option.INSERT_TAB);
    terminal.handle(
        Terminal.Signal.INT,
        sig -> {
          CompletableFuture<?> f = running.get();
          if (f != null) {
            f.cancel(false);
          }
        });
    if (banner != null) {
      print(banner);
    }
    EventSubscription events = client.subscribe(this::onEvent);
    // The subscription ends when the connection does: say so at once, not at the next command.
    events
        .closeFuture()
        .whenComplete(
            (v, e) -> {
              if (client.state() == org.qmp4j.client.ConnectionState.CLOSED && !leaving) {
                closed = true;
                print("the server closed the connection; leaving the shell");
                terminal.raise(Terminal.Signal.INT);
              }
            });
    try {
      List<String> transaction = null;
      while (true) {
        String line;
        try {
          line =
              reader.readLine(
                  !interactive ? "" : transaction != null ? "...> " : hmp ? "(hmp) " : "(qmp) ");
        } catch (UserInterruptException e) {
          if (closed) {
            return Main.EXIT_FAILURE;
          }
          if (transaction != null) {
            print("transaction abandoned");
            transaction = null;
          }
          continue;
        } catch (EndOfFileException e) {
          return Main.EXIT_OK;
        }
        String text = line.strip();
        if (transaction != null) {
          if (text.equals(")")) {
            List<String> actions = transaction;
            transaction = null;
            if (!step(() -> sendTransaction(actions))) {
              return Main.EXIT_FAILURE;
            }
          } else if (!text.isEmpty()) {
            transaction.add(text);
          }
          continue;
        }
        if (text.isEmpty()) {
          continue;
        }
        if (text.equals("quit") || text.equals("exit")) {
          return Main.EXIT_OK;
        }
        if (!hmp && (text.equals("transaction(") || text.equals("transaction ("))) {
          transaction = new ArrayList<>();
          continue;
        }
        if (!step(() -> handle(text))) {
          return Main.EXIT_FAILURE;
        }
      }
    } finally {
      leaving = true;
      events.close();
      try {
        reader.getHistory().save();
      } catch (java.io.IOException e) {
        // History is a convenience: losing it is no reason to fail.
      }
    }
  }

  /** Runs one step; false when the connection is gone and the shell must end. */
  private boolean step(Runnable action) {
    try {
      action.run();
    } catch (ArgumentSyntax.SyntaxException e) {
      print("error: " + e.getMessage());
    } catch (QmpErrorException e) {
      print(Cli.describe(e));
    } catch (CancellationException e) {
      print("cancelled (QMP cannot recall a command: it may still run)");
    } catch (QmpCommunicationException e) {
      print("error: " + e.getMessage());
      if (client.state() == org.qmp4j.client.ConnectionState.CLOSED) {
        print("the connection is closed; leaving the shell");
        return false;
      }
    }
    return true;
  }

  private void handle(String text) {
    if (text.equals("help") || text.equals("!help") || text.equals("?")) {
      print(HELP);
      return;
    }
    if (text.startsWith("!")) {
      meta(text.substring(1).strip());
      return;
    }
    if (hmp) {
      hmpCommand(text);
      return;
    }
    ObjectNode request;
    if (text.startsWith("{")) {
      JsonNode json = ArgumentSyntax.json(text);
      if (!json.isObject()) {
        throw new ArgumentSyntax.SyntaxException("a request must be a JSON object: " + text);
      }
      request = (ObjectNode) json;
    } else {
      List<String> words = ArgumentSyntax.split(text);
      request = QmpJson.objectNode();
      request.put("execute", words.get(0));
      ObjectNode args = ArgumentSyntax.arguments(words.subList(1, words.size()));
      if (args != null) {
        request.set("arguments", args);
      }
    }
    send(request);
  }

  private void meta(String text) {
    List<String> words = ArgumentSyntax.split(text);
    String name = words.isEmpty() ? "" : words.get(0);
    switch (name) {
      case "hmp" -> {
        if (words.size() > 1) {
          hmpCommand(text.substring(3).strip());
        } else {
          hmp = !hmp;
          print(
              hmp
                  ? "HMP mode: commands go through human-monitor-command; !hmp goes back"
                  : "QMP mode");
        }
      }
      case "pretty" -> {
        pretty = !pretty;
        print(pretty ? "pretty output" : "compact output");
      }
      case "compact" -> {
        pretty = false;
        print("compact output");
      }
      case "verbose" -> {
        verbose = !verbose;
        print(verbose ? "verbose: the JSON sent is shown" : "verbose off");
      }
      case "args" -> {
        if (words.size() < 2) {
          throw new ArgumentSyntax.SyntaxException("!args COMMAND");
        }
        QapiSchema schema = await(client.schemaAsync());
        if (schema.command(words.get(1)).isEmpty()) {
          print("no command " + words.get(1) + " in the server's schema");
          return;
        }
        List<String> lines = SchemaCompleter.describeArguments(schema, words.get(1));
        print(lines.isEmpty() ? words.get(1) + " takes no arguments" : String.join("\n", lines));
      }
      default -> print("unknown shell command !" + name + "; !help lists them");
    }
  }

  private void hmpCommand(String commandLine) {
    ObjectNode request = QmpJson.objectNode();
    request.put("execute", "human-monitor-command");
    request.putObject("arguments").put("command-line", commandLine);
    JsonNode result = exchange(request);
    if (result != null) {
      String out = result.asText();
      if (!out.isEmpty()) {
        print(out.endsWith("\n") ? out.substring(0, out.length() - 1).replace("\r", "") : out);
      }
    }
  }

  private void sendTransaction(List<String> lines) {
    ArrayNode actions = QmpJson.arrayNode();
    for (String line : lines) {
      List<String> words =
          ArgumentSyntax.split(line.endsWith(",") ? line.substring(0, line.length() - 1) : line);
      ObjectNode action = actions.addObject();
      action.put("type", words.get(0));
      ObjectNode data = ArgumentSyntax.arguments(words.subList(1, words.size()));
      action.set("data", data != null ? data : QmpJson.objectNode());
    }
    ObjectNode request = QmpJson.objectNode();
    request.put("execute", "transaction");
    request.putObject("arguments").set("actions", actions);
    send(request);
  }

  private void send(ObjectNode request) {
    JsonNode result = exchange(request);
    if (result != null) {
      print(pretty ? Cli.json(result, true) : Cli.oneLine(result));
    }
  }

  /** Sends a request; prints an error reply and returns null, or returns the return value. */
  private JsonNode exchange(ObjectNode request) {
    if (verbose) {
      print("--> " + Cli.oneLine(request));
    }
    CompletableFuture<ObjectNode> f = client.executeRawAsync(request);
    ObjectNode reply = await(f);
    if (verbose) {
      print("<-- " + Cli.oneLine(reply));
    }
    JsonNode error = reply.get("error");
    if (error != null) {
      print(error.path("class").asText() + ": " + error.path("desc").asText());
      return null;
    }
    return reply.get("return");
  }

  private <T> T await(CompletableFuture<T> f) {
    running.set(f);
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException();
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(cause);
    } finally {
      running.set(null);
    }
  }

  /** The value of {@code f}, waiting up to 2 s; {@code otherwise} if it failed or is not there. */
  private static <T> T soon(CompletableFuture<T> f, T otherwise) {
    try {
      return f.get(2, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return otherwise;
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      return otherwise;
    }
  }

  /** For completion: sends {@code q[0]}, with {@code q[1]=q[2]} if given. */
  private CompletableFuture<JsonNode> query(String[] q) {
    return q.length == 1
        ? client.executeAsync(q[0])
        : client.executeAsync(q[0], QmpJson.objectNode().put(q[1], q[2]));
  }

  private void onEvent(QmpEvent e) {
    StringBuilder line = new StringBuilder();
    line.append(LocalTime.ofInstant(e.timestamp(), ZoneId.systemDefault()).format(TIME));
    if (EventSubscription.isMarker(e)) {
      line.append(" (").append(e.name()).append(")");
    } else {
      line.append(" event ").append(e.name());
    }
    if (e.data() != null && !e.data().isEmpty()) {
      line.append(' ').append(Cli.oneLine(e.data()));
    }
    print(line.toString());
  }

  /** Prints above the line being typed (or plainly when nothing is being read). */
  private void print(String text) {
    LineReader r = reader;
    if (r != null && r.isReading()) {
      r.printAbove(text);
    } else {
      terminal.writer().println(text);
      terminal.writer().flush();
    }
  }
}
