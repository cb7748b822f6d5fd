package org.qmp4j.protocol.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.qmp4j.protocol.JsonSyntaxException;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.protocol.QmpReader;
import org.qmp4j.protocol.QmpWriter;
import org.qmp4j.protocol.ReaderHarness;
import org.qmp4j.protocol.corpus.CorpusCases.Case;
import org.qmp4j.protocol.corpus.CorpusRecording.CaseRecording;
import org.qmp4j.protocol.corpus.CorpusRecording.Reply;

/**
 * Replays one recorded case through qmp4j's strict reader and writer and checks that they answer
 * exactly as QEMU did.
 *
 * <p>The input followed by the terminator is fed to {@link QmpReader#strict()} whole and in other
 * chunkings (every split point for small inputs, via {@link ReaderHarness}; large random chunks for
 * big ones), which must all agree. Then each reader result is paired with one recorded QEMU
 * message, in order:
 *
 * <ul>
 *   <li>a {@link JsonSyntaxException}: QEMU's message must be, byte for byte, what {@link
 *       QmpWriter} writes for {@code {"error": {"class": "GenericError", "desc": <message>}}};
 *   <li>a value that is not an object: the same, with desc {@code QMP input must be a JSON object};
 *   <li>an object with an {@code id}: QEMU's message must carry an {@code id} whose text is
 *       byte-identical to the writer's output for the id read (in QEMU's member order; also equal
 *       modulo member order in insertion order);
 *   <li>an object without {@code id}: QEMU's message must have no {@code id} and not be one of the
 *       two errors above.
 * </ul>
 *
 * <p>Every recorded message must also end in CRLF (and have no other line break, unless pretty),
 * and every recorded message that the strict reader can read back must be re-written by the writer
 * byte for byte (values QEMU writes but cannot read, such as {@code inf}, and {@code -0}, which
 * reads back as an integer, are exempt).
 */
final class CorpusReplay {

  /**
   * Inputs up to this size are fed in every way {@link ReaderHarness} knows (every split point);
   * larger ones whole, one byte at a time (up to {@link #BYTEWISE_LIMIT}) and in random chunks.
   */
  static final int ALL_WAYS_LIMIT = 1536;

  /** Inputs up to this size are also fed one byte at a time. */
  static final int BYTEWISE_LIMIT = 1 << 20;

  static final String NOT_AN_OBJECT = "QMP input must be a JSON object";

  private CorpusReplay() {}

  /**
   * Checks one case against its recording. {@code allWays}: small inputs are fed at every split
   * point; otherwise every input is fed whole and in two random chunkings only.
   */
  static void verify(Case c, byte[] terminator, CaseRecording recording, boolean allWays) {
    assertEquals(
        c.inputSha256(),
        recording.inputSha256(),
        c.name()
            + ": the input changed since it was recorded; rerun scripts/record-codec-corpus"
            + " --only "
            + c.name());
    QmpWriter writer =
        (c.pretty() ? QmpWriter.pretty() : QmpWriter.compact())
            .withMemberOrder(QmpWriter.MemberOrder.QEMU);
    List<Reply> replies = recording.replies();
    for (Reply r : replies) {
      checkFraming(c, r);
    }
    byte[] stream = c.inputFollowedBy(terminator);
    List<Object> results = read(stream, allWays);
    List<String> problems = new ArrayList<>();
    int n = Math.min(results.size(), replies.size());
    for (int i = 0; i < n; i++) {
      String problem = compare(results.get(i), replies.get(i), writer);
      if (problem != null) {
        problems.add("#" + i + ": " + problem);
      }
    }
    if (results.size() != replies.size()) {
      problems.add(
          "the reader gave "
              + results.size()
              + " results, QEMU sent "
              + replies.size()
              + " messages; first unmatched: "
              + (results.size() > n ? describe(results.get(n)) : replies.get(n)));
    }
    if (!problems.isEmpty()) {
      fail(
          c.name()
              + ":\n  "
              + String.join("\n  ", problems.subList(0, Math.min(10, problems.size()))));
    }
    QmpWriter asRead = c.pretty() ? QmpWriter.pretty() : QmpWriter.compact();
    for (Reply r : replies) {
      checkRoundTrip(c, r, asRead);
    }
  }

