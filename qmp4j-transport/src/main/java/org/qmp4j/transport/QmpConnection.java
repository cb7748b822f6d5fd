package org.qmp4j.transport;

import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Optional;

/**
 * A byte stream to one QMP peer: a connected socket (unix or TCP), standard input and output, or an
 * adopted channel.
 *
 * <p>{@link #read} and {@link #write} follow the {@link ByteChannel} contract: in blocking mode
 * (the mode every connection starts in) {@code read} waits for at least one byte and returns {@code
 * -1} at the end of the stream, and {@code write} writes every remaining byte. Socket connections
 * also expose their {@link #socketChannel()}: switch it to non-blocking mode to use it with a
 * {@link java.nio.channels.Selector} opened from {@code socketChannel().provider()} (a
 * descriptor-passing connection's channel belongs to junixsocket's selector provider, not the
 * JDK's).
 *
 * <p>Descriptor passing (SCM_RIGHTS) works only on unix socket connections opened with {@link
 * TransportOptions.Builder#descriptorPassing(boolean)}; see {@link #canPassDescriptors()}.
 *
 * <p>One thread may read while another writes; two concurrent readers or two concurrent writers
 * must synchronise themselves. Closing from any thread wakes a blocked reader or writer (socket
 * connections) with {@link java.nio.channels.AsynchronousCloseException}.
 */
public interface QmpConnection extends ByteChannel {

  /**
   * The address this connection was made with: the address connected to, the listening address for
   * an accepted connection, {@link QmpAddress#STDIO} for standard input and output. Empty for an
   * adopted channel whose addresses are unnamed (a socket pair, say).
   */
  Optional<QmpAddress> address();

  /**
   * Reads bytes from the peer into {@code dst}.
   *
   * @return the number of bytes read, possibly zero (in non-blocking mode), or {@code -1} at the
   *     end of the stream: the peer closed or shut down its output
   */
  @Override
  int read(ByteBuffer dst) throws IOException;

  /**
   * Writes bytes from {@code src} to the peer. In blocking mode, writes them all.
   *
   * @return the number of bytes written, possibly zero (in non-blocking mode)
   */
  @Override
  int write(ByteBuffer src) throws IOException;

  /**
   * Writes bytes with file descriptors attached: the descriptors travel in the same {@code sendmsg}
   * as the first bytes written (SCM_RIGHTS), which is where QEMU's {@code getfd} and {@code add-fd}
   * look for them. The descriptors stay open on this side; the peer gets duplicates.
   *
   * <p>In non-blocking mode, a return value of 0 means nothing was sent, descriptors included: call
   * again with the same descriptors. A positive return value means the descriptors went with the
   * first of those bytes.
   *
   * @param src at least one byte (descriptors cannot travel without data)
   * @param fds the descriptors to pass; none means a plain {@link #write(ByteBuffer)}
   * @throws UnsupportedOperationException if this connection cannot pass descriptors ({@link
   *     #canPassDescriptors()} is false); the message says why
   * @throws IllegalArgumentException if {@code src} is empty or a descriptor is not valid
   */
  int write(ByteBuffer src, FileDescriptor... fds) throws IOException;

  /**
   * As {@link #write(ByteBuffer, FileDescriptor...)}, with descriptors given as numbers (for
   * example obtained from native code). The numbers must be open descriptors of this process.
   */
  int write(ByteBuffer src, int[] fds) throws IOException;

  /**
   * Whether {@link #write(ByteBuffer, FileDescriptor...)} can attach descriptors and {@link
   * #receivedDescriptors()} can return any: true only for unix socket connections opened (or
   * accepted) with descriptor passing enabled.
   */
  boolean canPassDescriptors();

  /**
   * Takes the descriptors the peer attached to the bytes returned by {@link #read} since the last
   * call: each call returns them once, in the order received, and forgets them.
   *
   * <p>The caller owns what it takes and must close every descriptor it does not keep (wrap it in a
   * {@link java.io.FileInputStream} or {@link java.io.FileOutputStream} and close that).
   * Descriptors received but neither taken nor closed when the connection closes are closed with
   * it. At most 60 descriptors can arrive with one message; more fail the read.
   *
   * @return the descriptors, empty if none arrived or the connection cannot pass descriptors
   */
  List<FileDescriptor> receivedDescriptors();

  /**
   * Shuts down the output side: the peer reads the end of the stream, and this side can still read.
   * For standard input and output, closes standard output.
   */
  void shutdownOutput() throws IOException;

  /**
   * The underlying socket channel, for unix and TCP connections: to switch to non-blocking mode, to
   * register with a selector, to set socket options. Empty for standard input and output and for
   * TLS connections (whose channel carries ciphertext). Read and write through this connection, not
   * the channel, where descriptors matter.
   */
  Optional<SocketChannel> socketChannel();

  /** Closes the connection. Idempotent: closing a closed connection does nothing. */
  @Override
  void close() throws IOException;
}
