package org.qmp4j.transport.internal;

import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.qmp4j.transport.QmpConnection;

/**
 * A connection that cannot pass file descriptors: a write with none is a plain write, a write with
 * any is refused with a message saying why, and nothing is ever received.
 */
abstract class WithoutDescriptors implements QmpConnection {

  /** Why descriptors cannot travel over this connection: the refusal's message. */
  abstract String cannotPassReason();

  @Override
  public int write(ByteBuffer src, FileDescriptor... fds) throws IOException {
    if (fds == null || fds.length == 0) {
      return write(src);
    }
    throw new UnsupportedOperationException(cannotPassReason());
  }

  @Override
  public int write(ByteBuffer src, int[] fds) throws IOException {
    if (fds == null || fds.length == 0) {
      return write(src);
    }
    throw new UnsupportedOperationException(cannotPassReason());
  }

  @Override
  public boolean canPassDescriptors() {
    return false;
  }

  @Override
  public List<FileDescriptor> receivedDescriptors() {
    return List.of();
  }
}
