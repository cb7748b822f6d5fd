package org.qmp4j.conformance;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The named pipes of one replay. A server that reads one blocks until the pipe is released, which
 * is how a transcript holds a command in execution (QEMU's own test of OOB does it with blkdebug's
 * {@code config} file). Every pipe is released when the replay ends, whatever happened.
 */
final class Fifos implements AutoCloseable {
  private static final long RELEASE_TIMEOUT_MILLIS = 5000;

  private Path directory;
  private final Map<String, Path> fifos = new LinkedHashMap<>();
  private final Map<String, Boolean> released = new LinkedHashMap<>();

  void create(String name) throws IOException, InterruptedException {
    if (directory == null) {
      directory = Files.createTempDirectory(Path.of("/tmp"), "qmp4j-fifo");
    }
    Path p = directory.resolve(name);
    Process mkfifo = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
    if (mkfifo.waitFor() != 0) {
      throw new IOException("mkfifo " + p + " failed");
    }
    fifos.put(name, p);
    released.put(name, false);
  }

  /** {@code bytes} with every {@code ${name}} of a pipe replaced by its path. */
  byte[] substitute(byte[] bytes) {
    if (fifos.isEmpty()) {
      return bytes;
    }
    String s = new String(bytes, StandardCharsets.ISO_8859_1);
    for (Map.Entry<String, Path> f : fifos.entrySet()) {
      s = s.replace("${" + f.getKey() + "}", f.getValue().toString());
    }
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * Opens the pipe for writing and closes it, so that its reader sees end-of-file. Opening waits
   * for a reader; if none comes, the pipe is opened for reading here to get unstuck.
   *
   * @return null, or what went wrong
   */
  String release(String name) throws InterruptedException {
    Path p = fifos.get(name);
    released.put(name, true);
    CompletableFuture<Void> done =
        CompletableFuture.runAsync(
            () -> {
              try (OutputStream out = new FileOutputStream(p.toFile())) {
                // opened: the reader is there; closing gives it end-of-file
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    try {
      done.get(RELEASE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
      return null;
    } catch (TimeoutException e) {
      try (InputStream in = new FileInputStream(p.toFile())) {
        done.get(RELEASE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
      } catch (Exception ignored) {
        // nothing more to do
      }
      return "nobody read the pipe " + name + " within " + RELEASE_TIMEOUT_MILLIS + " ms";
    } catch (java.util.concurrent.ExecutionException e) {
      return "releasing the pipe " + name + ": " + e.getCause();
    }
  }

  @Override
  public void close() throws InterruptedException {
    for (Map.Entry<String, Boolean> r : released.entrySet()) {
      if (!r.getValue()) {
        release(r.getKey());
      }
    }
    for (Path p : fifos.values()) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        // a leftover pipe in /tmp is harmless
      }
    }
    if (directory != null) {
      try {
        Files.deleteIfExists(directory);
      } catch (IOException e) {
        // likewise
      }
    }
  }
}
