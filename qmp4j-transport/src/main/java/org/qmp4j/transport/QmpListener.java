package org.qmp4j.transport;

import java.io.Closeable;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import org.qmp4j.protocol.QmpConnectionException;

/**
 * A listening socket that QMP peers connect to: the server end of a monitor, or a client waiting
 * for QEMU started with {@code -qmp unix:PATH,server=off} to connect to it.
 *
 * <p>A unix listener owns its socket file: it creates it with the configured permissions (0600 by
 * default), replaces a stale file left by a dead process, refuses to take over a live one, and
 * removes the file on {@link #close()} if it is still the one it created.
 *
 * <p>Two ways to accept: {@link #accept(Duration)} waits on the calling thread; or register {@link
 * #channel()} with your own selector and {@link #adopt(SocketChannel) adopt} what it accepts.
 */
public interface QmpListener extends Closeable {

  /**
   * The address peers connect to: for TCP with the actual port (also when port 0 was asked for) and
   * the bound host.
   */
  QmpAddress localAddress();

  /**
   * The listening channel, in non-blocking mode, ready to be registered for {@link
   * java.nio.channels.SelectionKey#OP_ACCEPT} with a selector opened from {@code
   * channel().provider()}. Without descriptor passing this is a JDK channel (any JDK selector
   * does); with it, the channel and its selector belong to junixsocket. The channels it accepts are
   * in blocking mode.
   */
  ServerSocketChannel channel();

  /**
   * Waits for the next peer and returns its connection in blocking mode.
   *
   * @throws QmpConnectionException if no peer connected in time ({@link
   *     QmpConnectionException#timedOut()}), or the listener failed or was closed
   */
  QmpConnection accept(Duration timeout);

  /**
   * Wraps a channel accepted from {@link #channel()} as a connection whose {@link
   * QmpConnection#address()} is this listener's address and which can pass descriptors if this
   * listener can. Does not change the channel's blocking mode.
   */
  QmpConnection adopt(SocketChannel accepted);

  /** Whether accepted connections can pass descriptors (unix with descriptor passing enabled). */
  boolean canPassDescriptors();

  /**
   * Stops listening and, for unix, removes the socket file if it is still the one this listener
   * created. Connections already accepted stay open. Idempotent.
   */
  @Override
  void close();
}
