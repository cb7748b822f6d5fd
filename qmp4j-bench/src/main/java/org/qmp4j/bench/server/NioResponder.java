package org.qmp4j.bench.server;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;

/**
 * The Java counterpart of the C responder ({@code src/main/c/qmp-responder.c}): a greeting, then
 * {@code {"return": {}}} for every line received, with no JSON at all. It measures what a JVM and
 * its NIO can do per round trip, the upper bound of any server design built the same way.
 *
 * <pre>java -cp benchmarks.jar org.qmp4j.bench.server.NioResponder SOCKET_PATH [MODE]</pre>
 *
 * <p>Modes: {@code select} (one thread, one selector, as the qmp4j server: select, read, write),
 * {@code retry} (the same, and after writing a reply it tries a few more non-blocking reads before
 * going back to select), {@code heap} (as {@code select}, with heap buffers instead of direct
 * ones), {@code blocking} (a thread per connection in blocking reads).
 */
public final class NioResponder {
  private static final byte[] GREETING =
      ("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7},"
              + " \"package\": \"nio-responder\"}, \"capabilities\": [\"oob\"]}}\r\n")
          .getBytes(StandardCharsets.US_ASCII);
  private static final byte[] REPLY = "{\"return\": {}}\r\n".getBytes(StandardCharsets.US_ASCII);

  private NioResponder() {}

  public static void main(String[] args) throws Exception {
    Path socket = Path.of(args[0]);
    String mode = args.length > 1 ? args[1] : "select";
    int retries = args.length > 2 ? Integer.parseInt(args[2]) : 0;
    Files.deleteIfExists(socket);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket), 64);
    System.out.println("listening on unix:" + socket + " (" + mode + ")");
    if (mode.equals("blocking")) {
      while (true) {
        SocketChannel c = server.accept();
        Thread t = new Thread(() -> blocking(c));
        t.setDaemon(true);
        t.start();
      }
    }
    heap = mode.equals("heap");
    select(server, mode.equals("retry") ? Math.max(1, retries) : 0);
  }

  private static boolean heap;

  private static final class Conn {
    final ByteBuffer in =
        heap ? ByteBuffer.allocate(64 * 1024) : ByteBuffer.allocateDirect(64 * 1024);
    final ByteBuffer out =
        heap ? ByteBuffer.allocate(64 * 1024) : ByteBuffer.allocateDirect(64 * 1024);
  }

  private static void select(ServerSocketChannel server, int retries) throws IOException {
    server.configureBlocking(false);
    Selector selector = Selector.open();
    server.register(selector, SelectionKey.OP_ACCEPT);
    while (true) {
      selector.select();
      Iterator<SelectionKey> it = selector.selectedKeys().iterator();
      while (it.hasNext()) {
        SelectionKey k = it.next();
        it.remove();
        if (k.isAcceptable()) {
          SocketChannel c = server.accept();
          if (c != null) {
            c.configureBlocking(false);
            Conn conn = new Conn();
            c.register(selector, SelectionKey.OP_READ, conn);
            conn.out.put(GREETING).flip();
            c.write(conn.out);
            conn.out.clear();
          }
          continue;
        }
        SocketChannel c = (SocketChannel) k.channel();
        Conn conn = (Conn) k.attachment();
        int attempts = 0;
        while (true) {
          int n = c.read(conn.in);
          if (n < 0) {
            k.cancel();
            c.close();
            break;
          }
          if (n == 0) {
            if (attempts++ < retries) {
              continue;
            }
            break;
          }
          attempts = 0;
          conn.in.flip();
          while (conn.in.hasRemaining()) {
            if (conn.in.get() == '\n') {
              conn.out.put(REPLY);
            }
          }
          conn.in.clear();
          conn.out.flip();
          while (conn.out.hasRemaining()) {
            c.write(conn.out);
          }
          conn.out.clear();
          if (retries == 0) {
            break;
          }
        }
      }
    }
  }

  private static void blocking(SocketChannel c) {
    ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
    ByteBuffer out = ByteBuffer.allocateDirect(64 * 1024);
    try (c) {
      out.put(GREETING).flip();
      c.write(out);
      out.clear();
      while (c.read(in) >= 0) {
        in.flip();
        while (in.hasRemaining()) {
          if (in.get() == '\n') {
            out.put(REPLY);
          }
        }
        in.clear();
        out.flip();
        while (out.hasRemaining()) {
          c.write(out);
        }
        out.clear();
      }
    } catch (IOException e) {
      // peer gone
    }
  }
}
