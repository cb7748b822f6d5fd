package org.qmp4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;
import org.qmp4j.schema.QapiSchema;
import org.qmp4j.schema.SchemaCommand;
import org.qmp4j.schema.SchemaType;

/**
 * Tab completion from the connected server's schema: command names first, then argument names
 * ({@code key=}, {@code key.} for nested objects, including the members of a union's branch once
 * its tag is given) and values of enums and booleans; values that name something on the server
 * (device ids, block devices, node names, job ids) from the server itself (see {@link LiveIds}).
 */
final class SchemaCompleter implements Completer {

  /** Words the shell itself understands, completed as the first word. */
  static final List<String> SHELL_WORDS =
      List.of("quit", "exit", "help", "!help", "!hmp", "!args", "!pretty", "!verbose");

  private final Supplier<QapiSchema> schema;
  private final Supplier<List<String>> fallbackCommands;
  private final Supplier<Boolean> hmp;
  private final Function<IdKind, List<String>> ids;

  /** What kind of name an argument's value is, for completing values from the live server. */
  enum IdKind {
    /** A block backend's name ({@code query-block}'s {@code device}). */
    BLOCK_DEVICE,
    /** The id of a block device's guest device ({@code query-block}'s {@code qdev}). */
    BLOCK_QDEV,
    /** A block node's name ({@code query-named-block-nodes}). */
    NODE,
    /** A block backend or a block node: both of the above. */
    DEVICE_OR_NODE,
    /** A device added with an id ({@code qom-list /machine/peripheral}). */
    PERIPHERAL,
    /** A job's id ({@code query-jobs}). */
    JOB,
    /** A user-created object's id ({@code qom-list /objects}). */
    OBJECT
  }

  /**
   * @param schema the schema, or {@code null} while it is not there (yet)
   * @param fallbackCommands command names when there is no schema (from {@code query-commands})
   * @param hmp whether the shell is in HMP mode (nothing is completed there)
   */
  SchemaCompleter(
      Supplier<QapiSchema> schema, Supplier<List<String>> fallbackCommands, Supplier<Boolean> hmp) {
    this(schema, fallbackCommands, hmp, kind -> List.of());
  }

  /**
   * @param schema the schema, or {@code null} while it is not there (yet)
   * @param fallbackCommands command names when there is no schema (from {@code query-commands})
   * @param hmp whether the shell is in HMP mode (HMP command names are completed there)
   * @param ids the names of a kind the server has now (device ids, node names, job ids), for
   *     completing values; see {@link LiveIds}
   */
  SchemaCompleter(
      Supplier<QapiSchema> schema,
      Supplier<List<String>> fallbackCommands,
      Supplier<Boolean> hmp,
      Function<IdKind, List<String>> ids) {
    this.schema = schema;
    this.fallbackCommands = fallbackCommands;
    this.hmp = hmp;
    this.ids = ids;
  }