  /** A greeting, read by the strict reader and written again, must be byte-identical. */
  static void assertGreetingRoundTrips(String greeting, QmpWriter writer) {
    byte[] bytes = greeting.getBytes(StandardCharsets.ISO_8859_1);
    List<Object> read = ReaderHarness.readAllWays(QmpReader::strict, bytes);
    assertEquals(1, read.size(), read.toString());
    JsonNode node = (JsonNode) read.get(0);
    assertTrue(node.path("QMP").path("version").path("qemu").path("major").isInt(), greeting);
    byte[] written = writer.writeMessage(node);
    assertEquals(greeting, new String(written, StandardCharsets.ISO_8859_1));
  }

  /** Reads {@code stream} in several chunkings and returns the common result. */
  static List<Object> read(byte[] stream, boolean allWays) {
    if (allWays && stream.length <= ALL_WAYS_LIMIT) {
      return ReaderHarness.readAllWays(QmpReader::strict, stream);
    }
    List<Object> whole = ReaderHarness.readOnce(QmpReader.strict(), stream);
    if (allWays && stream.length <= BYTEWISE_LIMIT) {
      ReaderHarness.Recorder recorder = new ReaderHarness.Recorder();
      QmpReader reader = QmpReader.strict();
      byte[] one = new byte[1];
      for (byte b : stream) {
        one[0] = b;
        reader.feed(one, recorder);
      }
      assertEquals(whole, recorder.results(), "one byte at a time");
    }
    Random random = new Random(stream.length);
    int[] maxChunks =
        stream.length <= 4 << 20 ? new int[] {64, 4096} : new int[] {1 << 20, 8 << 20};
    for (int max : maxChunks) {
      ReaderHarness.Recorder recorder = new ReaderHarness.Recorder();
      QmpReader reader = QmpReader.strict();
      StringBuilder cuts = new StringBuilder();
      for (int off = 0; off < stream.length; ) {
        int len = Math.min(stream.length - off, 1 + random.nextInt(max));
        ByteBuffer chunk = ByteBuffer.wrap(stream, off, len).slice();
        reader.feed(chunk, recorder);
        assertFalse(chunk.hasRemaining(), "feed left bytes unconsumed");
        if (cuts.length() < 200) {
          cuts.append(len).append(' ');
        }
        off += len;
      }
      assertEquals(whole, recorder.results(), "chunks of up to " + max + " bytes: " + cuts);
    }
    return whole;
  }

  private static String compare(Object result, Reply reply, QmpWriter writer) {
    if (result instanceof ReaderHarness.Error error) {
      if (error.type() != JsonSyntaxException.class) {
        return "reader reported " + error + ", not a JsonSyntaxException";
      }
      return compareBytes(errorReply(error.message(), writer), reply);
    }
    if (!(result instanceof JsonNode value)) {
      return "unexpected reader result " + describe(result);
    }
    if (!value.isObject()) {
      return compareBytes(errorReply(NOT_AN_OBJECT, writer), reply);
    }
    String text = reply.text();
    if (text == null) {
      // A long reply stored as a digest: only an id echo can be that long here.
      return value.has("id") ? compareDigestWithId(value.get("id"), reply) : "unexpected " + reply;
    }
    Map<String, String> members = RawJson.members(text);
    String rawId = members.get("id");
    if (!value.has("id")) {
      if (rawId != null) {
        return "read an object without id, QEMU answered with id " + rawId;
      }
      String desc = errorDesc(members);
      if (desc != null && (desc.equals(NOT_AN_OBJECT) || desc.startsWith("JSON "))) {
        return "read an object, QEMU answered " + text.strip();
      }
      return null;
    }
    if (rawId == null) {
      return "read id " + describe(value.get("id")) + ", QEMU answered without id: " + text.strip();
    }
    JsonNode id = value.get("id");
    QmpWriter compact = QmpWriter.compact();
    String insertion = compact.toJson(id);
    if (!RawJson.canonical(rawId).equals(RawJson.canonical(insertion))) {
      return "id written as " + abbreviate(insertion) + ", QEMU echoed " + abbreviate(rawId);
    }
    if (!writer.style().equals(QmpWriter.Style.PRETTY)) {
      String qemuOrder = compact.withMemberOrder(QmpWriter.MemberOrder.QEMU).toJson(id);
      if (!qemuOrder.equals(rawId)) {
        return "id written in QEMU order as "
            + abbreviate(qemuOrder)
            + ", QEMU echoed "
            + abbreviate(rawId);
      }
    }
    return null;
  }

