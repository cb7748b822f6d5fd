package org.qmp4j.bench.server;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Opens N negotiated sessions to a {@link BenchServer} and leaves them idle, then asks the server
 * for its heap in use after a GC.
 *
 * <pre>java -cp benchmarks.jar org.qmp4j.bench.server.IdleSessions SOCKET_PATH [N]</pre>
 */
public final class IdleSessions {
  private IdleSessions() {}

  public static void main(String[] args) throws Exception {
    Path socket = Path.of(args[0]);
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    List<LineConnection> sessions = new ArrayList<>(n);
    try (LineConnection probe = new LineConnection(socket).negotiate()) {
      String before = heap(probe);
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        sessions.add(new LineConnection(socket).negotiate());
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      String after = heap(probe);
      System.out.printf(
          Locale.ROOT,
          "%d idle negotiated sessions opened in %.1f s%nheap before: %s%nheap after:  %s%n",
          n,
          seconds,
          before,
          after);
    } finally {
      for (LineConnection c : sessions) {
        c.close();
      }
    }
  }

  private static String heap(LineConnection c) throws Exception {
    c.write("{\"execute\":\"__org.qmp4j_bench-heap\"}\n");
    return c.line();
  }
}