  @Override
  public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
    if (hmp.get()) {
      candidates.addAll(completeHmp(line.words(), line.wordIndex()));
      return;
    }
    candidates.addAll(complete(line.words(), line.wordIndex(), line.word()));
  }

  /**
   * HMP mode: the first word from the server's {@code help}, the word after {@code info} from its
   * {@code help info}.
   */
  List<Candidate> completeHmp(List<String> words, int index) {
    List<Candidate> out = new ArrayList<>();
    if (!(ids instanceof LiveIds live)) {
      return out;
    }
    if (index == 0) {
      for (String name : live.hmpCommands("help", false)) {
        out.add(new Candidate(name));
      }
      for (String w : SHELL_WORDS) {
        out.add(new Candidate(w));
      }
    } else if (index == 1 && !words.isEmpty() && words.get(0).equals("info")) {
      for (String name : live.hmpCommands("help info", true)) {
        out.add(new Candidate(name));
      }
    }
    return out;
  }

  /** The candidates for word {@code index} (being {@code word}) of {@code words}. */
  List<Candidate> complete(List<String> words, int index, String word) {
    List<Candidate> out = new ArrayList<>();
    QapiSchema s = schema.get();
    if (index == 0) {
      if (s != null) {
        for (SchemaCommand c : s.commands()) {
          if (!c.name().startsWith("x-") || word.startsWith("x-")) {
            out.add(new Candidate(c.name(), c.name(), null, null, null, null, true));
          }
        }
      } else {
        for (String name : fallbackCommands.get()) {
          out.add(new Candidate(name));
        }
      }
      for (String w : SHELL_WORDS) {
        out.add(new Candidate(w));
      }
      return out;
    }
    if (s == null || words.isEmpty()) {
      return out;
    }
    String command = words.get(0);
    if (command.equals("!args") && index == 1) {
      return complete(words, 0, word);
    }
    Optional<SchemaCommand> c = s.command(command);
    if (c.isEmpty()) {
      return out;
    }
    Map<String, String> given = new LinkedHashMap<>();
    for (int i = 1; i < words.size(); i++) {
      String w = words.get(i);
      int eq = w.indexOf('=');
      if (i != index && eq > 0) {
        given.put(w.substring(0, eq), unquote(w.substring(eq + 1)));
      }
    }
    int eq = word.indexOf('=');
    String key = eq < 0 ? word : word.substring(0, eq);
    int dot = key.lastIndexOf('.');
    String parentPath = dot < 0 ? "" : key.substring(0, dot);
    SchemaType.ObjectType parent = objectAt(s, c.get().argType(), parentPath, given);
    if (parent == null) {
      return out;
    }
    String prefix = dot < 0 ? "" : parentPath + ".";
    if (eq < 0) {
      for (SchemaType.Member m : members(s, parent, given, prefix)) {
        if (given.containsKey(prefix + m.name())) {
          continue;
        }
        SchemaType t = resolve(s, m.type());
        String descr = describe(s, m.type()) + (m.optional() ? "" : ", required");
        out.add(new Candidate(prefix + m.name() + "=", m.name(), null, descr, null, null, false));
        if (asObject(s, t) != null) {
          out.add(
              new Candidate(
                  prefix + m.name() + ".", m.name() + ".", null, descr, null, null, false));
        }
      }
      return out;
    }
    SchemaType.Member m = member(s, parent, given, prefix, key.substring(dot + 1));
    if (m == null) {
      return out;
    }
    List<String> values = values(s, m.type());
    IdKind kind =
        dot < 0 && values.isEmpty() && takesString(s, m.type()) ? idKind(command, key) : null;
    if (kind != null) {
      values = ids.apply(kind);
    }
    for (String v : values) {
      out.add(new Candidate(key + "=" + v, v, null, null, null, null, true));
    }
    return out;
  }

  /** Commands whose {@code device} and {@code id} name a drive with removable media. */
  private static final java.util.Set<String> MEDIA_COMMANDS =
      java.util.Set.of(
          "eject",
          "blockdev-open-tray",
          "blockdev-close-tray",
          "blockdev-change-medium",
          "blockdev-remove-medium",
          "blockdev-insert-medium",
          "block_set_io_throttle");

  /** Commands whose {@code node-name} is a new name (nothing to complete). */
  private static final java.util.Set<String> NEW_NODE_NAME =
      java.util.Set.of("blockdev-add", "blockdev-reopen", "blockdev-snapshot-sync");

  /** Top-level arguments whose value names a block node wherever they appear. */
  private static final java.util.Set<String> NODE_ARGS =
      java.util.Set.of(
          "node",
          "node-name",
          "base-node",
          "top-node",
          "overlay",
          "parent",
          "child",
          "bitmap-node");

  /**
   * What kind of name argument {@code arg} of {@code command} takes, or null if it is not a name of
   * something the server has (or is a new name).
   */
  static IdKind idKind(String command, String arg) {
    if (command.startsWith("job-") && arg.equals("id")) {
      return IdKind.JOB;
    }
    if (command.startsWith("block-job-") && arg.equals("device")) {
      return IdKind.JOB;
    }
    if (MEDIA_COMMANDS.contains(command)) {
      return switch (arg) {
        case "id" -> IdKind.BLOCK_QDEV;
        case "device" -> IdKind.BLOCK_DEVICE;
        default -> null;
      };
    }
    if (command.equals("device_del") && arg.equals("id")) {
      return IdKind.PERIPHERAL;
    }
    if (command.equals("set_link") && arg.equals("name")) {
      return IdKind.PERIPHERAL;
    }
    if (command.equals("object-del") && arg.equals("id")) {
      return IdKind.OBJECT;
    }
    if (command.equals("blockdev-del") && arg.equals("node-name")) {
      return IdKind.NODE;
    }
    if (NODE_ARGS.contains(arg) && !NEW_NODE_NAME.contains(command)) {
      return IdKind.NODE;
    }
    if ((command.equals("blockdev-backup") || command.equals("blockdev-mirror"))
        && (arg.equals("device") || arg.equals("target"))) {
      return IdKind.DEVICE_OR_NODE;
    }
    if (arg.equals("device")
        && (command.startsWith("block") || command.startsWith("drive-"))
        && !command.equals("blockdev-add")) {
      return IdKind.DEVICE_OR_NODE;
    }
    return null;
  }

  /** Whether a value of type {@code typeName} may be a string. */
  private static boolean takesString(QapiSchema s, String typeName) {
    SchemaType t = resolve(s, typeName);
    if (t instanceof SchemaType.BuiltinType b) {
      return b.jsonType().equals("string");
    }
    if (t instanceof SchemaType.AlternateType a) {
      for (String branch : a.types()) {
        if (takesString(s, branch)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The names the server has now, fetched when completion first needs them and kept for a few
   * seconds, so TAB pressed again does not ask again but a device added a minute ago is offered. A
   * query the server does not have, or that fails or takes more than a second, gives no names.
   */
  static final class LiveIds implements Function<IdKind, List<String>> {

    private final Function<String[], CompletableFuture<JsonNode>> query;
    private final long ttlNanos;
    private final long waitNanos;
    private final java.util.Map<String, Cached> cache = new java.util.HashMap<>();

    /** A reply, or a query under way ({@code at} is when it was asked). */
    private record Cached(long at, CompletableFuture<JsonNode> reply) {}

    /**
     * @param query sends a command, {@code [name]} or {@code [name, argument, value]} (one string
     *     argument), and returns its return value to come
     * @param ttl how long a reply is used
     * @param wait how long TAB waits for a reply; one that comes later is kept for the next TAB
     */
    LiveIds(
        Function<String[], CompletableFuture<JsonNode>> query,
        java.time.Duration ttl,
        java.time.Duration wait) {
      this.query = query;
      this.ttlNanos = ttl.toNanos();
      this.waitNanos = wait.toNanos();
    }

    @Override
    public synchronized List<String> apply(IdKind kind) {
      java.util.Set<String> names = new java.util.TreeSet<>();
      switch (kind) {
        case BLOCK_DEVICE -> field(ask("query-block"), "device", names);
        case BLOCK_QDEV -> {
          for (JsonNode d : ask("query-block")) {
            String qdev = d.path("qdev").asText("");
            if (!qdev.isEmpty()) {
              names.add(VmInfoCommand.deviceId(qdev));
            }
          }
        }
        case NODE -> field(ask("query-named-block-nodes"), "node-name", names);
        case DEVICE_OR_NODE -> {
          field(ask("query-block"), "device", names);
          field(ask("query-named-block-nodes"), "node-name", names);
        }
        case PERIPHERAL -> children(ask("qom-list", "path", "/machine/peripheral"), names);
        case OBJECT -> children(ask("qom-list", "path", "/objects"), names);
        case JOB -> field(ask("query-jobs"), "id", names);
      }
      names.remove("");
      return List.copyOf(names);
    }

    /**
     * HMP command names from the server's {@code help} text ({@code NAME|ALIAS args -- what}), or
     * with {@code info}, the words after {@code info} in the lines of {@code help info}.
     */
    synchronized List<String> hmpCommands(String help, boolean info) {
      JsonNode text = ask("human-monitor-command", "command-line", help);
      java.util.Set<String> names = new java.util.TreeSet<>();
      if (text.isTextual()) {
        for (String line : text.asText().split("\r?\n")) {
          if (line.isEmpty() || Character.isWhitespace(line.charAt(0))) {
            continue;
          }
          String[] w = line.split("\\s+");
          if (info) {
            if (w.length > 1 && w[0].equals("info") && !w[1].equals("--")) {
              names.add(w[1]);
            }
          } else if (!w[0].equals("--")) {
            names.addAll(List.of(w[0].split("\\|")));
          }
        }
      }
      names.remove("");
      return List.copyOf(names);
    }

    /**
     * The reply to a query: from the cache while it is fresh, else asked again; an empty array if
     * it failed or has not come within the wait.
     */
    private JsonNode ask(String... q) {
      String key = String.join(" ", q);
      long now = System.nanoTime();
      Cached c = cache.get(key);
      boolean fresh =
          c != null
              && (!c.reply().isDone() || now - c.at() < ttlNanos)
              && !c.reply().isCompletedExceptionally();
      if (!fresh) {
        CompletableFuture<JsonNode> f;
        try {
          f = query.apply(q);
        } catch (RuntimeException e) {
          f = CompletableFuture.failedFuture(e);
        }
        c = new Cached(now, f);
        cache.put(key, c);
      }
      JsonNode reply = null;
      try {
        reply = c.reply().get(waitNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (java.util.concurrent.ExecutionException
          | java.util.concurrent.TimeoutException
          | java.util.concurrent.CancellationException e) {
        // Nothing to offer now: completion must never get in the way.
      }
      if (reply == null || !(reply.isArray() || reply.isTextual())) {
        return org.qmp4j.protocol.QmpJson.arrayNode();
      }
      return reply;
    }

    private static void field(JsonNode array, String key, java.util.Set<String> into) {
      for (JsonNode e : array) {
        if (e.hasNonNull(key)) {
          into.add(e.get(key).asText());
        }
      }
    }

    private static void children(JsonNode properties, java.util.Set<String> into) {
      for (JsonNode p : properties) {
        if (p.path("type").asText().startsWith("child<")) {
          into.add(p.path("name").asText());
        }
      }
    }
  }

  /** The argument names of {@code command}, with their types, for {@code !args}. */
  static List<String> describeArguments(QapiSchema s, String command) {
    List<String> lines = new ArrayList<>();
    Optional<SchemaCommand> c = s.command(command);
    if (c.isEmpty()) {
      return lines;
    }
    SchemaType.ObjectType args = asObject(s, resolve(s, c.get().argType()));
    if (args != null) {
      describeMembers(s, args, "", lines, 0);
    }
    return lines;
  }

  private static void describeMembers(
      QapiSchema s, SchemaType.ObjectType type, String prefix, List<String> lines, int depth) {
    for (SchemaType.Member m : type.members()) {
      StringBuilder line = new StringBuilder("  ").append(prefix).append(m.name());
      line.append(m.optional() ? " (optional) " : " ").append(describe(s, m.type()));
      List<String> values = values(s, m.type());
      if (!values.isEmpty() && !describe(s, m.type()).equals("bool")) {
        line.append(": ").append(String.join(", ", values));
      }
      lines.add(line.toString());
      SchemaType.ObjectType nested = asObject(s, resolve(s, m.type()));
      if (nested != null && depth < 2 && nested.tag() == null) {
        describeMembers(s, nested, prefix + m.name() + ".", lines, depth + 1);
      }
    }
    if (type.tag() != null && !type.variants().isEmpty()) {
      lines.add(
          "  ... and the members of the branch that "
              + prefix
              + type.tag()
              + " selects (TAB shows them once it is given)");
    }
  }

  private static String unquote(String v) {
    if (v.length() >= 2
        && (v.startsWith("\"") || v.startsWith("'"))
        && v.endsWith(v.substring(0, 1))) {
      return v.substring(1, v.length() - 1);
    }
    return v;
  }

  /** The object type at {@code path} (dotted, may be empty) below {@code typeName}. */
  private static SchemaType.ObjectType objectAt(
      QapiSchema s, String typeName, String path, Map<String, String> given) {
    SchemaType.ObjectType current = asObject(s, resolve(s, typeName));
    if (path.isEmpty() || current == null) {
      return current;
    }
    String prefix = "";
    for (String part : path.split("\\.")) {
      SchemaType.Member m = member(s, current, given, prefix, part);
      if (m == null) {
        return null;
      }
      current = asObject(s, resolve(s, m.type()));
      if (current == null) {
        return null;
      }
      prefix = prefix + part + ".";
    }
    return current;
  }

  /** The members of {@code type}, plus those of the union branch its (given) tag selects. */
  private static List<SchemaType.Member> members(
      QapiSchema s, SchemaType.ObjectType type, Map<String, String> given, String prefix) {
    List<SchemaType.Member> all = new ArrayList<>(type.members());
    if (type.tag() != null) {
      String tagValue = given.get(prefix + type.tag());
      if (tagValue != null) {
        SchemaType.Variant v = type.variant(tagValue);
        if (v != null) {
          SchemaType.ObjectType branch = asObject(s, resolve(s, v.type()));
          if (branch != null) {
            for (SchemaType.Member m : branch.members()) {
              if (type.member(m.name()) == null) {
                all.add(m);
              }
            }
          }
        }
      }
    }
    return all;
  }

  private static SchemaType.Member member(
      QapiSchema s,
      SchemaType.ObjectType type,
      Map<String, String> given,
      String prefix,
      String name) {
    for (SchemaType.Member m : members(s, type, given, prefix)) {
      if (m.name().equals(name)) {
        return m;
      }
    }
    return null;
  }

  private static SchemaType resolve(QapiSchema s, String typeName) {
    return s.type(typeName).orElse(null);
  }

  /** The object type of {@code t}, or of its object branch if it is an alternate. */
  private static SchemaType.ObjectType asObject(QapiSchema s, SchemaType t) {
    if (t instanceof SchemaType.ObjectType o) {
      return o;
    }
    if (t instanceof SchemaType.AlternateType a) {
      for (String branch : a.types()) {
        if (resolve(s, branch) instanceof SchemaType.ObjectType o) {
          return o;
        }
      }
    }
    return null;
  }

  /** The values worth completing for a member of type {@code typeName}. */
  private static List<String> values(QapiSchema s, String typeName) {
    SchemaType t = resolve(s, typeName);
    List<String> values = new ArrayList<>();
    if (t instanceof SchemaType.EnumType e) {
      e.values().forEach(v -> values.add(v.name()));
    } else if (t instanceof SchemaType.BuiltinType b && b.jsonType().equals("boolean")) {
      values.add("true");
      values.add("false");
    } else if (t instanceof SchemaType.AlternateType a) {
      for (String branch : a.types()) {
        values.addAll(values(s, branch));
      }
    }
    return values;
  }

  /** A short, readable description of a type (the schema's own names are masked numbers). */
  static String describe(QapiSchema s, String typeName) {
    SchemaType t = resolve(s, typeName);
    if (t == null) {
      return typeName;
    }
    if (t instanceof SchemaType.BuiltinType b) {
      return switch (b.jsonType()) {
        case "string" -> "str";
        case "boolean" -> "bool";
        case "value" -> "any";
        default -> b.jsonType();
      };
    }
    if (t instanceof SchemaType.EnumType) {
      return "enum";
    }
    if (t instanceof SchemaType.ArrayType a) {
      return "list of " + describe(s, a.elementType());
    }
    if (t instanceof SchemaType.AlternateType a) {
      List<String> names = new ArrayList<>();
      for (String branch : a.types()) {
        names.add(describe(s, branch));
      }
      return String.join(" or ", names);
    }
    return "object";
  }
}
