package org.qmp4j.sim;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.qmp4j.server.MonitorOptions;
import org.qmp4j.server.QmpServer;
import org.qmp4j.server.QmpSession;
import org.qmp4j.sim.internal.GuestAgent;
import org.qmp4j.sim.internal.Machine;
import org.qmp4j.transport.QmpAddress;
import org.qmp4j.transport.QmpListener;

/**
 * The guest agent of a {@link SimulatedMachine}'s guest: speaks as qemu-ga 7.2 does on its
 * virtio-serial channel ({@code -chardev socket,path=PATH,server=on,wait=off -device
 * virtserialport,chardev=...,name=org.qemu.guest_agent.0}), over a guest with an in-memory file
 * system and sandboxed programs (nothing runs on the host). {@code guest-shutdown} powers the
 * simulated machine off (SHUTDOWN with {@code guest: true} on its QMP monitors); {@code
 * guest-suspend-*} suspend it. Like a real agent it answers only while the machine runs: requests
 * sent while it is paused or suspended wait until it runs again.
 *
 * <p>Each listener is one channel: one client at a time, the next waiting until it disconnects, and
 * one parser for all of them, as with qemu-ga. {@code docs/simulator.md} lists the commands and
 * what differs from qemu-ga. Thread-safe; closed with the machine.
 */
public final class SimulatedGuestAgent implements AutoCloseable {
  private final GuestAgent agent;
  private final QmpServer server;

  private final Machine machine;

  SimulatedGuestAgent(Machine machine) {
    this.machine = machine;
    this.agent = new GuestAgent(machine);
    this.server = agent.newServer();
    // The channel goes with the machine. Closed on a thread of its own: the machine's timer thread
    // that ends it may be interrupted by the machine's close() meanwhile.
    machine
        .terminated()
        .whenComplete(
            (status, failure) -> {
              Thread t = new Thread(server::close, "qmp4j-sim-guest-agent-close");
              t.setDaemon(true);
              t.start();
            });
  }

  /** The server behind the agent's channels. */
  public QmpServer server() {
    return server;
  }

  /** Serves the agent on a unix socket at {@code path} (replacing a stale socket file). */
  public AutoCloseable listen(Path path) throws IOException {
    Files.deleteIfExists(path);
    ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    ch.bind(UnixDomainSocketAddress.of(path));
    return server.listen(ch, MonitorOptions.GUEST_AGENT, path);
  }

  /**
   * Serves the agent on {@code address} ({@code unix:PATH}, {@code tcp:HOST:PORT}, ...; see {@link
   * QmpAddress#parse}); a unix socket file is removed when the listener closes.
   */
  public QmpListener listen(QmpAddress address) throws IOException {
    return server.listen(address, MonitorOptions.GUEST_AGENT);
  }

  /**
   * Serves the agent on a unix socket at {@code path} as the socket chardev {@code chardev} of its
   * virtio-serial port ({@code -chardev socket,id=CHARDEV,path=PATH,server=on,wait=off} with a
   * {@code virtserialport,chardev=CHARDEV,name=org.qemu.guest_agent.0}): {@code query-chardev}
   * lists it, {@code frontend-open} while the guest's agent has the port with {@code
   * chardev=CHARDEV} open.
   */
  public AutoCloseable listen(String chardev, Path path) throws IOException {
    Files.deleteIfExists(path);
    ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    ch.bind(UnixDomainSocketAddress.of(path));
    QmpServer.Listener l = server.listen(ch, MonitorOptions.GUEST_AGENT, path);
    machine.chardevs().addChannel(chardev, UnixDomainSocketAddress.of(path), l);
    return l;
  }

  /** As {@link #listen(String, Path)}, on TCP. */
  public AutoCloseable listen(String chardev, InetSocketAddress address) throws IOException {
    ServerSocketChannel ch = ServerSocketChannel.open();
    ch.bind(address);
    QmpServer.Listener l = server.listen(ch, MonitorOptions.GUEST_AGENT);
    machine.chardevs().addChannel(chardev, ch.getLocalAddress(), l);
    return l;
  }

  /** Serves the agent on TCP. */
  public AutoCloseable listen(InetSocketAddress address) throws IOException {
    ServerSocketChannel ch = ServerSocketChannel.open();
    ch.bind(address);
    return server.listen(ch, MonitorOptions.GUEST_AGENT);
  }

  /** Serves the agent on an already bound channel. */
  public AutoCloseable listen(ServerSocketChannel channel) throws IOException {
    return server.listen(channel, MonitorOptions.GUEST_AGENT);
  }

  /** Serves one already connected client, a channel of its own. */
  public QmpSession adopt(SocketChannel channel) throws IOException {
    return server.adopt(channel, MonitorOptions.GUEST_AGENT);
  }

  /** Creates or replaces a file in the guest (with its directories). */
  public void putFile(String path, byte[] content) {
    agent.putFile(path, content);
  }

  /** The content of a file in the guest, if there is one at {@code path}. */
  public Optional<byte[]> file(String path) {
    return Optional.ofNullable(agent.file(path));
  }

  /** Stops serving the agent (the machine goes on). */
  @Override
  public void close() {
    server.close();
  }
}
