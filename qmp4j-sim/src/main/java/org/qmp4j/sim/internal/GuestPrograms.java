package org.qmp4j.sim.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The programs of the simulated guest, run by {@code guest-exec} in a sandbox: nothing runs on the
 * host. {@code echo}, {@code cat}, {@code true}, {@code false}, {@code sleep}, {@code hostname},
 * {@code uname}, {@code ls}, {@code env} and {@code sh}/{@code bash} (a script of simple commands
 * separated by {@code ;}, with {@code exit N}, {@code kill -N $$}, {@code >&2}, {@code > FILE} and
 * {@code >> FILE}). The caller synchronises on the file system.
 */
final class GuestPrograms {
  private GuestPrograms() {}

  static final Set<String> NAMES =
      Set.of(
          "echo", "cat", "true", "false", "sleep", "hostname", "uname", "ls", "env", "sh", "bash");

  private static final Set<String> BIN_DIRS =
      Set.of("/bin", "/usr/bin", "/sbin", "/usr/sbin", "/usr/local/bin");

  /** How long a program that does not sleep takes: long enough to be seen running once. */
  static final Duration INSTANT = Duration.ofMillis(5);

  /** What a finished program left: an exit code or a signal, its output, how long it ran. */
  record Outcome(Integer exitCode, Integer signal, byte[] out, byte[] err, Duration runtime) {}

  /** What a program sees. */
  record Context(
      GuestFileSystem files, String hostName, List<String> env, long pid, byte[] stdin) {}

  /** The built-in program {@code path} names, or {@code null} (then exec fails with ENOENT). */
  static String resolve(String path) {
    int slash = path.lastIndexOf('/');
    if (slash < 0) {
      return NAMES.contains(path) ? path : null;
    }
    String dir = slash == 0 ? "/" : path.substring(0, slash);
    String name = path.substring(slash + 1);
    return BIN_DIRS.contains(dir) && NAMES.contains(name) ? name : null;
  }

  static Outcome run(String program, List<String> args, Context ctx) {
    Streams s = new Streams();
    Duration[] runtime = {INSTANT};
    int status;
    try {
      status = run(program, args, ctx, s, runtime);
    } catch (Killed k) {
      return new Outcome(null, k.signal, s.out.toByteArray(), s.err.toByteArray(), INSTANT);
    }
    return new Outcome(status, null, s.out.toByteArray(), s.err.toByteArray(), runtime[0]);
  }

  private static final class Streams {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
  }

  private static final class Killed extends RuntimeException {
    final int signal;

    Killed(int signal) {
      super(null, null, false, false);
      this.signal = signal;
    }
  }

  private static void print(ByteArrayOutputStream s, String text) {
    s.writeBytes(text.getBytes(StandardCharsets.UTF_8));
  }

  private static int run(
      String program, List<String> args, Context ctx, Streams s, Duration[] runtime) {
    switch (program) {
      case "true":
        return 0;
      case "false":
        return 1;
      case "echo":
        {
          boolean newline = true;
          List<String> words = args;
          if (!words.isEmpty() && words.get(0).equals("-n")) {
            newline = false;
            words = words.subList(1, words.size());
          }
          print(s.out, String.join(" ", words) + (newline ? "\n" : ""));
          return 0;
        }
      case "cat":
        {
          if (args.isEmpty()) {
            s.out.writeBytes(ctx.stdin());
            return 0;
          }
          int status = 0;
          for (String f : args) {
            if (f.equals("-")) {
              s.out.writeBytes(ctx.stdin());
              continue;
            }
            try {
              s.out.writeBytes(ctx.files().read(f));
            } catch (GuestFileSystem.Errno e) {
              print(s.err, "cat: " + f + ": " + e.getMessage() + "\n");
              status = 1;
            }
          }
          return status;
        }
      case "ls":
        {
          List<String> paths = args.isEmpty() ? List.of("/") : args;
          int status = 0;
          for (String p : paths) {
            try {
              s.out.writeBytes(ctx.files().list(p));
            } catch (GuestFileSystem.Errno e) {
              print(s.err, "ls: cannot access '" + p + "': " + e.getMessage() + "\n");
              status = 2;
            }
          }
          return status;
        }
      case "sleep":
        {
          if (args.isEmpty()) {
            print(s.err, "sleep: missing operand\nTry 'sleep --help' for more information.\n");
            return 1;
          }
          double seconds = 0;
          for (String a : args) {
            try {
              seconds += Double.parseDouble(a);
            } catch (NumberFormatException e) {
              print(
                  s.err,
                  "sleep: invalid time interval \u2018"
                      + a
                      + "\u2019\nTry 'sleep --help' for more information.\n");
              return 1;
            }
          }
          runtime[0] = Duration.ofNanos((long) (Math.max(0, seconds) * 1e9)).plus(INSTANT);
          return 0;
        }
      case "hostname":
        print(s.out, ctx.hostName() + "\n");
        return 0;
      case "uname":
        {
          String flag = args.isEmpty() ? "-s" : args.get(0);
          String text =
              switch (flag) {
                case "-a" ->
                    "Linux "
                        + ctx.hostName()
                        + " "
                        + GuestAgent.KERNEL_RELEASE
                        + " "
                        + GuestAgent.KERNEL_VERSION
                        + " x86_64 GNU/Linux";
                case "-r" -> GuestAgent.KERNEL_RELEASE;
                case "-n" -> ctx.hostName();
                case "-m" -> "x86_64";
                case "-v" -> GuestAgent.KERNEL_VERSION;
                default -> "Linux";
              };
          print(s.out, text + "\n");
          return 0;
        }
      case "env":
        for (String e : ctx.env()) {
          print(s.out, e + "\n");
        }
        return 0;
      case "sh":
      case "bash":
        return shell(program, args, ctx, s, runtime);
      default:
        throw new IllegalStateException(program);
    }
  }

