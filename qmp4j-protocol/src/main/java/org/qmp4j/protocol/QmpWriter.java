package org.qmp4j.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.qmp4j.protocol.internal.DoubleFormat;
import org.qmp4j.protocol.internal.QdictOrder;

/**
 * Writes JSON values the way QEMU 7.2 writes them on a monitor or guest agent channel.
 *
 * <ul>
 *   <li>{@link Style#COMPACT}: {@code ", "} between members and elements, {@code ": "} after keys,
 *       {@code {}} and {@code []} for empty containers, e.g. {@code {"return": {}, "id": 7}}.
 *   <li>{@link Style#DENSE}: no whitespace at all, e.g. {@code {"execute":"query-status","id":7}}:
 *       what a client sends (QEMU reads a monitor's input one byte per main-loop iteration, so
 *       every byte of a request costs it time; see {@link #request()}).
 *   <li>{@link Style#PRETTY} (QEMU's {@code -mon ...,pretty=on}): a line break and four spaces per
 *       depth before every member, element and closing bracket, empty containers included: an empty
 *       object is an opening brace, a line break and indentation, and a closing brace.
 *   <li>{@link Dialect#QMP}: CRLF after each message and for every line break inside a pretty
 *       message; {@link Dialect#GUEST_AGENT}: LF only, as {@code qemu-ga} answers.
 *   <li>Output is ASCII: {@code "} and {@code \} are escaped, {@code \b \f \n \r \t} use short
 *       escapes, every other code point below 0x20 or from 0x7F up is <code>&#92;uXXXX</code> with
 *       upper-case hex, above U+FFFF as a surrogate pair. {@code /} is not escaped. A code point
 *       QEMU's writer treats as invalid (an unpaired surrogate, or one of Unicode's 66
 *       noncharacters such as U+FFFE) is written as <code>&#92;uFFFD</code>, as QEMU does.
 *   <li>Numbers: integers that fit int64 or uint64 print as integers. Every other number is
 *       converted to a double (as QEMU's parser does) and printed as C's {@code printf("%.17g")}
 *       prints it: {@code 0.1} as {@code 0.10000000000000001}, {@code 1.0} as {@code 1}, {@code
 *       -0.0} as {@code -0}, infinities as {@code inf}/{@code -inf} and NaN as {@code nan} (or
 *       {@code -nan} when its sign bit is set, as glibc does). The last three are not valid JSON;
 *       QEMU emits them all the same.
 * </ul>
 *
 * <p>Members are written in the order the {@link JsonNode} iterates them ({@link
 * MemberOrder#INSERTION}, the default), or in the order QEMU's QDict hash table yields them ({@link
 * MemberOrder#QEMU}) for byte-identical output.
 *
 * <p>Instances are immutable and thread-safe. The value must not be modified while it is written,
 * must contain no {@code MissingNode}, and its nesting is limited by the thread's stack.
 */
public final class QmpWriter {

  /** Layout of the output. */
  public enum Style {
    /** One line: {@code {"return": {}, "id": 7}}. */
    COMPACT,
    /** One line without whitespace: {@code {"return":{},"id":7}}. */
    DENSE,
    /** QEMU's {@code pretty=on} layout: four-space indentation, one member per line. */
    PRETTY
  }

  /** Line-break convention of the channel. */
  public enum Dialect {
    /** A QMP monitor: every line break, inside a message and after it, is CRLF. */
    QMP,
    /** The guest agent, and what clients send: every line break is a bare LF. */
    GUEST_AGENT
  }

  /** Order in which an object's members are written. */
  public enum MemberOrder {
    /**
     * The order of the {@link JsonNode}'s own iteration (insertion order for {@code ObjectNode}).
     */
    INSERTION,
    /**
     * The order of QEMU's QDict: ascending hash bucket, and within one bucket the member inserted
     * last first. With values built in the order QEMU builds them, the output is byte-identical.
     */
    QEMU
  }

  private static final QmpWriter COMPACT_QMP =
      new QmpWriter(Style.COMPACT, Dialect.QMP, MemberOrder.INSERTION);
  private static final QmpWriter PRETTY_QMP =
      new QmpWriter(Style.PRETTY, Dialect.QMP, MemberOrder.INSERTION);
  private static final QmpWriter COMPACT_GA =
      new QmpWriter(Style.COMPACT, Dialect.GUEST_AGENT, MemberOrder.INSERTION);
  private static final QmpWriter REQUEST =
      new QmpWriter(Style.DENSE, Dialect.GUEST_AGENT, MemberOrder.INSERTION);

