package org.qmp4j.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.qmp4j.transport.internal.StdioConnection;

class StdioConnectionTest {

  /** An output stream that remembers whether it was closed. */
  static final class Recording extends ByteArrayOutputStream {
    boolean closed;

    @Override
    public void close() throws IOException {
      closed = true;
      super.close();
    }
  }

  private static StdioConnection over(String input, OutputStream out) {
    return new StdioConnection(
        new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), out);
  }

  @Test
  void readsUntilTheEndOfInputAndWritesEverything() throws Exception {
    Recording out = new Recording();
    try (StdioConnection c = over("{\"execute\": \"qmp_capabilities\"}\n", out)) {
      assertEquals(Optional.of(QmpAddress.STDIO), c.address());
      assertEquals(Optional.empty(), c.socketChannel());
      ByteBuffer b = ByteBuffer.allocate(100);
      int n = c.read(b);
      assertEquals(32, n);
      assertEquals(-1, c.read(b));
      ByteBuffer reply = ByteBuffer.wrap("{\"return\": {}}\r\n".getBytes(StandardCharsets.UTF_8));
      assertEquals(16, c.write(reply));
      assertFalse(reply.hasRemaining());
      assertEquals("{\"return\": {}}\r\n", out.toString(StandardCharsets.UTF_8));
    }
    assertTrue(out.closed);
  }

  @Test
  void shutdownOutputClosesOnlyTheOutput() throws Exception {
    Recording out = new Recording();
    StdioConnection c = over("still readable", out);
    c.shutdownOutput();
    assertTrue(out.closed);
    assertEquals(14, c.read(ByteBuffer.allocate(20)));
    c.shutdownOutput(); // twice is fine
    c.close();
  }

  @Test
  void closeIsIdempotentAndFinal() throws Exception {
    Recording out = new Recording();
    StdioConnection c = over("x", out);
    c.close();
    c.close();
    assertFalse(c.isOpen());
    assertThrows(ClosedChannelException.class, () -> c.read(ByteBuffer.allocate(1)));
    assertThrows(ClosedChannelException.class, () -> c.write(ByteBuffer.allocate(1)));
  }

  @Test
  void descriptorsCannotTravelOverStdio() throws Exception {
    try (StdioConnection c = over("", new Recording())) {
      assertFalse(c.canPassDescriptors());
      assertTrue(c.receivedDescriptors().isEmpty());
      UnsupportedOperationException e =
          assertThrows(
              UnsupportedOperationException.class,
              () -> c.write(ByteBuffer.wrap(new byte[] {1}), FileDescriptor.in));
      assertEquals(
          "cannot pass file descriptors over stdio: descriptor passing needs a unix socket",
          e.getMessage());
      assertThrows(
          UnsupportedOperationException.class,
          () -> c.write(ByteBuffer.wrap(new byte[] {1}), new int[] {0}));
    }
  }
}
