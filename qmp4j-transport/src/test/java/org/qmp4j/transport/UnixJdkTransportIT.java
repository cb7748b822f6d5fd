package org.qmp4j.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The contract over the JDK's own unix domain socket channels. */
class UnixJdkTransportIT extends UnixTransportContract {
  @Override
  protected TransportOptions options() {
    return TransportOptions.DEFAULTS;
  }

  @Override
  protected String name() {
    return "unix/jdk";
  }

  @Test
  void descriptorsAreRefusedWithAnExplanation() throws Exception {
    try (QmpListener listener = listen();
        Pair p = pair(listener);
        FileInputStream file = new FileInputStream("/proc/self/stat")) {
      assertFalse(p.client.canPassDescriptors());
      assertFalse(p.client.socketChannel().orElseThrow().getClass().getName().contains("newsclub"));
      UnsupportedOperationException e =
          assertThrows(
              UnsupportedOperationException.class,
              () -> p.client.write(ByteBuffer.wrap(new byte[] {'x'}), file.getFD()));
      assertEquals(
          "cannot pass file descriptors over "
              + listener.localAddress()
              + ": this connection uses the JDK's unix channels, which lack SCM_RIGHTS; connect"
              + " with TransportOptions.newBuilder().descriptorPassing(true)",
          e.getMessage());
      // No descriptors: a plain write.
      assertEquals(1, p.client.write(ByteBuffer.wrap(new byte[] {'y'}), new FileDescriptor[0]));
      assertEquals("y", readExactly(p.server, 1));
      assertTrue(p.server.receivedDescriptors().isEmpty());
    }
  }
}
