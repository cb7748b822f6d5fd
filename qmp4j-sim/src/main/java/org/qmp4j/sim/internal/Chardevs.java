package org.qmp4j.sim.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.qmp4j.schema.internal.GHashTableOrder;
import org.qmp4j.server.QmpServer;
import org.qmp4j.server.QmpSession;

/**
 * The machine's character devices as QEMU 7.2 lists them under {@code /chardevs}: the listening
 * sockets of its QMP monitors and of the guest agent's channel. {@code query-chardev}, {@code
 * qom-list /chardevs} and HMP {@code info chardev} read them.
 *
 * <p>A socket chardev's {@code filename} is {@code disconnected:unix:PATH,server=on} (or {@code
 * disconnected:tcp:HOST:PORT,server=on}) while no client is connected, and {@code
 * unix:PATH,server=on} (or {@code tcp:HOST:PORT,server=on <-> PEER:PEERPORT}) while one is. A
 * listener that serves many clients at once (which QEMU's cannot) shows the connected form while it
 * has at least one, with the oldest one's address.
 */
public final class Chardevs {
  private final Machine machine;

  /** By label, in the order QEMU would have created them (declared first, then as added). */
  private final Map<String, Entry> entries = new LinkedHashMap<>();

  private int compatMonitors;

  Chardevs(Machine machine) {
    this.machine = machine;
  }

  private record Entry(
      String label, SocketAddress address, Supplier<QmpServer.Listener> listener, String port) {}

  /**
   * Reserves {@code labels}' places in creation order before their sockets listen (QEMU creates
   * every chardev in command-line order before anything else).
   */
  public synchronized void declare(List<String> labels) {
    for (String l : labels) {
      entries.putIfAbsent(l, null);
    }
  }

  /** The label of the next {@code -qmp} monitor: {@code compat_monitorN}, counting from 0. */
  public synchronized String nextCompatLabel() {
    return "compat_monitor" + compatMonitors++;
  }

  /**
   * A QMP monitor's socket chardev (frontend always open).
   *
   * @param address the bound address as given ({@link UnixDomainSocketAddress} with the path as
   *     given, or the {@link InetSocketAddress} the channel is bound to)
   */
  public synchronized void addMonitor(String label, SocketAddress address, QmpServer.Listener l) {
    entries.put(label, new Entry(label, address, () -> l, null));
  }

  /**
   * The guest agent's channel: its frontend is the virtio-serial port that names it as {@code
   * chardev=}, open while the guest's agent has the port open.
   */
  public synchronized void addChannel(String label, SocketAddress address, QmpServer.Listener l) {
    String port = null;
    for (MachineConfig.DeviceSpec d : machine.config().devices()) {
      if (label.equals(d.chardev())) {
        port = d.id();
      }
    }
    entries.put(label, new Entry(label, address, () -> l, port));
  }

  private synchronized List<Entry> ordered() {
    GHashTableOrder table = new GHashTableOrder();
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      if (e.getValue() != null) {
        table.insert(e.getKey());
      }
    }
    // QEMU iterates the container's property table and prepends each child to its answer.
    List<String> labels = new ArrayList<>(table.keys());
    Collections.reverse(labels);
    List<Entry> out = new ArrayList<>();
    for (String l : labels) {
      out.add(entries.get(l));
    }
    return out;
  }

  /** {@code query-chardev} (under the machine's lock). */
  ArrayNode query() {
    ArrayNode out = Json.arr();
    for (Entry e : ordered()) {
      out.add(
          Json.obj("frontend-open", frontendOpen(e), "filename", filename(e), "label", e.label));
    }
    return out;
  }

  /** {@code qom-list} of {@code /chardevs} or {@code /chardevs/LABEL}; null for another path. */
  ArrayNode qomList(String path) {
    if (path.equals("/chardevs") || path.equals("/chardevs/")) {
      ArrayNode out = Json.arr();
      out.add(Json.obj("name", "type", "type", "string"));
      for (Entry e : ordered()) {
        out.add(Json.obj("name", e.label, "type", "child<chardev-socket>"));
      }
      return out;
    }
    if (path.startsWith("/chardevs/")) {
      String label = path.substring("/chardevs/".length());
      for (Entry e : ordered()) {
        if (e.label.equals(label)) {
          ArrayNode out = Json.arr();
          out.add(Json.obj("name", "type", "type", "string"));
          out.add(Json.obj("name", "connected", "type", "bool"));
          out.add(Json.obj("name", "addr", "type", "SocketAddress"));
          return out;
        }
      }
    }
    return null;
  }

  /** HMP {@code info chardev}: one {@code LABEL: filename=...} line each. */
  String info() {
    StringBuilder sb = new StringBuilder();
    for (Entry e : ordered()) {
      sb.append(e.label).append(": filename=").append(filename(e)).append("\r\n");
    }
    return sb.toString();
  }

  private boolean frontendOpen(Entry e) {
    if (e.port == null) {
      return true; // a monitor opens its chardev at once; a channel without a port never
    }
    Devices.Device d = machine.devices.devices.get(e.port);
    return d != null && d.portOpen;
  }

  static String filename(Entry e) {
    List<QmpSession> clients = e.listener.get().clients();
    if (e.address instanceof UnixDomainSocketAddress u) {
      return (clients.isEmpty() ? "disconnected:" : "") + "unix:" + u.getPath() + ",server=on";
    }
    InetSocketAddress local = (InetSocketAddress) e.address;
    String host = numeric(local.getAddress());
    if (clients.isEmpty()) {
      return "disconnected:tcp:" + host + ":" + local.getPort() + ",server=on";
    }
    return "tcp:"
        + bracketed(host)
        + ":"
        + local.getPort()
        + ",server=on <-> "
        + peer(clients.get(0).peer());
  }

  private static String bracketed(String host) {
    return host.contains(":") ? "[" + host + "]" : host;
  }

  /** A host as getnameinfo's numeric form ({@code ::1}, not Java's {@code 0:0:0:0:0:0:0:1}). */
  static String numeric(InetAddress a) {
    String h = a.getHostAddress();
    int zone = h.indexOf('%');
    if (zone >= 0) {
      h = h.substring(0, zone);
    }
    if (!h.contains(":")) {
      return h;
    }
    // RFC 5952: the longest run (first on a tie) of two or more zero groups becomes "::".
    String[] g = h.split(":");
    int best = -1;
    int bestLen = 1;
    for (int i = 0; i < g.length; ) {
      int j = i;
      while (j < g.length && Integer.parseInt(g[j], 16) == 0) {
        j++;
      }
      if (j - i > bestLen) {
        best = i;
        bestLen = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < g.length; i++) {
      if (i == best) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(Integer.parseInt(g[i], 16)));
    }
    return sb.toString();
  }

  /** A session's peer ({@code /127.0.0.1:40000}) as QEMU prints it: {@code 127.0.0.1:40000}. */
  static String peer(String peer) {
    String p = peer.substring(peer.indexOf('/') + 1);
    int colon = p.lastIndexOf(':');
    if (colon < 0) {
      return p;
    }
    String host = p.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      host = numeric(InetAddress.getByName(host));
    } catch (IOException e) {
      // keep it as the session reports it
    }
    return bracketed(host) + ":" + p.substring(colon + 1);
  }
}
