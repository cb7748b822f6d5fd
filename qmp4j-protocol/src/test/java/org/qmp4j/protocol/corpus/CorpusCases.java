package org.qmp4j.protocol.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The codec corpus cases: byte-level inputs for QEMU's QMP monitor, defined in {@code
 * corpus/cases.json} (see {@code docs/codec-corpus.md}).
 *
 * <p>An input is a list of segments, concatenated: {@code {"text": "..."}} (the UTF-8 bytes of the
 * text), {@code {"hex": "ff fe"}} (bytes in hex, spaces ignored), {@code {"repeat": S, "count": n}}
 * (segment or segment list {@code S}, {@code n} times); a plain JSON string is a text segment.
 * Repetition keeps the file small: the 64 MiB inputs are generated, not stored.
 */
public final class CorpusCases {

  /** Where the cases live on the test class path. */
  public static final String RESOURCE = "/corpus/cases.json";

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /**
   * One case.
   *
   * @param name unique name
   * @param row the reference row it covers (a key of {@link #rows()})
   * @param pretty whether it is sent to the monitor with {@code pretty=on}
   * @param negotiate whether {@code qmp_capabilities} is sent before the input
   * @param segments the input, as segments
   */
  public record Case(
      String name, String row, boolean pretty, boolean negotiate, JsonNode segments) {
    /** The input bytes (without the terminator). */
    public byte[] input() {
      return bytes(segments, new byte[0]);
    }

    /** The input bytes followed by {@code suffix}. */
    public byte[] inputFollowedBy(byte[] suffix) {
      return bytes(segments, suffix);
    }

    /** The input length in bytes, without generating it. */
    public long inputLength() {
      return length(segments);
    }

    /** Hex SHA-256 of the input bytes, stored with each recording to detect stale recordings. */
    public String inputSha256() {
      return sha256(input());
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private final byte[] terminator;
  private final Map<String, String> rows;
  private final List<Case> cases;

  private CorpusCases(byte[] terminator, Map<String, String> rows, List<Case> cases) {
    this.terminator = terminator;
    this.rows = rows;
    this.cases = cases;
  }

  /** Loads the cases from the test class path. */
  public static CorpusCases load() {
    try (InputStream in = CorpusCases.class.getResourceAsStream(RESOURCE)) {
      Objects.requireNonNull(in, RESOURCE + " is not on the class path");
      return parse(MAPPER.readTree(in));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Loads the cases from a file. */
  public static CorpusCases load(Path file) throws IOException {
    return parse(MAPPER.readTree(Files.readAllBytes(file)));
  }

  private static CorpusCases parse(JsonNode root) {
    byte[] terminator = bytes(root.required("terminator"), new byte[0]);
    Map<String, String> rows = new LinkedHashMap<>();
    root.required("rows")
        .fields()
        .forEachRemaining(e -> rows.put(e.getKey(), e.getValue().asText()));
    List<Case> cases = new ArrayList<>();
    for (JsonNode c : root.required("cases")) {
      String row = c.required("row").asText();
      if (!rows.containsKey(row)) {
        throw new IllegalArgumentException("case " + c.path("name") + ": unknown row " + row);
      }
      String monitor = c.path("monitor").asText("compact");
      if (!monitor.equals("compact") && !monitor.equals("pretty")) {
        throw new IllegalArgumentException("case " + c.path("name") + ": monitor " + monitor);
      }
      cases.add(
          new Case(
              c.required("name").asText(),
              row,
              monitor.equals("pretty"),
              c.path("negotiate").asBoolean(true),
              c.required("input")));
      length(c.get("input")); // validates the segments
    }
    return new CorpusCases(terminator, Map.copyOf(rows), List.copyOf(cases));
  }

  /** The bytes sent after every input: they end any lexer state, then ask for a final reply. */
  public byte[] terminator() {
    return terminator.clone();
  }

  /** Reference rows, by key, with a description. */
  public Map<String, String> rows() {
    return rows;
  }

  /** All cases, in file order. */
  public List<Case> cases() {
    return cases;
  }

  /** The case called {@code name}. */
  public Case get(String name) {
    return cases.stream()
        .filter(c -> c.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no case " + name));
  }

  // --- segments ---

  static long length(JsonNode segment) {
    if (segment.isTextual()) {
      return segment.asText().getBytes(StandardCharsets.UTF_8).length;
    }
    if (segment.isArray()) {
      long n = 0;
      for (JsonNode s : segment) {
        n += length(s);
      }
      return n;
    }
    if (segment.has("text")) {
      return length(segment.get("text"));
    }
    if (segment.has("hex")) {
      return hex(segment.get("hex").asText()).length;
    }
    if (segment.has("repeat")) {
      long count = segment.required("count").asLong();
      if (count < 0) {
        throw new IllegalArgumentException("negative count in " + segment);
      }
      return count * length(segment.get("repeat"));
    }
    throw new IllegalArgumentException("not a segment: " + segment);
  }

  private static byte[] bytes(JsonNode segments, byte[] suffix) {
    long n = length(segments) + suffix.length;
    if (n > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("input too long: " + n);
    }
    byte[] out = new byte[(int) n];
    int off = write(segments, out, 0);
    System.arraycopy(suffix, 0, out, off, suffix.length);
    return out;
  }

  private static int write(JsonNode segment, byte[] out, int off) {
    if (segment.isTextual()) {
      byte[] b = segment.asText().getBytes(StandardCharsets.UTF_8);
      System.arraycopy(b, 0, out, off, b.length);
      return off + b.length;
    }
    if (segment.isArray()) {
      for (JsonNode s : segment) {
        off = write(s, out, off);
      }
      return off;
    }
    if (segment.has("text")) {
      return write(segment.get("text"), out, off);
    }
    if (segment.has("hex")) {
      byte[] b = hex(segment.get("hex").asText());
      System.arraycopy(b, 0, out, off, b.length);
      return off + b.length;
    }
    long count = segment.required("count").asLong();
    int start = off;
    if (count == 0) {
      return off;
    }
    off = write(segment.get("repeat"), out, off);
    int unit = off - start;
    // Double the written prefix until the repetition is complete.
    long total = unit * count;
    long done = unit;
    while (done < total) {
      int chunk = (int) Math.min(done, total - done);
      System.arraycopy(out, start, out, start + (int) done, chunk);
      done += chunk;
    }
    return start + (int) total;
  }

  private static byte[] hex(String text) {
    return HexFormat.of().parseHex(text.replace(" ", ""));
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
