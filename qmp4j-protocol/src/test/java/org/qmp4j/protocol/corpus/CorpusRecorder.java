package org.qmp4j.protocol.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.qmp4j.protocol.corpus.CorpusCases.Case;
import org.qmp4j.protocol.corpus.CorpusRecording.CaseRecording;
import org.qmp4j.protocol.corpus.CorpusRecording.Reply;

/**
 * Records the codec corpus against a real QEMU: starts {@code qemu-system-x86_64 -S -machine none
 * -nodefaults -display none} with two QMP monitors on UNIX sockets (one compact, one {@code
 * pretty=on}), and for each case opens a fresh connection (so QEMU's parser starts fresh), reads
 * the greeting, sends {@code qmp_capabilities} (without {@code oob}, so replies come strictly in
 * order) unless the case says not to, sends the case's bytes followed by the terminator, and
 * collects every message up to the reply whose id is {@code "corpus-end"}.
 *
 * <p>Run through {@code scripts/record-codec-corpus}; see {@code docs/codec-corpus.md}.
 */
public final class CorpusRecorder implements AutoCloseable {

  /** The id of the terminator's request; the reply carrying it ends a case. */
  public static final String END_ID = "\"corpus-end\"";

  private static final byte[] NEGOTIATE =
      "{\"execute\":\"qmp_capabilities\"}".getBytes(StandardCharsets.US_ASCII);
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Process qemu;
  private final Path dir;
  private final Path compactSocket;
  private final Path prettySocket;
  private final ScheduledExecutorService watchdog;
  private String greeting;
  private String prettyGreeting;

