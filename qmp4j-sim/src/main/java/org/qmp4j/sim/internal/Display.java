package org.qmp4j.sim.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * VNC and SPICE: disabled unless a client is simulated; connecting and disconnecting clients emit
 * QEMU's events. Guarded by the machine's monitor.
 */
public final class Display {
  private final Machine machine;
  private int vncClients;
  private int spiceClients;

  Display(Machine machine) {
    this.machine = machine;
  }

  ObjectNode queryVnc() {
    return Json.obj("enabled", false);
  }

  ObjectNode querySpice() {
    return Json.obj("migrated", false, "enabled", false, "mouse-mode", "client");
  }

  private static ObjectNode vncServer() {
    return Json.obj(
        "host",
        "127.0.0.1",
        "service",
        "5900",
        "family",
        "ipv4",
        "websocket",
        false,
        "auth",
        "none");
  }

  private static ObjectNode vncClient(String host, String service) {
    return Json.obj("host", host, "service", service, "family", "ipv4", "websocket", false);
  }

  /** A VNC client connects and completes its handshake: VNC_CONNECTED, then VNC_INITIALIZED. */
  public void vncConnect(String host, String service) {
    synchronized (machine) {
      vncClients++;
      machine.emit(
          "VNC_CONNECTED", Json.obj("server", vncServer(), "client", vncClient(host, service)));
      machine.emit(
          "VNC_INITIALIZED", Json.obj("server", vncServer(), "client", vncClient(host, service)));
    }
  }

  /** A VNC client goes away: VNC_DISCONNECTED. */
  public void vncDisconnect(String host, String service) {
    synchronized (machine) {
      vncClients = Math.max(0, vncClients - 1);
      machine.emit(
          "VNC_DISCONNECTED", Json.obj("server", vncServer(), "client", vncClient(host, service)));
    }
  }

  private static ObjectNode spiceBasic(String host, String port) {
    return Json.obj("host", host, "port", port, "family", "ipv4");
  }

  /** A SPICE client connects its main channel: SPICE_CONNECTED, then SPICE_INITIALIZED. */
  public void spiceConnect(String host, String port) {
    synchronized (machine) {
      spiceClients++;
      machine.emit(
          "SPICE_CONNECTED",
          Json.obj("server", spiceBasic("127.0.0.1", "5930"), "client", spiceBasic(host, port)));
      ObjectNode server = spiceBasic("127.0.0.1", "5930");
      server.put("auth", "none");
      ObjectNode channel = spiceBasic(host, port);
      channel.put("connection-id", 1804289383);
      channel.put("channel-type", 1);
      channel.put("channel-id", 0);
      channel.put("tls", false);
      machine.emit("SPICE_INITIALIZED", Json.obj("server", server, "client", channel));
    }
  }

  /** A SPICE client goes away: SPICE_DISCONNECTED. */
  public void spiceDisconnect(String host, String port) {
    synchronized (machine) {
      spiceClients = Math.max(0, spiceClients - 1);
      machine.emit(
          "SPICE_DISCONNECTED",
          Json.obj("server", spiceBasic("127.0.0.1", "5930"), "client", spiceBasic(host, port)));
    }
  }

  /** The SPICE client finished its part of a migration: SPICE_MIGRATE_COMPLETED. */
  public void spiceMigrateCompleted() {
    machine.emit("SPICE_MIGRATE_COMPLETED", null);
  }
}
