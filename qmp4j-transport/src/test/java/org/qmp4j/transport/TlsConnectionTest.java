package org.qmp4j.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpConnectionException;

/**
 * TLS connections against a JDK {@link SSLServerSocket} peer that greets like QEMU: the round trip
 * and every handshake failure, with self-signed certificates made by the JDK's {@code keytool} at
 * test time (no QEMU, no network beyond the loopback).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsConnectionTest {
  private static final String GREETING = "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\n";
  private static final char[] PASSWORD = "changeit".toCharArray();
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  @TempDir static Path dir;

  /** Server: a self-signed certificate for IP 127.0.0.1 and localhost. */
  private static KeyStore server;

  /** A self-signed certificate for other.example only. */
  private static KeyStore wrongName;

  /** A client certificate. */
  private static KeyStore client;

  private static ExecutorService pool;

  @BeforeAll
  static void certificates() throws Exception {
    pool = Executors.newCachedThreadPool();
    Future<KeyStore> s = pool.submit(() -> keypair("server", "san=ip:127.0.0.1,dns:localhost"));
    Future<KeyStore> w = pool.submit(() -> keypair("wrong", "san=dns:other.example"));
    Future<KeyStore> c = pool.submit(() -> keypair("client", null));
    server = s.get();
    wrongName = w.get();
    client = c.get();
  }

  @AfterAll
  static void stop() {
    pool.shutdownNow();
  }

  /** {@code keytool -genkeypair}: a PKCS12 store with one self-signed key entry, "key". */
  private static KeyStore keypair(String name, String ext) throws Exception {
    Path store = dir.resolve(name + ".p12");
    List<String> cmd = new ArrayList<>();
    cmd.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
            "-genkeypair",
            "-alias",
            "key",
            "-keyalg",
            "EC",
            "-groupname",
            "secp256r1",
            "-dname",
            "CN=" + name,
            "-validity",
            "2",
            "-keystore",
            store.toString(),
            "-storetype",
            "PKCS12",
            "-storepass",
            new String(PASSWORD)));
    if (ext != null) {
      cmd.add("-ext");
      cmd.add(ext);
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool timed out");
    assertEquals(0, p.exitValue(), "keytool failed: " + out);
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, PASSWORD);
    }
    return ks;
  }

  /** An SSLContext with these key entries (may be null) trusting these stores' certificates. */
  private static SSLContext context(KeyStore keys, KeyStore... trusted) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    int i = 0;
    for (KeyStore t : trusted) {
      Certificate cert = t.getCertificate("key");
      trust.setCertificateEntry("trusted" + i++, cert);
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (keys != null) {
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, PASSWORD);
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf != null ? kmf.getKeyManagers() : null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /**
   * A one-connection TLS peer: greets, then echoes each line back. {@code needClientAuth} asks the
   * client for a certificate signed by one of {@code trustedClients}.
   */
  private static final class Peer implements AutoCloseable {
    final SSLServerSocket socket;
    final CompletableFuture<String> outcome = new CompletableFuture<>();

    Peer(KeyStore identity, boolean needClientAuth, KeyStore... trustedClients) throws Exception {
      SSLContext ctx = context(identity, trustedClients);
      socket =
          (SSLServerSocket)
              ctx.getServerSocketFactory()
                  .createServerSocket(0, 1, InetAddress.getLoopbackAddress());
      socket.setNeedClientAuth(needClientAuth);
      pool.submit(this::serve);
    }

    int port() {
      return socket.getLocalPort();
    }

    private void serve() {
      try (Socket s = socket.accept()) {
        OutputStream out = s.getOutputStream();
        out.write(GREETING.getBytes(StandardCharsets.UTF_8));
        out.flush();
        InputStream in = s.getInputStream();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
          line.write(b);
          if (b == '\n') {
            out.write(line.toByteArray());
            out.flush();
            line.reset();
          }
        }
        outcome.complete("eof");
      } catch (IOException | RuntimeException e) {
        outcome.complete(e.toString());
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private static TransportOptions tls(SSLContext ctx) {
    return TransportOptions.newBuilder().tls(ctx).build();
  }

  private static String readLine(QmpConnection c) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    ByteBuffer one = ByteBuffer.allocate(1);
    while (true) {
      one.clear();
      if (c.read(one) < 0) {
        throw new IOException("end of stream after '" + line + "'");
      }
      line.write(one.get(0));
      if (one.get(0) == '\n') {
        return line.toString(StandardCharsets.UTF_8);
      }
    }
  }

  @Test
  void greetingAndEchoOverTlsWithHostnameVerification() throws Exception {
    try (Peer peer = new Peer(server, false)) {
      QmpAddress address = QmpAddress.tcp("127.0.0.1", peer.port());
      try (QmpConnection c = Transports.connect(address, TIMEOUT, tls(context(null, server)))) {
        assertEquals(GREETING, readLine(c));
        assertTrue(c.socketChannel().isEmpty(), "a TLS connection must not expose its channel");
        assertFalse(c.canPassDescriptors());
        assertEquals(address, c.address().orElseThrow());
        c.write(ByteBuffer.wrap("{\"execute\": \"qmp_capabilities\"}\n".getBytes()));
        assertEquals("{\"execute\": \"qmp_capabilities\"}\n", readLine(c));
        // a direct buffer both ways
        ByteBuffer direct = ByteBuffer.allocateDirect(64);
        direct.put("{\"execute\": \"query-status\"}\n".getBytes()).flip();
        assertEquals(28, c.write(direct));
        assertEquals("{\"execute\": \"query-status\"}\n", readLine(c));
        c.shutdownOutput();
        ByteBuffer rest = ByteBuffer.allocateDirect(16);
        assertEquals(-1, c.read(rest), "end of stream after the peer closed");
      }
      assertEquals("eof", peer.outcome.get(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void untrustedCertificateFailsSayingSo() throws Exception {
    try (Peer peer = new Peer(server, false)) {
      QmpConnectionException e =
          assertThrows(
              QmpConnectionException.class,
              () ->
                  Transports.connect(
                      QmpAddress.tcp("127.0.0.1", peer.port()),
                      TIMEOUT,
                      tls(context(null, wrongName))));
      assertTrue(
          e.getMessage()
              .startsWith(
                  "cannot connect to tcp:127.0.0.1:"
                      + peer.port()
                      + " with TLS: the server's certificate is not trusted"),
          e.getMessage());
      assertFalse(e.timedOut());
    }
  }

  @Test
  void hostnameMismatchFailsSayingSoAndCanBeSwitchedOff() throws Exception {
    try (Peer peer = new Peer(wrongName, false)) {
      QmpConnectionException e =
          assertThrows(
              QmpConnectionException.class,
              () ->
                  Transports.connect(
                      QmpAddress.tcp("127.0.0.1", peer.port()),
                      TIMEOUT,
                      tls(context(null, wrongName))));
      assertTrue(
          e.getMessage().contains("the server's certificate does not name the host 127.0.0.1"),
          e.getMessage());
    }
    try (Peer peer = new Peer(wrongName, false)) {
      TransportOptions noVerify =
          TransportOptions.newBuilder()
              .tls(context(null, wrongName))
              .tlsHostnameVerification(false)
              .build();
      try (QmpConnection c =
          Transports.connect(QmpAddress.tcp("127.0.0.1", peer.port()), TIMEOUT, noVerify)) {
        assertEquals(GREETING, readLine(c));
      }
    }
  }

  @Test
  void clientCertificateIsPresentedFromTheKeyManagers() throws Exception {
    try (Peer peer = new Peer(server, true, client)) {
      try (QmpConnection c =
          Transports.connect(
              QmpAddress.tcp("localhost", peer.port()), TIMEOUT, tls(context(client, server)))) {
        assertEquals(GREETING, readLine(c));
      }
    }
  }

  @Test
  void serverRejectingAMissingClientCertificateFailsSayingWhy() throws Exception {
    try (Peer peer = new Peer(server, true, client)) {
      QmpAddress address = QmpAddress.tcp("127.0.0.1", peer.port());
      // TLS 1.3: the client's handshake may complete before the server rejects it; then the first
      // read fails. Either way the message says what happened.
      String message;
      try (QmpConnection c = Transports.connect(address, TIMEOUT, tls(context(null, server)))) {
        IOException e = assertThrows(IOException.class, () -> readLine(c));
        message = e.getMessage();
      } catch (QmpConnectionException e) {
        message = e.getMessage();
      }
      assertTrue(message.contains("client certificate"), message);
    }
  }

  @Test
  void serverClosingAfterTheHandshakeBeforeAnyDataIsAnErrorNotAnEndOfStream() throws Exception {
    SSLContext ctx = context(server);
    try (SSLServerSocket ss =
        (SSLServerSocket)
            ctx.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      pool.submit(
          () -> {
            try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) ss.accept()) {
              s.startHandshake(); // as QEMU with verify-peer=on does after a TLS 1.3 handshake
            }
            return null;
          });
      try (QmpConnection c =
          Transports.connect(
              QmpAddress.tcp("127.0.0.1", ss.getLocalPort()),
              TIMEOUT,
              tls(context(null, server)))) {
        IOException e = assertThrows(IOException.class, () -> c.read(ByteBuffer.allocate(64)));
        assertTrue(
            e.getMessage()
                .contains(
                    "right after the handshake, before sending anything: no client"
                        + " certificate was presented"),
            e.getMessage());
      }
    }
  }

  @Test
  void plainPeerIsReportedAsNotSpeakingTls() throws Exception {
    try (ServerSocket plain = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      pool.submit(
          () -> {
            try (Socket s = plain.accept()) {
              s.getOutputStream().write(GREETING.getBytes(StandardCharsets.UTF_8));
              s.getInputStream().readAllBytes();
            }
            return null;
          });
      long start = System.nanoTime();
      QmpConnectionException e =
          assertThrows(
              QmpConnectionException.class,
              () ->
                  Transports.connect(
                      QmpAddress.tcp("127.0.0.1", plain.getLocalPort()),
                      TIMEOUT,
                      tls(context(null, server))));
      assertTrue(e.getMessage().contains("the peer does not speak TLS"), e.getMessage());
      assertTrue(System.nanoTime() - start < TIMEOUT.toNanos(), "failed fast, not by timing out");
    }
  }

  @Test
  void silentPeerTimesOutWithinTheConnectTimeout() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Socket> accepted = new CompletableFuture<>();
      pool.submit(() -> accepted.complete(silent.accept()));
      long start = System.nanoTime();
      QmpConnectionException e =
          assertThrows(
              QmpConnectionException.class,
              () ->
                  Transports.connect(
                      QmpAddress.tcp("127.0.0.1", silent.getLocalPort()),
                      Duration.ofMillis(700),
                      tls(context(null, server))));
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(e.timedOut(), e.getMessage());
      assertTrue(e.getMessage().contains("TLS handshake timed out after 700 ms"), e.getMessage());
      assertTrue(ms >= 600 && ms < 5000, "took " + ms + " ms");
      accepted.get(5, TimeUnit.SECONDS).close();
    }
  }

  @Test
  void closeWakesABlockedReader() throws Exception {
    try (Peer peer = new Peer(server, false)) {
      QmpConnection c =
          Transports.connect(
              QmpAddress.tcp("127.0.0.1", peer.port()), TIMEOUT, tls(context(null, server)));
      assertEquals(GREETING, readLine(c));
      Future<?> reader = pool.submit(() -> c.read(ByteBuffer.allocate(100)));
      Thread.sleep(200);
      c.close();
      java.util.concurrent.ExecutionException e =
          assertThrows(
              java.util.concurrent.ExecutionException.class, () -> reader.get(5, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof AsynchronousCloseException, e.getCause().toString());
      assertFalse(c.isOpen());
      c.close(); // idempotent
    }
  }

  @Test
  void tlsIsRefusedForUnixSocketsAndForListening() throws Exception {
    TransportOptions options = tls(context(null, server));
    QmpConnectionException unix =
        assertThrows(
            QmpConnectionException.class,
            () -> Transports.connect(QmpAddress.unix(dir.resolve("x.sock")), TIMEOUT, options));
    assertTrue(
        unix.getMessage().contains("TLS is supported over tcp: addresses only"), unix.getMessage());
    QmpConnectionException listen =
        assertThrows(
            QmpConnectionException.class,
            () -> Transports.listen(QmpAddress.tcp("127.0.0.1", 0), options));
    assertTrue(
        listen.getMessage().contains("qmp4j speaks TLS as a connecting client only"),
        listen.getMessage());
  }

  @Test
  void tlsAddressFormPointsAtTheOption() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> QmpAddress.parse("tls:127.0.0.1:4444"));
    assertTrue(
        e.getMessage().contains("TLS is not part of the address: use tcp:127.0.0.1:4444"),
        e.getMessage());
  }
}
