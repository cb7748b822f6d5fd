package org.qmp4j.server.internal;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Bytes waiting to go to one peer: appended at the end, written from the front. */
final class OutputBuffer {
  private static final int INITIAL = 256;
  private static final int RETAINED = 256 * 1024;

  private byte[] bytes = new byte[INITIAL];
  private int start;
  private int end;

  int pending() {
    return end - start;
  }

  void append(byte[] src, int off, int len) {
    if (end + len > bytes.length) {
      makeRoom(len);
    }
    System.arraycopy(src, off, bytes, end, len);
    end += len;
  }

  private void makeRoom(int len) {
    int pending = end - start;
    int need = pending + len;
    if (need <= bytes.length) {
      System.arraycopy(bytes, start, bytes, 0, pending);
    } else {
      byte[] larger = new byte[Math.max(need, bytes.length * 2)];
      System.arraycopy(bytes, start, larger, 0, pending);
      bytes = larger;
    }
    start = 0;
    end = pending;
  }

  /**
   * Writes as much as the channel takes, through {@code direct} (a scratch buffer); returns true if
   * everything went.
   */
  boolean writeTo(Endpoint channel, ByteBuffer direct) throws IOException {
    while (start < end) {
      int len = Math.min(end - start, direct.capacity());
      direct.clear();
      direct.put(bytes, start, len).flip();
      int n = channel.write(direct);
      if (n <= 0) {
        return false;
      }
      start += n;
      if (n < len) {
        return false;
      }
    }
    start = 0;
    end = 0;
    if (bytes.length > RETAINED) {
      bytes = new byte[INITIAL];
    }
    return true;
  }

  void clear() {
    start = 0;
    end = 0;
    bytes = new byte[INITIAL];
  }
}