  /** A long {@code {"id": <id>, "error": ...}} reply stored as a digest: rebuild and compare. */
  private static String compareDigestWithId(JsonNode id, Reply reply) {
    CorpusRecording.Digest d = (CorpusRecording.Digest) reply;
    String prefix = "{\"id\": ";
    int errorAt = d.tail().lastIndexOf(", \"error\": ");
    if (!d.head().startsWith(prefix) || errorAt < 0) {
      return "read an object with id, QEMU answered " + abbreviate(d.toString());
    }
    String written = QmpWriter.compact().withMemberOrder(QmpWriter.MemberOrder.QEMU).toJson(id);
    String expected = prefix + written + d.tail().substring(errorAt);
    return reply.matches(expected.getBytes(StandardCharsets.ISO_8859_1))
        ? null
        : "long id written as " + abbreviate(written) + ", QEMU echoed " + abbreviate(d.toString());
  }

  private static String compareBytes(byte[] expected, Reply reply) {
    if (reply.matches(expected)) {
      return null;
    }
    return "writer gives "
        + abbreviate(new String(expected, StandardCharsets.ISO_8859_1).strip())
        + ", QEMU sent "
        + abbreviate(reply.toString().strip());
  }

  private static byte[] errorReply(String desc, QmpWriter writer) {
    ObjectNode message = QmpJson.objectNode();
    ObjectNode error = message.putObject("error");
    error.put("class", "GenericError");
    error.put("desc", desc);
    return writer.writeMessage(message);
  }

  private static String errorDesc(Map<String, String> members) {
    String error = members.get("error");
    if (error == null) {
      return null;
    }
    String desc = RawJson.members(error).get("desc");
    return desc == null ? null : RawJson.decodeString(desc);
  }

  private static void checkFraming(Case c, Reply reply) {
    String text = reply.text();
    if (text == null) {
      CorpusRecording.Digest d = (CorpusRecording.Digest) reply;
      assertTrue(d.tail().endsWith("\r\n"), c.name() + ": long reply does not end in CRLF");
      return;
    }
    assertTrue(text.endsWith("\r\n"), c.name() + ": reply does not end in CRLF: " + text);
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (ch > 0x7E || (ch < 0x20 && ch != '\r' && ch != '\n')) {
        fail(c.name() + ": reply has a byte outside printable ASCII at " + i + ": " + text);
      }
      if (ch == '\n' && (i == 0 || text.charAt(i - 1) != '\r')) {
        fail(c.name() + ": bare LF at " + i + " in " + text);
      }
      if (ch == '\r' && (i + 1 >= text.length() || text.charAt(i + 1) != '\n')) {
        fail(c.name() + ": bare CR at " + i + " in " + text);
      }
      if (ch == '\n' && !c.pretty() && i != text.length() - 1) {
        fail(c.name() + ": line break inside a compact reply: " + text);
      }
    }
  }

  /**
   * QEMU's output, read back by the strict reader, must be re-written byte for byte by a writer
   * that keeps the order read (QEMU's own order is not idempotent: keys sharing a hash bucket
   * swap).
   */
  private static void checkRoundTrip(Case c, Reply reply, QmpWriter writer) {
    String text = reply.text();
    if (text == null || !roundTrips(RawJson.canonical(text.strip()))) {
      return;
    }
    byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
    List<Object> read = ReaderHarness.readOnce(QmpReader.strict(), bytes);
    assertEquals(
        1, read.size(), () -> c.name() + ": reading QEMU's reply back gave " + describe(read));
    assertTrue(read.get(0) instanceof JsonNode, () -> c.name() + ": " + describe(read));
    byte[] again = writer.writeMessage((JsonNode) read.get(0));
    assertEquals(
        text,
        new String(again, StandardCharsets.ISO_8859_1),
        c.name() + ": QEMU's reply, read and written again, differs");
  }

  private static boolean roundTrips(Object canonical) {
    if (canonical instanceof Map<?, ?> map) {
      for (Object v : map.values()) {
        if (!roundTrips(v)) {
          return false;
        }
      }
      return true;
    }
    if (canonical instanceof List<?> list) {
      for (Object v : list) {
        if (!roundTrips(v)) {
          return false;
        }
      }
      return true;
    }
    if (canonical instanceof String s && s.startsWith("#")) {
      return !(s.equals("#-0") || s.contains("inf") || s.contains("nan"));
    }
    return true;
  }

  /** A short description of a reader result; deep values are too deep for Jackson's toString. */
  static String describe(Object result) {
    try {
      return abbreviate(String.valueOf(result));
    } catch (RuntimeException e) {
      return result.getClass().getSimpleName() + " (" + e.getMessage() + ")";
    }
  }

  static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 200) + "...(" + s.length() + " chars)";
  }
}
