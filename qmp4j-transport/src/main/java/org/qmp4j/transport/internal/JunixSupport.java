package org.qmp4j.transport.internal;

import java.io.FileDescriptor;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.FileDescriptorCast;
import org.qmp4j.transport.QmpAddress;
import org.qmp4j.transport.QmpConnection;

/** Everything that touches junixsocket's types. Reached only through {@link Junix}. */
final class JunixSupport {
  private JunixSupport() {}

  static boolean supported() {
    return AFUNIXSocket.isSupported();
  }

  static QmpConnection adopt(SocketChannel channel, QmpAddress address) {
    return new JunixConnection((AFUNIXSocketChannel) channel, address);
  }

  static SocketChannel openChannel() throws IOException {
    return AFUNIXSocketChannel.open();
  }

  static ServerSocketChannel openServerChannel() throws IOException {
    AFUNIXServerSocketChannel channel = AFUNIXServerSocketChannel.open();
    // The listener removes its socket file itself, and only if it is still its own.
    channel.socket().setDeleteOnClose(false);
    return channel;
  }

  static SocketAddress socketAddress(Path path) throws IOException {
    return AFUNIXSocketAddress.of(path);
  }

  /** A {@link FileDescriptor} object for a descriptor number; closing stays the caller's job. */
  static FileDescriptor fileDescriptor(int fd) throws IOException {
    return FileDescriptorCast.unsafeUsing(fd).getFileDescriptor();
  }
}