  /** Buffers kept per thread for the array- and stream-returning methods, up to this size. */
  private static final int KEPT_BUFFER_LIMIT = 64 * 1024;

  private static final ThreadLocal<Buffer> SCRATCH = ThreadLocal.withInitial(Buffer::new);

  private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

  private static final byte[] TRUE_BYTES = "true".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] FALSE_BYTES = "false".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NULL_BYTES = "null".getBytes(StandardCharsets.US_ASCII);

  /** Objects up to this size have their members ordered without keeping references aside. */
  private static final int SMALL_OBJECT = 8;

  /** Never modified: what {@link #writeReturn} writes for a {@code null} value. */
  private static final JsonNode EMPTY_OBJECT = JsonNodeFactory.instance.objectNode();

  /** Whether QEMU's QDict yields "return" before "id" when "return" was inserted first. */
  private static final boolean RETURN_BEFORE_ID =
      QdictOrder.iterationOrder(List.of("return", "id")).get(0).equals("return");

  private final Style style;
  private final Dialect dialect;
  private final MemberOrder memberOrder;
  private final boolean pretty;
  private final boolean dense;
  private final boolean crlf;

  private QmpWriter(Style style, Dialect dialect, MemberOrder memberOrder) {
    this.style = Objects.requireNonNull(style, "style");
    this.dialect = Objects.requireNonNull(dialect, "dialect");
    this.memberOrder = Objects.requireNonNull(memberOrder, "memberOrder");
    this.pretty = style == Style.PRETTY;
    this.dense = style == Style.DENSE;
    this.crlf = dialect == Dialect.QMP;
  }

  /** Compact QMP output, as a QEMU monitor without {@code pretty=on} writes it. */
  public static QmpWriter compact() {
    return COMPACT_QMP;
  }

  /** Pretty QMP output, as a QEMU monitor with {@code pretty=on} writes it. */
  public static QmpWriter pretty() {
    return PRETTY_QMP;
  }

  /** Compact output ending in a bare LF, as {@code qemu-ga} writes it. */
  public static QmpWriter guestAgent() {
    return COMPACT_GA;
  }

  /**
   * What a client sends: {@link Style#DENSE}, ending in a bare LF. QEMU 7.2 reads a monitor's input
   * one byte per main-loop iteration, so the shortest encoding is the fastest (QEMU's parser needs
   * no terminator at all; the LF keeps line-based tools and logs working).
   */
  public static QmpWriter request() {
    return REQUEST;
  }

  /** A writer with this style and dialect, writing members in insertion order. */
  public static QmpWriter of(Style style, Dialect dialect) {
    return new QmpWriter(style, dialect, MemberOrder.INSERTION);
  }

  /** This writer with another member order. */
  public QmpWriter withMemberOrder(MemberOrder order) {
    return order == memberOrder ? this : new QmpWriter(style, dialect, order);
  }

  public Style style() {
    return style;
  }

  public Dialect dialect() {
    return dialect;
  }

  public MemberOrder memberOrder() {
    return memberOrder;
  }

  /** The bytes of {@code message} followed by the dialect's message terminator. */
  public byte[] writeMessage(JsonNode message) {
    Buffer buffer = scratch();
    try {
      writeMessage(message, buffer);
      return buffer.toByteArray();
    } finally {
      release(buffer);
    }
  }

  /** Writes {@code message} and the dialect's terminator to {@code out} in one {@code write}. */
  public void writeMessage(JsonNode message, OutputStream out) throws IOException {
    Buffer buffer = scratch();
    try {
      writeMessage(message, buffer);
      buffer.writeTo(out);
    } finally {
      release(buffer);
    }
  }

  /**
   * Appends {@code message} and the dialect's terminator to {@code buffer}. The fastest way: a
   * caller that keeps one buffer per connection writes without allocating.
   */
  public void writeMessage(JsonNode message, Buffer buffer) {
    Objects.requireNonNull(message, "message");
    writeValue(message, 0, buffer);
    newline(buffer);
  }

  /**
   * Appends a command's success reply, {@code {"return": value}} with {@code "id": id} when {@code
   * id} is not {@code null}, and the terminator: the same bytes as {@link #writeMessage(JsonNode,
   * Buffer)} of that object with {@code "return"} inserted first, without building it. A {@code
   * null} value is written as {@code {}}.
   */
  public void writeReturn(JsonNode value, JsonNode id, Buffer buffer) {
    JsonNode returned = value == null ? EMPTY_OBJECT : value;
    buffer.append((byte) '{');
    if (id == null) {
      writeMember(true, Key.RETURN, returned, 0, buffer);
    } else if (memberOrder == MemberOrder.INSERTION || RETURN_BEFORE_ID) {
      writeMember(true, Key.RETURN, returned, 0, buffer);
      writeMember(false, Key.ID, id, 0, buffer);
    } else {
      writeMember(true, Key.ID, id, 0, buffer);
      writeMember(false, Key.RETURN, returned, 0, buffer);
    }
    if (pretty) {
      indent(0, buffer);
    }
    buffer.append((byte) '}');
    newline(buffer);
  }

  /** Appends {@code value} to {@code buffer}, without a terminator. */
  public void write(JsonNode value, Buffer buffer) {
    Objects.requireNonNull(value, "value");
    writeValue(value, 0, buffer);
  }

  /**
   * {@code value} as this writer writes it, without the message terminator (pretty output keeps its
   * inner line breaks). Meant for ids, logs and tests.
   */
  public String toJson(JsonNode value) {
    Buffer buffer = scratch();
    try {
      write(value, buffer);
      return buffer.toString();
    } finally {
      release(buffer);
    }
  }

  @Override
  public String toString() {
    return "QmpWriter[" + style + ", " + dialect + ", " + memberOrder + "]";
  }

  private static Buffer scratch() {
    Buffer buffer = SCRATCH.get();
    if (buffer.length() != 0) {
      // Re-entered on this thread (a POJONode's serializer calling back): use a fresh buffer.
      return new Buffer();
    }
    return buffer;
  }

  private static void release(Buffer buffer) {
    if (buffer.capacity() > KEPT_BUFFER_LIMIT) {
      buffer.trim(Buffer.INITIAL_CAPACITY);
    }
    buffer.clear();
  }

  private void newline(Buffer out) {
    if (crlf) {
      out.ensure(2);
      out.bytes[out.length++] = '\r';
      out.bytes[out.length++] = '\n';
    } else {
      out.append((byte) '\n');
    }
  }

  private void indent(int depth, Buffer out) {
    newline(out);
    int spaces = depth * 4;
    out.ensure(spaces);
    Arrays.fill(out.bytes, out.length, out.length + spaces, (byte) ' ');
    out.length += spaces;
  }

  /** What QEMU writes before a member or element: nothing, a space, or a pretty line break. */
  private void separator(boolean first, int depth, Buffer out) {
    if (!first) {
      out.append((byte) ',');
      if (!pretty && !dense) {
        out.append((byte) ' ');
        return;
      }
    }
    if (pretty) {
      indent(depth, out);
    }
  }

  private void writeValue(JsonNode node, int depth, Buffer out) {
    // The usual node classes by a type check, cheaper than the megamorphic getNodeType().
    if (node instanceof TextNode) {
      writeString(node.textValue(), out);
      return;
    }
    if (node instanceof ObjectNode) {
      writeObject(node, depth, out);
      return;
    }
    if (node instanceof BooleanNode) {
      out.append(node.booleanValue() ? TRUE_BYTES : FALSE_BYTES);
      return;
    }
    if (node instanceof IntNode || node instanceof LongNode) {
      out.appendLong(node.longValue());
      return;
    }
    JsonNodeType type = node.getNodeType();
    switch (type) {
      case OBJECT:
        writeObject(node, depth, out);
        break;
      case ARRAY:
        out.append((byte) '[');
        int size = node.size();
        for (int i = 0; i < size; i++) {
          separator(i == 0, depth + 1, out);
          writeValue(node.get(i), depth + 1, out);
        }
        if (pretty) {
          indent(depth, out);
        }
        out.append((byte) ']');
        break;
      case STRING:
        writeString(node.textValue(), out);
        break;
      case NUMBER:
        writeNumber(node, out);
        break;
      case BOOLEAN:
        out.append(node.booleanValue() ? TRUE_BYTES : FALSE_BYTES);
        break;
      case NULL:
        out.append(NULL_BYTES);
        break;
      case BINARY:
        // Jackson's own JSON form of binary data is its base64 text.
        writeString(node.asText(), out);
        break;
      case POJO:
        writeValue(QmpJson.toNode(((POJONode) node).getPojo()), depth, out);
        break;
      case MISSING:
      default:
        throw new IllegalArgumentException("cannot write a " + type + " node as JSON");
    }
  }

  private void writeObject(JsonNode node, int depth, Buffer out) {
    out.append((byte) '{');
    int size = node.size();
    if (memberOrder == MemberOrder.QEMU && size > 1) {
      writeQdictOrdered(node, size, depth, out);
    } else {
      boolean first = true;
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> member = it.next();
        writeMember(first, Key.of(member.getKey()), member.getValue(), depth, out);
        first = false;
      }
    }
    if (pretty) {
      indent(depth, out);
    }
    out.append((byte) '}');
  }

  /**
   * The members in QDict order, sorted in the buffer's scratch arrays (a stack shared by the nested
   * objects being written) rather than in lists of their own.
   */
  private void writeQdictOrdered(JsonNode node, int size, int depth, Buffer out) {
    if (size <= SMALL_OBJECT) {
      writeSmallQdictOrdered(node, size, depth, out);
      return;
    }
    int base = out.pushMembers(size);
    Key[] keys = out.memberKeys;
    JsonNode[] values = out.memberValues;
    long[] order = out.memberOrder;
    int n = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext() && n < size; n++) {
      Map.Entry<String, JsonNode> member = it.next();
      Key key = Key.of(member.getKey());
      keys[base + n] = key;
      values[base + n] = member.getValue();
      // Ascending bucket, then descending insertion index (QLIST_INSERT_HEAD).
      order[base + n] = ((long) key.bucket << 32) | (Integer.MAX_VALUE - n);
    }
    Arrays.sort(order, base, base + n);
    try {
      for (int i = 0; i < n; i++) {
        int index = base + Integer.MAX_VALUE - (int) order[base + i];
        writeMember(i == 0, keys[index], values[index], depth, out);
      }
    } finally {
      out.popMembers(base);
    }
  }

  /**
   * A small object's members in QDict order. Only their sort keys go to the scratch stack (a {@code
   * long[]}); each member is then found again by its insertion index. For a handful of members that
   * costs less than keeping references in a long-lived array, where every store pays the garbage
   * collector's write barrier (with G1, a memory fence).
   */
  private void writeSmallQdictOrdered(JsonNode node, int size, int depth, Buffer out) {
    int base = out.pushMembers(size);
    long[] order = out.memberOrder;
    int n = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext() && n < size; n++) {
      // Ascending bucket, then descending insertion index (QLIST_INSERT_HEAD).
      order[base + n] = ((long) Key.of(it.next().getKey()).bucket << 32) | (Integer.MAX_VALUE - n);
    }
    for (int i = base + 1; i < base + n; i++) {
      long k = order[i];
      int j = i - 1;
      while (j >= base && order[j] > k) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = k;
    }
    try {
      for (int i = 0; i < n; i++) {
        int index = Integer.MAX_VALUE - (int) order[base + i];
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        Map.Entry<String, JsonNode> member = it.next();
        for (int k = 0; k < index; k++) {
          member = it.next();
        }
        writeMember(i == 0, Key.of(member.getKey()), member.getValue(), depth, out);
      }
    } finally {
      out.popOrder(base);
    }
  }

  private void writeMember(boolean first, Key key, JsonNode value, int depth, Buffer out) {
    separator(first, depth + 1, out);
    if (dense) {
      out.append(key.bytes, key.bytes.length - 1); // without the space after the colon
    } else {
      out.append(key.bytes);
    }
    writeValue(value, depth + 1, out);
  }

  /**
   * A member name with its QDict bucket and its written form ({@code "name": }). Member names
   * repeat (a server writes the same few dozen all the time), so short ones are remembered, by the
   * String's hash code, which a String caches and the map that held the member has computed. The
   * cache is shared by all threads: entries are immutable, and a lost update only costs a miss.
   */
  private static final class Key {
    private static final int CACHE_SIZE = 1024;
    private static final int CACHED_LENGTH_MAX = 64;
    private static final Key[] CACHE = new Key[CACHE_SIZE];

    static final Key RETURN = new Key("return");
    static final Key ID = new Key("id");

    final String name;
    final int bucket;
    final byte[] bytes;

    private Key(String name) {
      this.name = name;
      this.bucket = QdictOrder.bucket(name);
      Buffer b = new Buffer(name.length() + 4);
      writeString(name, b);
      b.append((byte) ':');
      b.append((byte) ' ');
      this.bytes = b.toByteArray();
    }

    static Key of(String name) {
      int h = name.hashCode();
      int slot = (h ^ (h >>> 16)) & (CACHE_SIZE - 1);
      Key key = CACHE[slot];
      if (key != null && (key.name == name || key.name.equals(name))) {
        return key;
      }
      key = new Key(name);
      if (name.length() <= CACHED_LENGTH_MAX) {
        CACHE[slot] = key;
      }
      return key;
    }
  }

  private static void writeNumber(JsonNode node, Buffer out) {
    switch (node.numberType()) {
      case INT:
      case LONG:
        out.appendLong(node.longValue());
        return;
      case BIG_INTEGER:
        BigInteger big = node.bigIntegerValue();
        if (big.signum() >= 0 ? big.bitLength() <= 64 : big.bitLength() <= 63) {
          out.appendAscii(big.toString());
        } else {
          // Outside int64 and uint64 QEMU holds the number as a double.
          writeDouble(big.doubleValue(), out);
        }
        return;
      case BIG_DECIMAL:
        BigDecimal decimal = node.decimalValue();
        // Double.parseDouble rounds correctly, as QEMU's strtod does.
        writeDouble(Double.parseDouble(decimal.toString()), out);
        return;
      case FLOAT:
      case DOUBLE:
      default:
        writeDouble(node.doubleValue(), out);
    }
  }

  private static void writeDouble(double value, Buffer out) {
    StringBuilder sb = new StringBuilder(24);
    DoubleFormat.append(value, sb);
    out.appendAscii(sb);
  }

  private static void writeString(String s, Buffer out) {
    int n = s.length();
    out.ensure(n + 2);
    byte[] b = out.bytes;
    int pos = out.length;
    b[pos++] = '"';
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
        b[pos++] = (byte) c;
        continue;
      }
      // Room for the longest escape (a surrogate pair, 12 bytes) plus every char still to come.
      out.length = pos;
      out.ensure(12 + (n - i) + 1);
      b = out.bytes;
      switch (c) {
        case '"':
          b[pos++] = '\\';
          b[pos++] = '"';
          break;
        case '\\':
          b[pos++] = '\\';
          b[pos++] = '\\';
          break;
        case '\b':
          b[pos++] = '\\';
          b[pos++] = 'b';
          break;
        case '\f':
          b[pos++] = '\\';
          b[pos++] = 'f';
          break;
        case '\n':
          b[pos++] = '\\';
          b[pos++] = 'n';
          break;
        case '\r':
          b[pos++] = '\\';
          b[pos++] = 'r';
          break;
        case '\t':
          b[pos++] = '\\';
          b[pos++] = 't';
          break;
        default:
          if (Character.isHighSurrogate(c)
              && i + 1 < n
              && Character.isLowSurrogate(s.charAt(i + 1))) {
            int cp = Character.toCodePoint(c, s.charAt(i + 1));
            i++;
            if (isNoncharacter(cp)) {
              pos = unicodeEscape(0xFFFD, b, pos);
            } else {
              pos = unicodeEscape(c, b, pos);
              pos = unicodeEscape(s.charAt(i), b, pos);
            }
          } else if (Character.isSurrogate(c) || isNoncharacter(c)) {
            pos = unicodeEscape(0xFFFD, b, pos);
          } else {
            pos = unicodeEscape(c, b, pos);
          }
      }
    }
    b[pos++] = '"';
    out.length = pos;
  }

  /** Unicode's 66 noncharacters, which QEMU's UTF-8 decoder rejects. */
  private static boolean isNoncharacter(int cp) {
    return (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
  }

  private static int unicodeEscape(int unit, byte[] b, int pos) {
    b[pos++] = '\\';
    b[pos++] = 'u';
    b[pos++] = HEX[(unit >> 12) & 0xF];
    b[pos++] = HEX[(unit >> 8) & 0xF];
    b[pos++] = HEX[(unit >> 4) & 0xF];
    b[pos++] = HEX[unit & 0xF];
    return pos;
  }

  /**
   * A growable byte buffer the writer appends to. Not thread-safe. Keep one per connection and
   * {@link #clear()} it after each write to avoid allocating.
   */
  public static final class Buffer {
    static final int INITIAL_CAPACITY = 256;

    private byte[] bytes;
    private int length;

    // Scratch for writing objects' members in QDict order: a stack, one frame per object being
    // written (nested objects push theirs on top).
    private Key[] memberKeys = NO_KEYS;
    private JsonNode[] memberValues = NO_VALUES;
    private long[] memberOrder = NO_ORDER;
    private int membersTop;

    private static final Key[] NO_KEYS = {};
    private static final JsonNode[] NO_VALUES = {};
    private static final long[] NO_ORDER = {};

    /** An empty buffer with a small initial capacity. */
    public Buffer() {
      this(INITIAL_CAPACITY);
    }

    /** An empty buffer with room for {@code capacity} bytes before it grows. */
    public Buffer(int capacity) {
      bytes = new byte[Math.max(16, capacity)];
    }

    /** How many bytes the buffer holds. */
    public int length() {
      return length;
    }

    /** How many bytes fit before the buffer grows. */
    public int capacity() {
      return bytes.length;
    }

    /** Forgets the contents; keeps the capacity. */
    public void clear() {
      length = 0;
    }

    /**
     * The backing array; bytes {@code [0, length())} are the contents. Valid until the next append.
     */
    public byte[] array() {
      return bytes;
    }

    /** A read-only view of the contents, valid until the next append or clear. */
    public ByteBuffer asByteBuffer() {
      return ByteBuffer.wrap(bytes, 0, length).asReadOnlyBuffer();
    }

    /** A copy of the contents. */
    public byte[] toByteArray() {
      return Arrays.copyOf(bytes, length);
    }

    /** Writes the contents to {@code out}. */
    public void writeTo(OutputStream out) throws IOException {
      out.write(bytes, 0, length);
    }

    /** The contents as text (the writer only produces ASCII). */
    @Override
    public String toString() {
      return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
    }

    /** Reserves {@code n} scratch member slots; returns the first. */
    int pushMembers(int n) {
      int base = membersTop;
      int need = base + n;
      if (need > memberKeys.length) {
        int grown = Math.max(need, Math.max(8, memberKeys.length * 2));
        memberKeys = Arrays.copyOf(memberKeys, grown);
        memberValues = Arrays.copyOf(memberValues, grown);
        memberOrder = Arrays.copyOf(memberOrder, grown);
      }
      membersTop = need;
      return base;
    }

    /** Releases the slots from {@code base} up, where only sort keys were kept. */
    void popOrder(int base) {
      membersTop = base;
    }

    /** Releases the slots from {@code base} up, dropping their references. */
    void popMembers(int base) {
      Arrays.fill(memberKeys, base, membersTop, null);
      Arrays.fill(memberValues, base, membersTop, null);
      membersTop = base;
    }

    void trim(int capacity) {
      if (bytes.length > capacity && length <= capacity) {
        bytes = Arrays.copyOf(bytes, capacity);
      }
      if (membersTop == 0 && memberKeys.length > capacity) {
        memberKeys = NO_KEYS;
        memberValues = NO_VALUES;
        memberOrder = NO_ORDER;
      }
    }

    void ensure(int more) {
      int needed = length + more;
      if (needed < 0) {
        throw new OutOfMemoryError("JSON output exceeds 2 GiB");
      }
      if (needed > bytes.length) {
        int grown = bytes.length + (bytes.length >> 1);
        if (grown < 0 || grown > Integer.MAX_VALUE - 16) {
          grown = Integer.MAX_VALUE - 16;
        }
        bytes = Arrays.copyOf(bytes, Math.max(needed, grown));
      }
    }

    void append(byte[] b) {
      append(b, b.length);
    }

    /** The first {@code n} bytes of {@code b}. */
    void append(byte[] b, int n) {
      ensure(n);
      System.arraycopy(b, 0, bytes, length, n);
      length += n;
    }

    void append(byte b) {
      if (length == bytes.length) {
        ensure(1);
      }
      bytes[length++] = b;
    }

    void appendAscii(CharSequence s) {
      int n = s.length();
      ensure(n);
      for (int i = 0; i < n; i++) {
        bytes[length++] = (byte) s.charAt(i);
      }
    }

    void appendLong(long v) {
      if (v == Long.MIN_VALUE) {
        appendAscii("-9223372036854775808");
        return;
      }
      ensure(20);
      if (v < 0) {
        bytes[length++] = '-';
        v = -v;
      }
      int digits = 1;
      for (long t = v; t >= 10; t /= 10) {
        digits++;
      }
      int end = length + digits;
      for (int p = end - 1; p >= length; p--) {
        bytes[p] = (byte) ('0' + (v % 10));
        v /= 10;
      }
      length = end;
    }
  }
}
