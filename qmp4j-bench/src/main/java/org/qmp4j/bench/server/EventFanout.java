package org.qmp4j.bench.server;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Has a {@link BenchServer} emit {@code E} events while {@code S} negotiated sessions read them;
 * checks that every session got every event, in order, and prints the delivery rate.
 *
 * <pre>java -cp benchmarks.jar org.qmp4j.bench.server.EventFanout SOCKET_PATH [EVENTS] [SESSIONS]
 * </pre>
 */
public final class EventFanout {
  private EventFanout() {}

  public static void main(String[] args) throws Exception {
    Path socket = Path.of(args[0]);
    int events = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    int sessions = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    List<LineConnection> readers = new ArrayList<>();
    for (int i = 0; i < sessions; i++) {
      readers.add(new LineConnection(socket).negotiate());
    }
    AtomicReference<String> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    long[] lastArrival = new long[sessions];
    for (int i = 0; i < sessions; i++) {
      LineConnection c = readers.get(i);
      int index = i;
      Thread t =
          new Thread(
              () -> {
                try {
                  for (int expected = 0; expected < events; ) {
                    String line = c.line();
                    int at = line.indexOf("\"seq\": ");
                    if (at < 0) {
                      continue; // the reply to the emit command
                    }
                    int end = line.indexOf('}', at);
                    int seq = Integer.parseInt(line.substring(at + 7, end));
                    if (seq != expected) {
                      failure.compareAndSet(
                          null, "session " + index + " expected " + expected + ", got " + seq);
                      return;
                    }
                    expected++;
                  }
                  lastArrival[index] = System.nanoTime();
                } catch (Exception e) {
                  failure.compareAndSet(null, "session " + index + ": " + e);
                }
              });
      t.start();
      threads.add(t);
    }
    try (LineConnection control = new LineConnection(socket).negotiate()) {
      long t0 = System.nanoTime();
      control.write(
          "{\"execute\":\"__org.qmp4j_bench-emit\",\"arguments\":{\"count\":" + events + "}}\n");
      for (Thread t : threads) {
        t.join();
      }
      long last = 0;
      for (long l : lastArrival) {
        last = Math.max(last, l);
      }
      double seconds = (last - t0) / 1e9;
      if (failure.get() != null) {
        System.out.println("FAILED: " + failure.get());
        System.exit(1);
      }
      System.out.printf(
          Locale.ROOT,
          "%d events to %d sessions: none lost or reordered; %.2f s, %.0f events/s emitted,"
              + " %.0f deliveries/s%n",
          events,
          sessions,
          seconds,
          events / seconds,
          (double) events * sessions / seconds);
    } finally {
      for (LineConnection c : readers) {
        c.close();
      }
    }
  }
}
