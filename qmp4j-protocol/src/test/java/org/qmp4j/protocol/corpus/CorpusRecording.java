package org.qmp4j.protocol.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What QEMU answered to each corpus case: the file {@code corpus/qemu-7.2.replies.jsonl}.
 *
 * <p>One JSON object per line. The first line is a header: {@code {"format": 1, "qemu": "7.2.22
 * (Debian ...)", "greeting": ..., "prettyGreeting": ...}}. Every other line is one case: {@code
 * {"name", "inputLength", "inputSha256", "replies": [...]}}. A reply is the exact bytes of one QEMU
 * message, CRLF included, as a JSON string whose characters are the bytes (ISO-8859-1, so any byte
 * survives; QEMU only sends ASCII). Runs of three or more identical replies are written {@code
 * {"repeat": reply, "count": n}}; replies longer than {@value #DIGEST_OVER} bytes are written
 * {@code {"length": n, "sha256": hex, "head": ..., "tail": ...}}.
 */
public final class CorpusRecording {

  /** Where the committed recording lives on the test class path. */
  public static final String RESOURCE = "/corpus/qemu-7.2.replies.jsonl";

  /** Replies longer than this are stored as a digest. */
  public static final int DIGEST_OVER = 64 * 1024;

  private static final int EDGE = 256;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** One QEMU message as recorded. */
  public sealed interface Reply permits Exact, Digest {
    /** Whether {@code bytes} is this reply. */
    boolean matches(byte[] bytes);

    /** The reply text if stored in full, else null. */
    String text();
  }

  /** A reply stored byte for byte. */
  public record Exact(byte[] bytes) implements Reply {
    @Override
    public boolean matches(byte[] other) {
      return Arrays.equals(bytes, other);
    }

    @Override
    public String text() {
      return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Exact e && Arrays.equals(bytes, e.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return text();
    }
  }

  /** A long reply stored as length, SHA-256 and its first and last bytes. */
  public record Digest(long length, String sha256, String head, String tail) implements Reply {
    static Digest of(byte[] bytes) {
      String text = new String(bytes, StandardCharsets.ISO_8859_1);
      return new Digest(
          bytes.length,
          CorpusCases.sha256(bytes),
          text.substring(0, EDGE),
          text.substring(text.length() - EDGE));
    }

    @Override
    public boolean matches(byte[] other) {
      return other.length == length && CorpusCases.sha256(other).equals(sha256);
    }

    @Override
    public String text() {
      return null;
    }

    @Override
    public String toString() {
      return head + "...(" + length + " bytes)..." + tail;
    }
  }

  /**
   * The recording of one case.
   *
   * @param name the case name
   * @param inputLength bytes sent before the terminator
   * @param inputSha256 SHA-256 of those bytes
   * @param replies every message QEMU sent after negotiation, up to the terminator's reply
   */
  public record CaseRecording(
      String name, long inputLength, String inputSha256, List<Reply> replies) {}

  private final String qemu;
  private final String greeting;
  private final String prettyGreeting;
  private final Map<String, CaseRecording> cases;

  public CorpusRecording(
      String qemu, String greeting, String prettyGreeting, List<CaseRecording> cases) {
    this.qemu = qemu;
    this.greeting = greeting;
    this.prettyGreeting = prettyGreeting;
    this.cases = new LinkedHashMap<>();
    for (CaseRecording c : cases) {
      this.cases.put(c.name(), c);
    }
  }

  /** QEMU's version as {@code major.minor.micro (package)}. */
  public String qemu() {
    return qemu;
  }

  /** The greeting of the compact monitor, exact bytes as ISO-8859-1 text. */
  public String greeting() {
    return greeting;
  }

  /** The greeting of the pretty monitor. */
  public String prettyGreeting() {
    return prettyGreeting;
  }

  /** All case recordings, by name, in file order. */
  public Map<String, CaseRecording> cases() {
    return cases;
  }

  /** Reads the committed recording from the test class path. */
  public static CorpusRecording load() {
    try (InputStream in = CorpusRecording.class.getResourceAsStream(RESOURCE)) {
      Objects.requireNonNull(in, RESOURCE + " is not on the class path");
      return read(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads a recording file. */
  public static CorpusRecording read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return read(in);
    }
  }

  private static CorpusRecording read(InputStream in) throws IOException {
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    JsonNode header = MAPPER.readTree(reader.readLine());
    if (header.path("format").asInt() != 1) {
      throw new IOException("unknown recording format: " + header);
    }
    List<CaseRecording> cases = new ArrayList<>();
    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode c = MAPPER.readTree(line);
      List<Reply> replies = new ArrayList<>();
      for (JsonNode r : c.required("replies")) {
        if (r.isTextual()) {
          replies.add(exact(r.asText()));
        } else if (r.has("repeat")) {
          Reply one = exact(r.get("repeat").asText());
          for (int i = r.get("count").asInt(); i > 0; i--) {
            replies.add(one);
          }
        } else {
          replies.add(
              new Digest(
                  r.get("length").asLong(),
                  r.get("sha256").asText(),
                  r.get("head").asText(),
                  r.get("tail").asText()));
        }
      }
      cases.add(
          new CaseRecording(
              c.required("name").asText(),
              c.required("inputLength").asLong(),
              c.required("inputSha256").asText(),
              List.copyOf(replies)));
    }
    return new CorpusRecording(
        header.path("qemu").asText(),
        header.path("greeting").asText(),
        header.path("prettyGreeting").asText(),
        cases);
  }

  private static Exact exact(String text) {
    return new Exact(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Makes the stored form of one received message. */
  public static Reply reply(byte[] bytes) {
    return bytes.length > DIGEST_OVER ? Digest.of(bytes) : new Exact(bytes.clone());
  }

  /** Writes this recording; the output depends only on its content. */
  public void write(Path file) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      ObjectNode header = MAPPER.createObjectNode();
      header.put("format", 1);
      header.put("qemu", qemu);
      header.put("greeting", greeting);
      header.put("prettyGreeting", prettyGreeting);
      out.write(MAPPER.writeValueAsString(header));
      out.write('\n');
      for (CaseRecording c : cases.values()) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("name", c.name());
        node.put("inputLength", c.inputLength());
        node.put("inputSha256", c.inputSha256());
        ArrayNode replies = node.putArray("replies");
        List<Reply> list = c.replies();
        for (int i = 0; i < list.size(); ) {
          int j = i + 1;
          while (j < list.size() && list.get(j).equals(list.get(i))) {
            j++;
          }
          Reply r = list.get(i);
          if (r instanceof Exact e && j - i >= 3) {
            replies.addObject().put("repeat", e.text()).put("count", j - i);
            i = j;
            continue;
          }
          if (r instanceof Exact e) {
            replies.add(e.text());
          } else {
            Digest d = (Digest) r;
            replies
                .addObject()
                .put("length", d.length())
                .put("sha256", d.sha256())
                .put("head", d.head())
                .put("tail", d.tail());
          }
          i++;
        }
        out.write(MAPPER.writeValueAsString(node));
        out.write('\n');
      }
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }
}
