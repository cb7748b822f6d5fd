package org.qmp4j.sim.internal;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.qmp4j.protocol.QmpErrorException;

/**
 * The simulated guest's file system: directories and files in memory, and the open handles of
 * {@code guest-file-open}, with qemu-ga 7.2's modes, numbering (from 1000) and error texts. The
 * caller synchronises.
 */
final class GuestFileSystem {
  static final String ENOENT = "No such file or directory";
  static final String ENOTDIR = "Not a directory";
  static final String EISDIR = "Is a directory";
  static final String EBADF = "Bad file descriptor";
  static final String EINVAL = "Invalid argument";

  /** qemu-ga's largest {@code count} for {@code guest-file-read}: 48 MiB. */
  static final long READ_COUNT_MAX = 48L << 20;

  /** qemu-ga's {@code count} when none is given. */
  static final int READ_COUNT_DEFAULT = 4096;

  private abstract static sealed class Node permits Dir, File {}

  private static final class Dir extends Node {
    final Map<String, Node> children = new TreeMap<>();
  }

  private static final class File extends Node {
    byte[] data = new byte[0];
    int size;

    void ensure(long capacity) {
      if (capacity > Integer.MAX_VALUE - 16) {
        throw QmpErrorException.generic("failed to write to file: File too large");
      }
      if (capacity > data.length) {
        data = Arrays.copyOf(data, (int) Math.max(capacity, data.length * 2L + 16));
      }
    }
  }

  /** An open handle. */
  private static final class Handle {
    final Node node;
    final boolean readable;
    final boolean writable;
    final boolean append;
    long position;

    Handle(Node node, boolean readable, boolean writable, boolean append) {
      this.node = node;
      this.readable = readable;
      this.writable = writable;
      this.append = append;
    }
  }

  /** What {@code guest-file-read} returns. */
  record ReadResult(byte[] data, boolean eof) {}

  private final Dir root = new Dir();
  private final Map<Long, Handle> handles = new LinkedHashMap<>();
  private long nextHandle = 1000;

  GuestFileSystem() {
    for (String d : List.of("/bin", "/usr/bin", "/etc", "/root", "/tmp", "/home", "/var/log")) {
      mkdirs(d);
    }
  }

  // -----------------------------------------------------------------------------------------------
  // Paths

  private static List<String> components(String path) {
    List<String> parts = new ArrayList<>();
    for (String p : path.split("/")) {
      if (p.isEmpty() || p.equals(".")) {
        continue;
      }
      if (p.equals("..")) {
        if (!parts.isEmpty()) {
          parts.remove(parts.size() - 1);
        }
      } else {
        parts.add(p);
      }
    }
    return parts;
  }

  /** The node at {@code path}, or {@code null} if absent; throws errno text for ENOTDIR. */
  private Node lookup(String path) {
    Node n = root;
    for (String p : components(path)) {
      if (!(n instanceof Dir d)) {
        throw new Errno(ENOTDIR);
      }
      n = d.children.get(p);
      if (n == null) {
        return null;
      }
    }
    return n;
  }

  /** The directory that would hold {@code path}; throws ENOENT or ENOTDIR as open(2) would. */
  private Dir parentOf(List<String> parts) {
    Node n = root;
    for (int i = 0; i < parts.size() - 1; i++) {
      if (!(n instanceof Dir d)) {
        throw new Errno(ENOTDIR);
      }
      n = d.children.get(parts.get(i));
      if (n == null) {
        throw new Errno(ENOENT);
      }
    }
    if (!(n instanceof Dir d)) {
      throw new Errno(ENOTDIR);
    }
    return d;
  }

  /** A system call's failure: its errno text. */
  static final class Errno extends RuntimeException {
    Errno(String text) {
      super(text, null, false, false);
    }
  }

  // -----------------------------------------------------------------------------------------------
  // Direct access (tests, built-in programs)

  void mkdirs(String path) {
    Dir d = root;
    for (String p : components(path)) {
      Node n = d.children.computeIfAbsent(p, k -> new Dir());
      if (!(n instanceof Dir next)) {
        throw new IllegalArgumentException(path + ": " + ENOTDIR);
      }
      d = next;
    }
  }

