package org.qmp4j.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A program run by a test in its own temporary directory, with its output in a file there, killed
 * (and the directory deleted) on {@link #close()} or, failing that, when the JVM exits.
 */
final class ChildProcess implements AutoCloseable {

  /** Longest unix socket path the kernel takes is 107 bytes; leave room for names. */
  private static final int MAX_DIR_LENGTH = 80;

  private final Path directory;
  private final Path log;
  private final Process process;
  private final Thread killer;

  private ChildProcess(Path directory, Path log, Process process) {
    this.directory = directory;
    this.log = log;
    this.process = process;
    this.killer = new Thread(process::destroyForcibly, "kill " + process.pid());
    Runtime.getRuntime().addShutdownHook(killer);
  }

  /** A fresh temporary directory for one child, short enough for unix socket paths inside it. */
  static Path newDirectory(String prefix) {
    try {
      Path dir = Files.createTempDirectory(prefix);
      if (dir.toString().length() > MAX_DIR_LENGTH) {
        Files.delete(dir);
        dir = Files.createTempDirectory(Path.of("/tmp"), prefix);
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts {@code command} in {@code directory}, stdout and stderr going to {@code logName} there,
   * and waits until every socket in {@code sockets} exists.
   *
   * @throws IllegalStateException if the program exits or the time runs out first; the program is
   *     then killed, its directory deleted, and the message has the command line and the output
   */
  static ChildProcess start(
      Path directory, String logName, List<String> command, List<Path> sockets, Duration timeout) {
    Path log = directory.resolve(logName);
    Process p;
    try {
      p =
          new ProcessBuilder(command)
              .directory(directory.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      p.getOutputStream().close();
    } catch (IOException e) {
      deleteTree(directory);
      throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
    }
    ChildProcess child = new ChildProcess(directory, log, p);
    try {
      for (Path socket : sockets) {
        child.awaitSocket(socket, timeout);
      }
    } catch (RuntimeException e) {
      String output = child.output();
      child.close();
      throw new IllegalStateException(
          String.join(" ", command) + ": " + e.getMessage() + "; its output:\n" + output, e);
    }
    return child;
  }

  private void awaitSocket(Path socket, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!Files.exists(socket)) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "exited with status " + process.exitValue() + " before creating " + socket);
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("no " + socket + " after " + timeout);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for " + socket, e);
      }
    }
  }

  Path directory() {
    return directory;
  }

  Process process() {
    return process;
  }

  /** What the program printed so far (stdout and stderr). */
  String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  /** Terminates the program (SIGTERM, then SIGKILL after 5 s) and deletes its directory. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(killer);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
    deleteTree(directory);
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a leftover temporary directory is not worth failing a test for
    }
  }
}
