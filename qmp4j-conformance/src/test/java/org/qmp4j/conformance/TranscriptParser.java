package org.qmp4j.conformance;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.qmp4j.conformance.Transcript.Monitor;

/**
 * Reads transcripts in their text form (see {@code docs/conformance.md}): one directive per line,
 * {@code #} comments, cases between {@code case NAME} and {@code end}.
 */
final class TranscriptParser {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._/-]*");
  private static final Pattern SESSION = Pattern.compile("[a-z][a-z0-9]*");
  private static final Pattern ROW = Pattern.compile("[0-9]+(\\.[a-z0-9_-]+)?");
  private static final int MAX_REPEAT = 64 << 20;

  private final String file;
  private final List<Transcript> cases = new ArrayList<>();

  // the case being read
  private String name;
  private int caseLine;
  private List<String> rows;
  private boolean fresh;
  private String knownDivergence;
  private List<Transcript.Step> steps;
  private Map<String, Monitor> sessions; // session -> monitor while open
  private Set<String> used;
  private Set<String> fifos;

  private TranscriptParser(String file) {
    this.file = file;
  }

  /** Parses every case in {@code text}; {@code file} names it in error messages. */
  static List<Transcript> parse(String file, String text) {
    TranscriptParser p = new TranscriptParser(file);
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      try {
        p.line(i + 1, line);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + ":" + (i + 1) + ": " + e.getMessage(), e);
      }
    }
    if (p.name != null) {
      throw new IllegalArgumentException(file + ":" + p.caseLine + ": case without 'end'");
    }
    return p.cases;
  }

  private void line(int n, String raw) {
    String line = stripIndent(raw);
    if (line.isEmpty() || line.startsWith("#")) {
      return;
    }
    String word = firstWord(line);
    String rest = line.length() > word.length() ? line.substring(word.length() + 1) : "";
    if (name == null) {
      if (!word.equals("case")) {
        throw new IllegalArgumentException("expected 'case NAME', got: " + line);
      }
      startCase(n, rest.strip());
      return;
    }
    switch (word) {
      case "case" -> throw new IllegalArgumentException("'case' inside case " + name);
      case "end" -> endCase();
      case "rows" -> {
        for (String r : rest.strip().split("\\s+")) {
          if (!ROW.matcher(r).matches()) {
            throw new IllegalArgumentException("not a row id: " + r);
          }
          rows.add(r);
        }
      }
      case "fresh" -> fresh = true;
      case "known-divergence" -> knownDivergence = requireText(rest, "known-divergence");
      case "note" -> {
        // documentation only
      }
      case "open", "connect" -> {
        String[] a = args(rest, 1, 2, word + " SESSION [MONITOR]");
        String s = session(a[0]);
        if (sessions.containsKey(s)) {
          throw new IllegalArgumentException("session " + s + " is already open");
        }
        if (!used.add(s)) {
          throw new IllegalArgumentException(
              "session " + s + " was used before; give a new connection a new name");
        }
        Monitor m = a.length > 1 ? Monitor.byId(a[1]) : Monitor.COMPACT;
        sessions.put(s, m);
        steps.add(new Transcript.Open(n, s, m, word.equals("open")));
      }
      case "line", "raw" -> {
        int sp = rest.indexOf(' ');
        String s = openSession(sp < 0 ? rest : rest.substring(0, sp));
        String text = sp < 0 ? "" : rest.substring(sp + 1);
        byte[] bytes = unescape(text);
        if (word.equals("line")) {
          bytes = concat(bytes, new byte[] {'\n'});
        }
        steps.add(new Transcript.Send(n, s, bytes, text));
      }
      case "repeat" -> {
        String[] a = rest.split(" ", 3);
        if (a.length < 3) {
          throw new IllegalArgumentException("usage: repeat SESSION COUNT TEXT");
        }
        String s = openSession(a[0]);
        int count = number(a[1]);
        byte[] unit = unescape(a[2]);
        if ((long) count * unit.length > MAX_REPEAT) {
          throw new IllegalArgumentException("repeat too large");
        }
        byte[] bytes = new byte[count * unit.length];
        for (int i = 0; i < count; i++) {
          System.arraycopy(unit, 0, bytes, i * unit.length, unit.length);
        }
        steps.add(new Transcript.Send(n, s, bytes, count + " x " + a[2]));
      }
      case "negotiate" -> {
        String[] a = rest.strip().split("\\s+");
        String s = openSession(a[0]);
        StringBuilder json = new StringBuilder("{\"execute\":\"qmp_capabilities\"");
        if (a.length > 1) {
          json.append(",\"arguments\":{\"enable\":[");
          for (int i = 1; i < a.length; i++) {
            json.append(i > 1 ? "," : "").append('"').append(a[i]).append('"');
          }
          json.append("]}");
        }
        json.append("}");
        String text = json.toString();
        steps.add(
            new Transcript.Send(n, s, (text + "\n").getBytes(StandardCharsets.US_ASCII), text));
        steps.add(new Transcript.Expect(n, s, 1, false));
      }
      case "expect" -> {
        String[] a = args(rest, 2, 3, "expect SESSION COUNT|eof [unordered]");
        String s = openSession(a[0]);
        if (a[1].equals("eof") && a.length == 2) {
          steps.add(new Transcript.ExpectEof(n, s));
        } else {
          int count = number(a[1]);
          if (count < 1) {
            throw new IllegalArgumentException("expect at least one message");
          }
          if (a.length == 3 && !a[2].equals("unordered")) {
            throw new IllegalArgumentException("usage: expect SESSION COUNT [unordered]");
          }
          steps.add(new Transcript.Expect(n, s, count, a.length == 3));
        }
      }
      case "fifo" -> {
        String[] a = args(rest, 1, 1, "fifo NAME");
        if (!SESSION.matcher(a[0]).matches() || !fifos.add(a[0])) {
          throw new IllegalArgumentException("bad or repeated fifo name: " + a[0]);
        }
        steps.add(new Transcript.Fifo(n, a[0]));
      }
      case "release" -> {
        String[] a = args(rest, 1, 1, "release NAME");
        if (!fifos.contains(a[0])) {
          throw new IllegalArgumentException("no fifo " + a[0]);
        }
        steps.add(new Transcript.Release(n, a[0]));
      }
      case "quiet" -> {
        String[] a = args(rest, 2, 2, "quiet SESSION MILLIS");
        steps.add(new Transcript.Quiet(n, openSession(a[0]), number(a[1])));
      }
      case "nothing" -> {
        String[] a = args(rest, 2, 2, "nothing SESSION MILLIS");
        steps.add(new Transcript.Nothing(n, openSession(a[0]), number(a[1])));
      }
      case "shutdown" -> {
        String[] a = args(rest, 1, 1, "shutdown SESSION");
        steps.add(new Transcript.Shutdown(n, openSession(a[0])));
      }
      case "close" -> {
        String[] a = args(rest, 1, 1, "close SESSION");
        String s = openSession(a[0]);
        sessions.remove(s);
        steps.add(new Transcript.Close(n, s));
      }
      case "sleep" -> {
        String[] a = args(rest, 1, 1, "sleep MILLIS");
        steps.add(new Transcript.Sleep(n, number(a[0])));
      }
      default -> throw new IllegalArgumentException("unknown directive '" + word + "'");
    }
  }

  private void startCase(int n, String caseName) {
    if (!NAME.matcher(caseName).matches()) {
      throw new IllegalArgumentException("not a case name: '" + caseName + "'");
    }
    name = caseName;
    caseLine = n;
    rows = new ArrayList<>();
    fresh = false;
    knownDivergence = null;
    steps = new ArrayList<>();
    sessions = new LinkedHashMap<>();
    used = new HashSet<>();
    fifos = new HashSet<>();
  }

  private void endCase() {
    if (rows.isEmpty()) {
      throw new IllegalArgumentException("case " + name + " names no rows");
    }
    if (steps.stream().noneMatch(s -> s instanceof Transcript.Open)) {
      throw new IllegalArgumentException("case " + name + " opens no session");
    }
    cases.add(new Transcript(name, rows, fresh, knownDivergence, steps, file + ":" + caseLine));
    name = null;
  }

  private String openSession(String s) {
    if (!sessions.containsKey(s)) {
      throw new IllegalArgumentException("session '" + s + "' is not open");
    }
    return s;
  }

  private static String session(String s) {
    if (!SESSION.matcher(s).matches()) {
      throw new IllegalArgumentException("not a session name: '" + s + "'");
    }
    return s;
  }

  private static String[] args(String rest, int min, int max, String usage) {
    String r = rest.strip();
    String[] a = r.isEmpty() ? new String[0] : r.split("\\s+");
    if (a.length < min || a.length > max) {
      throw new IllegalArgumentException("usage: " + usage);
    }
    return a;
  }

  private static String requireText(String rest, String what) {
    if (rest.isBlank()) {
      throw new IllegalArgumentException(what + " needs a text");
    }
    return rest.strip();
  }

  private static int number(String s) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a number: " + s);
    }
  }

  private static String firstWord(String line) {
    int sp = line.indexOf(' ');
    return sp < 0 ? line : line.substring(0, sp);
  }

  private static String stripIndent(String line) {
    int i = 0;
    while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
      i++;
    }
    return line.substring(i);
  }

  /**
   * The bytes a transcript text stands for: its characters as UTF-8, except that {@code \xNN} (two
   * hex digits) is the byte NN. Nothing else is an escape, so JSON's own escapes ({@code \n},
   * {@code \u0041}) are written as they are; a backslash followed by {@code x} is {@code \x5cx}.
   */
  static byte[] unescape(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
    int i = 0;
    while (i < text.length()) {
      int next = text.indexOf("\\x", i);
      if (next < 0) {
        out.writeBytes(text.substring(i).getBytes(StandardCharsets.UTF_8));
        break;
      }
      out.writeBytes(text.substring(i, next).getBytes(StandardCharsets.UTF_8));
      if (next + 4 > text.length()) {
        throw new IllegalArgumentException("\\x needs two hex digits: " + text);
      }
      int hi = Character.digit(text.charAt(next + 2), 16);
      int lo = Character.digit(text.charAt(next + 3), 16);
      if (hi < 0 || lo < 0) {
        throw new IllegalArgumentException("\\x needs two hex digits: " + text);
      }
      out.write(hi << 4 | lo);
      i = next + 4;
    }
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = new byte[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