  /** Creates or replaces a file, creating its directories. */
  void put(String path, byte[] content) {
    List<String> parts = components(path);
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("not a file: " + path);
    }
    mkdirs("/" + String.join("/", parts.subList(0, parts.size() - 1)));
    Dir d = parentOf(parts);
    Node n = d.children.get(parts.get(parts.size() - 1));
    if (n instanceof Dir) {
      throw new IllegalArgumentException(path + ": " + EISDIR);
    }
    File f = n instanceof File existing ? existing : new File();
    f.data = content.clone();
    f.size = content.length;
    d.children.put(parts.get(parts.size() - 1), f);
  }

  /** The content of the file at {@code path}; throws {@link Errno} if it cannot be read. */
  byte[] read(String path) {
    Node n = lookup(path);
    if (n == null) {
      throw new Errno(ENOENT);
    }
    if (n instanceof File f) {
      return Arrays.copyOf(f.data, f.size);
    }
    throw new Errno(EISDIR);
  }

  boolean exists(String path) {
    try {
      return lookup(path) != null;
    } catch (Errno e) {
      return false;
    }
  }

  // -----------------------------------------------------------------------------------------------
  // guest-file-*

  long open(String path, String mode) {
    boolean read;
    boolean write;
    boolean create;
    boolean truncate;
    boolean append;
    switch (mode) {
      case "r", "rb" -> {
        read = true;
        write = create = truncate = append = false;
      }
      case "w", "wb" -> {
        write = create = truncate = true;
        read = append = false;
      }
      case "a", "ab" -> {
        write = create = append = true;
        read = truncate = false;
      }
      case "r+", "rb+", "r+b" -> {
        read = write = true;
        create = truncate = append = false;
      }
      case "w+", "wb+", "w+b" -> {
        read = write = create = truncate = true;
        append = false;
      }
      case "a+", "ab+", "a+b" -> {
        read = write = create = append = true;
        truncate = false;
      }
      default -> throw QmpErrorException.generic("invalid file open mode '" + mode + "'");
    }
    Node node;
    try {
      List<String> parts = components(path);
      if (parts.isEmpty()) {
        node = root;
      } else {
        Dir parent = parentOf(parts);
        String name = parts.get(parts.size() - 1);
        node = parent.children.get(name);
        if (node == null) {
          if (!create) {
            throw new Errno(ENOENT);
          }
          node = new File();
          parent.children.put(name, node);
        }
      }
      if (node instanceof Dir && write) {
        throw new Errno(EISDIR);
      }
    } catch (Errno e) {
      throw QmpErrorException.generic(
          "failed to open file '" + path + "' (mode: '" + mode + "'): " + e.getMessage());
    }
    if (truncate && node instanceof File f) {
      f.size = 0;
      f.data = new byte[0];
    }
    long id = nextHandle++;
    handles.put(id, new Handle(node, read, write, append));
    return id;
  }

  private Handle handle(long id) {
    Handle h = handles.get(id);
    if (h == null) {
      throw QmpErrorException.generic("handle '" + id + "' has not been found");
    }
    return h;
  }

  /** Checks that {@code id} is open (qemu-ga looks the handle up first). */
  void check(long id) {
    handle(id);
  }

  void close(long id) {
    handle(id);
    handles.remove(id);
  }

  ReadResult read(long id, long count) {
    Handle h = handle(id);
    if (count < 0 || count > READ_COUNT_MAX) {
      throw QmpErrorException.generic("value '" + count + "' is invalid for argument count");
    }
    if (!h.readable) {
      throw QmpErrorException.generic("failed to read file: " + EBADF);
    }
    if (!(h.node instanceof File f)) {
      throw QmpErrorException.generic("failed to read file: " + EISDIR);
    }
    long available = Math.max(0, f.size - h.position);
    int n = (int) Math.min(count, available);
    byte[] out =
        Arrays.copyOfRange(f.data, (int) Math.min(h.position, f.size), (int) (h.position + n));
    h.position += n;
    // stdio's end-of-file flag: set when a read wanted more than there was
    return new ReadResult(out, n < count);
  }

  /** Writes {@code data}; the caller has decoded and checked it. */
  int write(long id, byte[] data, int count) {
    Handle h = handle(id);
    if (!h.writable || !(h.node instanceof File f)) {
      throw QmpErrorException.generic("failed to write to file: " + EBADF);
    }
    if (h.append) {
      h.position = f.size;
    }
    long end = h.position + count;
    f.ensure(end);
    if (h.position > f.size) {
      Arrays.fill(f.data, f.size, (int) h.position, (byte) 0);
    }
    System.arraycopy(data, 0, f.data, (int) h.position, count);
    f.size = (int) Math.max(f.size, end);
    h.position = end;
    return count;
  }

  long seek(long id, long offset, int whence) {
    Handle h = handle(id);
    long base =
        switch (whence) {
          case 0 -> 0;
          case 1 -> h.position;
          default -> h.node instanceof File f ? f.size : 0;
        };
    long position = base + offset;
    if (position < 0) {
      throw QmpErrorException.generic("failed to seek file: " + EINVAL);
    }
    h.position = position;
    return position;
  }

  /** Bytes of a directory listing, one name a line (for the built-in {@code ls}). */
  byte[] list(String path) {
    Node n = lookup(path);
    if (n == null) {
      throw new Errno(ENOENT);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (n instanceof Dir d) {
      for (String name : d.children.keySet()) {
        out.writeBytes((name + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
    } else {
      List<String> parts = components(path);
      out.writeBytes(
          (parts.get(parts.size() - 1) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }
}