  // -----------------------------------------------------------------------------------------------
  // A very small shell

  private static int shell(
      String name, List<String> args, Context ctx, Streams s, Duration[] runtime) {
    String script;
    if (args.isEmpty()) {
      script = new String(ctx.stdin(), StandardCharsets.UTF_8);
    } else if (args.get(0).equals("-c")) {
      if (args.size() < 2) {
        print(s.err, name + ": 0: -c requires an argument\n");
        return 2;
      }
      script = args.get(1);
    } else {
      try {
        script = new String(ctx.files().read(args.get(0)), StandardCharsets.UTF_8);
      } catch (GuestFileSystem.Errno e) {
        print(s.err, name + ": 0: cannot open " + args.get(0) + ": " + e.getMessage() + "\n");
        return 2;
      }
    }
    int status = 0;
    Duration total = Duration.ZERO;
    int line = 1;
    for (String rawLine : script.split("\n", -1)) {
      for (String command : rawLine.split(";")) {
        List<String> words = words(command.replace("$$", Long.toString(ctx.pid())));
        if (words.isEmpty()) {
          continue;
        }
        ByteArrayOutputStream target = s.out;
        String redirectFile = null;
        boolean appendFile = false;
        List<String> plain = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
          String w = words.get(i);
          if (w.equals(">&2") || w.equals("1>&2")) {
            target = s.err;
          } else if ((w.equals(">") || w.equals(">>")) && i + 1 < words.size()) {
            redirectFile = words.get(++i);
            appendFile = w.equals(">>");
          } else if (w.startsWith(">>") && w.length() > 2) {
            redirectFile = w.substring(2);
            appendFile = true;
          } else if (w.startsWith(">") && w.length() > 1 && !w.startsWith(">&")) {
            redirectFile = w.substring(1);
          } else if (!w.equals("2>&1")) {
            plain.add(w);
          }
        }
        if (plain.isEmpty()) {
          continue;
        }
        String cmd = plain.get(0);
        List<String> rest = plain.subList(1, plain.size());
        if (cmd.equals("exit")) {
          return rest.isEmpty() ? status : parseInt(rest.get(0), 2) & 0xff;
        }
        if (cmd.equals("kill") && rest.size() == 2 && rest.get(0).startsWith("-")) {
          int signal = signal(rest.get(0).substring(1));
          if (signal > 0 && rest.get(1).equals(Long.toString(ctx.pid()))) {
            throw new Killed(signal);
          }
        }
        String program = resolve(cmd);
        if (program == null) {
          print(s.err, name + ": " + line + ": " + cmd + ": not found\n");
          status = 127;
          continue;
        }
        Streams sub = new Streams();
        Duration[] t = {Duration.ZERO};
        status =
            run(
                program,
                List.copyOf(rest),
                new Context(ctx.files(), ctx.hostName(), ctx.env(), ctx.pid(), new byte[0]),
                sub,
                t);
        total = total.plus(t[0].equals(INSTANT) ? Duration.ZERO : t[0]);
        byte[] out = sub.out.toByteArray();
        if (redirectFile != null) {
          try {
            byte[] before =
                appendFile && ctx.files().exists(redirectFile)
                    ? ctx.files().read(redirectFile)
                    : new byte[0];
            byte[] all = new byte[before.length + out.length];
            System.arraycopy(before, 0, all, 0, before.length);
            System.arraycopy(out, 0, all, before.length, out.length);
            ctx.files().put(redirectFile, all);
          } catch (GuestFileSystem.Errno | IllegalArgumentException e) {
            print(s.err, name + ": " + line + ": cannot create " + redirectFile + "\n");
            status = 2;
          }
        } else {
          target.writeBytes(out);
        }
        s.err.writeBytes(sub.err.toByteArray());
      }
      line++;
    }
    runtime[0] = total.plus(INSTANT);
    return status;
  }

  private static int parseInt(String s, int otherwise) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return otherwise;
    }
  }

  private static int signal(String s) {
    return switch (s) {
      case "HUP" -> 1;
      case "INT" -> 2;
      case "KILL" -> 9;
      case "TERM" -> 15;
      default -> parseInt(s, -1);
    };
  }

  /** Splits a command into words: blanks separate, '...' and "..." quote. */
  static List<String> words(String command) {
    List<String> words = new ArrayList<>();
    StringBuilder w = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < command.length(); i++) {
      char c = command.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          w.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (c == ' ' || c == '\t') {
        if (inWord) {
          words.add(w.toString());
          w.setLength(0);
          inWord = false;
        }
      } else {
        w.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(w.toString());
    }
    return words;
  }
}
