package org.qmp4j.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Transports#stdio()} in a real child process, over real pipes. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StdioIT {

  @Test
  void aChildProcessTalksOverItsStandardInputAndOutput() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                "-Xshare:auto",
                "-XX:TieredStopAtLevel=1",
                StdioEcho.class.getName())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try {
      byte[] payload = new byte[4 * 1024 * 1024]; // more than any pipe buffer holds
      for (int i = 0; i < payload.length; i++) {
        payload[i] = (byte) (i % 251);
      }
      CompletableFuture<Void> writer =
          CompletableFuture.runAsync(
              () -> {
                try (OutputStream in = child.getOutputStream()) {
                  in.write(payload);
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              });
      InputStream out = child.getInputStream();
      byte[] echoed = out.readNBytes(payload.length);
      writer.get(60, TimeUnit.SECONDS);
      assertArrayEquals(payload, echoed);
      // Our closing its standard input is its end of stream; it answers and closes its output.
      byte[] rest = out.readAllBytes();
      assertEquals("bye\n", new String(rest, StandardCharsets.US_ASCII), Arrays.toString(rest));
      assertTrue(child.waitFor(30, TimeUnit.SECONDS));
      assertEquals(0, child.exitValue());
    } finally {
      child.destroyForcibly();
    }
  }
}
