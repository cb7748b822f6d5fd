package org.qmp4j.transport;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** A child process for {@link StdioIT}: echoes standard input to standard output, then "bye". */
public final class StdioEcho {
  private StdioEcho() {}

  public static void main(String[] args) throws Exception {
    try (QmpConnection c = Transports.stdio()) {
      if (!c.address().equals(java.util.Optional.of(QmpAddress.STDIO))) {
        System.exit(3);
      }
      ByteBuffer b = ByteBuffer.allocate(8192);
      while (c.read(b) >= 0) {
        b.flip();
        c.write(b);
        b.clear();
      }
      c.write(ByteBuffer.wrap("bye\n".getBytes(StandardCharsets.US_ASCII)));
    }
  }
}
