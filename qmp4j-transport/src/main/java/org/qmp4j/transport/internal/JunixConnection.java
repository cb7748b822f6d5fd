package org.qmp4j.transport.internal;

import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.qmp4j.transport.QmpAddress;

/**
 * A unix connection through junixsocket, which can send and receive descriptors (SCM_RIGHTS).
 *
 * <p>Two of junixsocket's habits shape this class. It copies heap buffers through a per-thread
 * direct buffer that it caches up to 1 MiB and allocates anew above that, so heap buffers are read
 * and written in slices of at most {@link SocketConnection#SLICE} bytes (1 MiB). And it forgets the
 * outbound descriptors before its {@code sendmsg}, whether or not that sends anything, so a write
 * that sends nothing is reported as "descriptors not sent".
 */
final class JunixConnection extends SocketConnection {
  /**
   * Bytes of ancillary receive buffer. junixsocket 2.10 caps what it allocates at 256 bytes (room
   * for 60 descriptors in one message) whatever is asked for.
   */
  private static final int ANCILLARY_BUFFER = 256;

  private final AFUNIXSocketChannel junix;

  JunixConnection(AFUNIXSocketChannel channel, QmpAddress address) {
    super(channel, address);
    this.junix = channel;
    channel.ensureAncillaryReceiveBufferSize(ANCILLARY_BUFFER);
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    int n;
    try {
      n = readSlice(dst);
    } catch (IOException e) {
      throw closedMeanwhile(e);
    }
    if (n < 0 && !junix.isOpen()) {
      // junixsocket's close shuts the socket down, so a read blocked in another thread sees the
      // end of the stream; the JDK (and our contract) report an asynchronous close instead.
      throw new AsynchronousCloseException();
    }
    return n;
  }

  private int readSlice(ByteBuffer dst) throws IOException {
    if (dst.isDirect() || dst.remaining() <= SLICE) {
      return junix.read(dst);
    }
    int limit = dst.limit();
    dst.limit(dst.position() + SLICE);
    try {
      return junix.read(dst);
    } finally {
      dst.limit(limit);
    }
  }

  /** An I/O failure caused by a concurrent close, reported as the JDK reports it. */
  private IOException closedMeanwhile(IOException e) {
    if (junix.isOpen() || e instanceof ClosedChannelException) {
      return e;
    }
    AsynchronousCloseException closed = new AsynchronousCloseException();
    closed.initCause(e);
    return closed;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    return write(src, (FileDescriptor[]) null);
  }

  @Override
  public int write(ByteBuffer src, FileDescriptor... fds) throws IOException {
    boolean passing = fds != null && fds.length > 0;
    if (passing) {
      if (!src.hasRemaining()) {
        throw new IllegalArgumentException(
            "descriptors cannot be sent without data: give at least one byte");
      }
      for (FileDescriptor fd : fds) {
        if (fd == null || !fd.valid()) {
          throw new IllegalArgumentException("not a valid file descriptor: " + fd);
        }
      }
    }
    int total = 0;
    boolean blocking = junix.isBlocking();
    do {
      if (passing && total == 0) {
        junix.setOutboundFileDescriptors(fds);
      }
      int n;
      try {
        n = writeSlice(src);
      } catch (IOException e) {
        throw closedMeanwhile(e);
      } finally {
        if (passing && total == 0) {
          clearOutbound();
        }
      }
      if (n <= 0) {
        break;
      }
      total += n;
    } while (blocking && src.hasRemaining());
    return total;
  }

  /** junixsocket clears them itself before its sendmsg; this makes sure on every path. */
  private void clearOutbound() {
    try {
      junix.setOutboundFileDescriptors((FileDescriptor[]) null);
    } catch (IOException e) {
      // closed: nothing will be sent anyway
    }
  }

  private int writeSlice(ByteBuffer src) throws IOException {
    if (src.isDirect() || src.remaining() <= SLICE) {
      return junix.write(src);
    }
    int limit = src.limit();
    src.limit(src.position() + SLICE);
    try {
      return junix.write(src);
    } finally {
      src.limit(limit);
    }
  }

  @Override
  public int write(ByteBuffer src, int[] fds) throws IOException {
    if (fds == null || fds.length == 0) {
      return write(src);
    }
    FileDescriptor[] descriptors = new FileDescriptor[fds.length];
    for (int i = 0; i < fds.length; i++) {
      if (fds[i] < 0) {
        throw new IllegalArgumentException("not a valid file descriptor: " + fds[i]);
      }
      descriptors[i] = JunixSupport.fileDescriptor(fds[i]);
    }
    return write(src, descriptors);
  }

  @Override
  public boolean canPassDescriptors() {
    return true;
  }

  @Override
  public List<FileDescriptor> receivedDescriptors() {
    try {
      return List.of(junix.getReceivedFileDescriptors());
    } catch (IOException e) {
      return List.of();
    }
  }
}