  private CorpusRecorder(Process qemu, Path dir) {
    this.qemu = qemu;
    this.dir = dir;
    this.compactSocket = dir.resolve("compact.sock");
    this.prettySocket = dir.resolve("pretty.sock");
    this.watchdog =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "corpus-watchdog");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts QEMU ({@code binary}, a path or a name on the PATH) with the two monitors. */
  public static CorpusRecorder start(String binary) throws IOException {
    Path dir = Files.createTempDirectory("qmp4j-corpus");
    List<String> command =
        List.of(
            binary,
            "-S",
            "-machine",
            "none",
            "-nodefaults",
            "-display",
            "none",
            "-chardev",
            "socket,id=mon0,path=" + dir.resolve("compact.sock") + ",server=on,wait=off",
            "-mon",
            "chardev=mon0,mode=control",
            "-chardev",
            "socket,id=mon1,path=" + dir.resolve("pretty.sock") + ",server=on,wait=off",
            "-mon",
            "chardev=mon1,mode=control,pretty=on");
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("qemu.log").toFile())
            .start();
    CorpusRecorder recorder = new CorpusRecorder(process, dir);
    try {
      recorder.greeting = recorder.probeGreeting(recorder.compactSocket, false);
      recorder.prettyGreeting = recorder.probeGreeting(recorder.prettySocket, true);
    } catch (IOException | RuntimeException e) {
      recorder.close();
      throw e;
    }
    return recorder;
  }

  /** The compact monitor's greeting, exact bytes as ISO-8859-1 text. */
  public String greeting() {
    return greeting;
  }

  /** The pretty monitor's greeting. */
  public String prettyGreeting() {
    return prettyGreeting;
  }

  /** QEMU's version from the greeting, as {@code major.minor.micro (package)}. */
  public String version() {
    try {
      JsonNode v = MAPPER.readTree(greeting).path("QMP").path("version");
      JsonNode q = v.path("qemu");
      String pkg = v.path("package").asText("");
      return q.path("major").asText()
          + "."
          + q.path("minor").asText()
          + "."
          + q.path("micro").asText()
          + (pkg.isEmpty() ? "" : " (" + pkg + ")");
    } catch (IOException e) {
      throw new IllegalStateException("unreadable greeting " + greeting, e);
    }
  }

  private String probeGreeting(Path socket, boolean pretty) throws IOException {
    try (SocketChannel channel = connect(socket)) {
      return text(new MessageReader(channel, pretty).next());
    }
  }

  /**
   * Records one case: fresh connection, greeting, negotiation, input, terminator, replies up to the
   * terminator's.
   */
  public CaseRecording record(Case c, byte[] terminator, Duration timeout) throws IOException {
    byte[] input = c.input();
    ByteBuffer out = ByteBuffer.allocate(input.length + terminator.length);
    out.put(input).put(terminator).flip();
    List<Reply> replies = new ArrayList<>();
    try (SocketChannel channel = connect(c.pretty() ? prettySocket : compactSocket)) {
      ScheduledFuture<?> alarm =
          watchdog.schedule(
              () -> {
                try {
                  channel.close();
                } catch (IOException ignored) {
                  // closing is all the watchdog can do
                }
              },
              timeout.toMillis(),
              TimeUnit.MILLISECONDS);
      MessageReader reader = new MessageReader(channel, c.pretty());
      AtomicReference<Throwable> sendFailure = new AtomicReference<>();
      Thread sender = null;
      try {
        reader.next(); // greeting
        if (c.negotiate()) {
          writeFully(channel, ByteBuffer.wrap(NEGOTIATE));
          String reply = text(reader.next());
          if (!RawJson.members(reply).containsKey("return")) {
            throw new IOException("qmp_capabilities failed: " + reply);
          }
        }
        sender =
            new Thread(
                () -> {
                  try {
                    writeFully(channel, out);
                  } catch (IOException | RuntimeException e) {
                    sendFailure.set(e);
                  }
                },
                "corpus-sender");
        sender.setDaemon(true);
        sender.start();
        while (true) {
          byte[] message = reader.next();
          replies.add(CorpusRecording.reply(message));
          if (END_ID.equals(RawJson.members(text(message)).get("id"))) {
            break;
          }
        }
        sender.join(timeout.toMillis());
      } catch (ClosedChannelException e) {
        throw new IOException(
            c.name() + ": no reply with id corpus-end within " + timeout + "; got " + replies, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      } finally {
        alarm.cancel(false);
      }
      if (sendFailure.get() != null) {
        throw new IOException(c.name() + ": sending failed", sendFailure.get());
      }
      if (!qemu.isAlive()) {
        throw new IOException(c.name() + ": QEMU exited with " + qemu.exitValue() + log());
      }
    }
    return new CaseRecording(
        c.name(), input.length, CorpusCases.sha256(input), List.copyOf(replies));
  }

  private static void writeFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  private SocketChannel connect(Path socket) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      if (!qemu.isAlive()) {
        throw new IOException("QEMU exited with " + qemu.exitValue() + log());
      }
      SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        channel.connect(UnixDomainSocketAddress.of(socket));
        return channel;
      } catch (ConnectException | java.nio.file.NoSuchFileException e) {
        channel.close();
      } catch (IOException e) {
        channel.close();
        if (Files.exists(socket)) {
          throw e;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("QEMU does not listen on " + socket + log());
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
  }

  private String log() {
    try {
      return "\n" + Files.readString(dir.resolve("qemu.log"), StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public void close() throws IOException {
    watchdog.shutdownNow();
    qemu.destroy();
    try {
      if (!qemu.waitFor(5, TimeUnit.SECONDS)) {
        qemu.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  static String text(byte[] message) {
    return new String(message, StandardCharsets.ISO_8859_1);
  }

  /** Splits QEMU's output into messages: one line each, or in pretty mode up to a line "}". */
  private static final class MessageReader {
    private final SocketChannel channel;
    private final boolean pretty;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
    private final ByteArrayOutputStream message = new ByteArrayOutputStream();
    private int lineStart;

    MessageReader(SocketChannel channel, boolean pretty) {
      this.channel = channel;
      this.pretty = pretty;
      buffer.flip();
    }

    byte[] next() throws IOException {
      while (true) {
        while (buffer.hasRemaining()) {
          byte b = buffer.get();
          message.write(b);
          if (b != '\n') {
            continue;
          }
          byte[] soFar = message.toByteArray();
          boolean end = true;
          if (pretty) {
            byte[] line = Arrays.copyOfRange(soFar, lineStart, soFar.length);
            end = Arrays.equals(line, "}\r\n".getBytes(StandardCharsets.US_ASCII));
            lineStart = soFar.length;
          }
          if (end) {
            message.reset();
            lineStart = 0;
            return soFar;
          }
        }
        buffer.clear();
        int n = channel.read(buffer);
        buffer.flip();
        if (n < 0) {
          throw new EOFException("QEMU closed the connection; partial message: " + message);
        }
      }
    }
  }

  // --- command line ---

  /**
   * {@code CorpusRecorder [--qemu BINARY] [--cases FILE] [--out FILE] [--only NAME,...]
   * [--max-input-bytes N] [--jobs N]}. With {@code --only} or {@code --max-input-bytes}, cases not
   * recorded keep their previous recording from {@code --out} (if their input is unchanged). With
   * {@code --jobs}, that many QEMU processes record in parallel.
   */
  public static void main(String[] args) throws Exception {
    String binary = System.getenv().getOrDefault("QMP4J_QEMU", "qemu-system-x86_64");
    Path casesFile = Paths.get("qmp4j-protocol/src/test/resources/corpus/cases.json");
    Path outFile = Paths.get("qmp4j-protocol/src/test/resources/corpus/qemu-7.2.replies.jsonl");
    Set<String> only = null;
    long maxInput = Long.MAX_VALUE;
    int jobs = 1;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--qemu" -> binary = args[++i];
        case "--cases" -> casesFile = Paths.get(args[++i]);
        case "--out" -> outFile = Paths.get(args[++i]);
        case "--only" -> only = new HashSet<>(Arrays.asList(args[++i].split(",")));
        case "--max-input-bytes" -> maxInput = Long.parseLong(args[++i]);
        case "--jobs" -> jobs = Integer.parseInt(args[++i]);
        default -> {
          System.err.println(
              "usage: CorpusRecorder [--qemu BINARY] [--cases FILE] [--out FILE]"
                  + " [--only NAME,...] [--max-input-bytes N] [--jobs N]");
          System.exit(2);
        }
      }
    }
    CorpusCases cases = CorpusCases.load(casesFile);
    List<Case> selected = select(cases, only, maxInput);
    boolean partial = selected.size() < cases.cases().size();
    Map<String, CaseRecording> previous = new LinkedHashMap<>();
    if (partial && Files.exists(outFile)) {
      previous.putAll(CorpusRecording.read(outFile).cases());
    }
    long start = System.nanoTime();
    CorpusRecording recording = record(binary, cases, selected, previous, true, jobs);
    recording.write(outFile);
    System.err.printf(
        "recorded %d of %d cases against QEMU %s in %.1f s into %s%n",
        selected.size(),
        cases.cases().size(),
        recording.qemu(),
        (System.nanoTime() - start) / 1e9,
        outFile);
  }

  /** The cases named in {@code only} (all if null) with inputs of at most {@code maxInput}. */
  public static List<Case> select(CorpusCases cases, Set<String> only, long maxInput) {
    if (only != null) {
      for (String name : only) {
        cases.get(name); // fails on unknown names
      }
    }
    return cases.cases().stream()
        .filter(c -> only == null || only.contains(c.name()))
        .filter(c -> c.inputLength() <= maxInput)
        .toList();
  }

  /**
   * Records {@code selected} against {@code binary}; the result lists every case of {@code cases}
   * that was recorded now or has an up-to-date entry in {@code previous}, in file order.
   */
  public static CorpusRecording record(
      String binary,
      CorpusCases cases,
      List<Case> selected,
      Map<String, CaseRecording> previous,
      boolean progress)
      throws IOException {
    return record(binary, cases, selected, previous, progress, 1);
  }

  /**
   * As {@link #record(String, CorpusCases, List, Map, boolean)}, with {@code jobs} QEMU processes
   * recording in parallel (each case still gets its own fresh connection; results do not depend on
   * {@code jobs}).
   */
  public static CorpusRecording record(
      String binary,
      CorpusCases cases,
      List<Case> selected,
      Map<String, CaseRecording> previous,
      boolean progress,
      int jobs)
      throws IOException {
    Map<String, CaseRecording> fresh = new java.util.concurrent.ConcurrentHashMap<>();
    java.util.concurrent.ConcurrentLinkedQueue<Case> queue =
        new java.util.concurrent.ConcurrentLinkedQueue<>();
    // Longest first, so that parallel jobs finish together.
    selected.stream()
        .sorted(Comparator.comparingLong(Case::inputLength).reversed())
        .forEach(queue::add);
    byte[] terminator = cases.terminator();
    List<CorpusRecorder> recorders = new ArrayList<>();
    try {
      for (int i = 0; i < Math.max(1, Math.min(jobs, selected.size())); i++) {
        recorders.add(start(binary));
      }
      List<Thread> threads = new ArrayList<>();
      AtomicReference<IOException> failure = new AtomicReference<>();
      for (CorpusRecorder recorder : recorders) {
        Thread t =
            new Thread(
                () -> {
                  for (Case c = queue.poll();
                      c != null && failure.get() == null;
                      c = queue.poll()) {
                    long t0 = System.nanoTime();
                    // QEMU reads its monitor one byte at a time: 3-4 us per byte on an idle
                    // machine,
                    // ten times more on a busy one.
                    Duration timeout = Duration.ofSeconds(20).plusNanos(c.inputLength() * 100_000L);
                    try {
                      fresh.put(c.name(), recorder.record(c, terminator, timeout));
                    } catch (IOException e) {
                      failure.compareAndSet(null, e);
                      return;
                    }
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    if (progress && seconds > 1) {
                      System.err.printf("  %-45s %8.1f s%n", c.name(), seconds);
                    }
                  }
                },
                "corpus-job-" + threads.size());
        threads.add(t);
        t.start();
      }
      for (Thread t : threads) {
        t.join();
      }
      if (failure.get() != null) {
        throw failure.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      for (CorpusRecorder r : recorders) {
        r.close();
      }
    }
    CorpusRecorder first = recorders.get(0);
    String qemuVersion = first.version();
    String greeting = first.greeting();
    String prettyGreeting = first.prettyGreeting();
    List<CaseRecording> all = new ArrayList<>();
    for (Case c : cases.cases()) {
      CaseRecording r = fresh.get(c.name());
      if (r == null) {
        r = previous.get(c.name());
        if (r != null && !r.inputSha256().equals(c.inputSha256())) {
          System.err.println("  dropping stale recording of " + c.name() + " (input changed)");
          r = null;
        }
      }
      if (r != null) {
        all.add(r);
      }
    }
    return new CorpusRecording(qemuVersion, greeting, prettyGreeting, all);
  }
}
