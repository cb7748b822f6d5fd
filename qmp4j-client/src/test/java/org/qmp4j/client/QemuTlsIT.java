package org.qmp4j.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.qmp4j.protocol.QmpConnectionException;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.testing.Qemu;
import org.qmp4j.testing.QemuProcess;
import org.qmp4j.transport.QmpAddress;
import org.qmp4j.transport.TransportOptions;

/**
 * QMP over TLS against a real QEMU 7.2. Certificates are made at test time with the {@code openssl}
 * command line: a CA, a server certificate for {@code localhost} and {@code 127.0.0.1}, a client
 * certificate, and a second CA nobody trusts. One QEMU serves three TCP monitors: TLS with {@code
 * verify-peer=off}, TLS with {@code verify-peer=on}, and plain. Skipped without QEMU or openssl;
 * fails under {@code CI=true}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class QemuTlsIT {
  private static final String PASSWORD = "changeit";
  private static final Duration CONNECT = Duration.ofSeconds(3);

  private QemuProcess qemu;
  private int tlsPort;
  private int verifyPort;
  private int plainPort;
  private int wrongNamePort;
  private SSLContext trusting;
  private SSLContext withClientCert;
  private SSLContext trustingOtherCa;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    Path openssl = assumeOpenssl();
    Path creds = Files.createDirectory(dir.resolve("creds"));
    Path other = Files.createDirectory(dir.resolve("other"));
    Path wrongName = Files.createDirectory(dir.resolve("wrongname"));
    ca(openssl, creds, "qmp4j test CA");
    ca(openssl, other, "qmp4j untrusted CA");
    issue(
        openssl,
        creds,
        "server",
        "localhost",
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    issue(openssl, creds, "client", "qmp4j client", "extendedKeyUsage=clientAuth\n");
    // the same CA, a certificate for another name, for QEMU's dir= layout
    Files.copy(creds.resolve("ca-cert.pem"), wrongName.resolve("ca-cert.pem"));
    Files.copy(creds.resolve("ca-key.pem"), wrongName.resolve("ca-key.pem"));
    issue(
        openssl,
        wrongName,
        "server",
        "other.example",
        "subjectAltName=DNS:other.example\nextendedKeyUsage=serverAuth\n");
    run(
        openssl,
        creds,
        "pkcs12",
        "-export",
        "-in",
        "client-cert.pem",
        "-inkey",
        "client-key.pem",
        "-out",
        "client.p12",
        "-passout",
        "pass:" + PASSWORD);
    trusting = context(creds.resolve("ca-cert.pem"), null);
    withClientCert = context(creds.resolve("ca-cert.pem"), creds.resolve("client.p12"));
    trustingOtherCa = context(other.resolve("ca-cert.pem"), null);

    int[] ports = freePorts(4);
    tlsPort = ports[0];
    verifyPort = ports[1];
    plainPort = ports[2];
    wrongNamePort = ports[3];
    qemu =
        QemuProcess.builder()
            .monitor("mon0")
            .args(
                "-object",
                "tls-creds-x509,id=tls0,dir=" + creds + ",endpoint=server,verify-peer=off",
                "-object",
                "tls-creds-x509,id=tls1,dir=" + creds + ",endpoint=server,verify-peer=on",
                "-chardev",
                "socket,id=tlsmon,host=127.0.0.1,port="
                    + tlsPort
                    + ",server=on,wait=off,tls-creds=tls0",
                "-mon",
                "chardev=tlsmon,mode=control",
                "-chardev",
                "socket,id=verifymon,host=127.0.0.1,port="
                    + verifyPort
                    + ",server=on,wait=off,tls-creds=tls1",
                "-mon",
                "chardev=verifymon,mode=control",
                "-object",
                "tls-creds-x509,id=tls2,dir=" + wrongName + ",endpoint=server,verify-peer=off",
                "-chardev",
                "socket,id=wrongmon,host=127.0.0.1,port="
                    + wrongNamePort
                    + ",server=on,wait=off,tls-creds=tls2",
                "-mon",
                "chardev=wrongmon,mode=control",
                "-chardev",
                "socket,id=plainmon,host=127.0.0.1,port=" + plainPort + ",server=on,wait=off",
                "-mon",
                "chardev=plainmon,mode=control")
            .start();
    awaitListening(plainPort); // the last chardev: the TLS ones listen already
  }

  @AfterAll
  void stop() {
    if (qemu != null) {
      qemu.close();
    }
  }

  @Test
  void queryStatusAndAnEventOverTls() throws Exception {
    try (QmpClient qmp =
        QmpClient.newBuilder()
            .address("tcp:127.0.0.1:" + tlsPort)
            .tls(trusting)
            .connectTimeout(CONNECT)
            .connect()) {
      JsonNode status = qmp.execute("query-status");
      assertEquals("prelaunch", status.get("status").asText(), status.toString());
      try (EventStream events = qmp.events().names("RESUME", "STOP").stream()) {
        qmp.execute("cont");
        assertEquals("RESUME", events.poll(Duration.ofSeconds(10)).orElseThrow().name());
        qmp.execute("stop");
        QmpEvent stop = events.poll(Duration.ofSeconds(10)).orElseThrow();
        assertEquals("STOP", stop.name());
      }
      assertEquals("paused", qmp.execute("query-status").get("status").asText());
    }
  }

  @Test
  void hostNameLocalhostIsVerifiedAgainstTheCertificate() {
    try (QmpClient qmp =
        QmpClient.newBuilder()
            .address("tcp:localhost:" + tlsPort)
            .tls(trusting)
            .connectTimeout(CONNECT)
            .connect()) {
      assertEquals(7, qmp.execute("query-version").get("qemu").get("major").asInt());
    }
  }

  @Test
  void pipelinedCommandsAreAllAnswered() throws Exception {
    try (QmpClient qmp =
        QmpClient.newBuilder()
            .address("tcp:127.0.0.1:" + tlsPort)
            .tls(trusting)
            .connectTimeout(CONNECT)
            .connect()) {
      List<CompletableFuture<JsonNode>> replies = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        replies.add(qmp.executeAsync(QmpCommand.of(i % 2 == 0 ? "query-status" : "query-name")));
      }
      CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
      assertTrue(replies.get(48).get().has("status"));
    }
  }

  @Test
  void verifyPeerOnAcceptsTheClientCertificate() {
    try (QmpClient qmp =
        QmpClient.newBuilder()
            .address("tcp:127.0.0.1:" + verifyPort)
            .tls(withClientCert)
            .connectTimeout(CONNECT)
            .connect()) {
      assertTrue(qmp.execute("query-status").has("running"));
    }
  }

  @Test
  void verifyPeerOnWithoutAClientCertificateFailsSayingWhy() {
    long start = System.nanoTime();
    QmpConnectionException e =
        assertThrows(
            QmpConnectionException.class,
            () ->
                QmpClient.newBuilder()
                    .address("tcp:127.0.0.1:" + verifyPort)
                    .tls(trusting)
                    .connectTimeout(CONNECT)
                    .connect()
                    .close());
    System.out.println("verify-peer=on without a client certificate: " + causes(e));
    assertTrue(causes(e).contains("no client certificate was presented"), causes(e));
    assertTrue(System.nanoTime() - start < CONNECT.toNanos() + TimeUnit.SECONDS.toNanos(2));
    // QEMU serves the next client
    try (QmpClient qmp =
        QmpClient.newBuilder()
            .address("tcp:127.0.0.1:" + verifyPort)
            .tls(withClientCert)
            .connectTimeout(CONNECT)
            .connect()) {
      assertTrue(qmp.execute("query-status").has("running"));
    }
  }

  @Test
  void untrustedCaFailsSayingSo() {
    QmpConnectionException e =
        assertThrows(
            QmpConnectionException.class,
            () ->
                QmpClient.newBuilder()
                    .address("tcp:127.0.0.1:" + tlsPort)
                    .tls(trustingOtherCa)
                    .connectTimeout(CONNECT)
                    .connect()
                    .close());
    assertTrue(
        e.getMessage()
            .startsWith(
                "cannot connect to tcp:127.0.0.1:"
                    + tlsPort
                    + " with TLS: the server's certificate is not trusted"),
        e.getMessage());
    System.out.println("untrusted CA: " + e.getMessage());
  }

  @Test
  void hostnameVerificationCanBeSwitchedOff() {
    QmpConnectionException e =
        assertThrows(
            QmpConnectionException.class,
            () ->
                QmpClient.newBuilder()
                    .address(QmpAddress.tcp("127.0.0.1", wrongNamePort))
                    .tls(trusting)
                    .connectTimeout(CONNECT)
                    .connect()
                    .close());
    assertTrue(e.getMessage().contains("does not name the host"), e.getMessage());
    System.out.println("host name mismatch: " + e.getMessage());
    try (QmpClient qmp =
        QmpClient.newBuilder()
            .address(QmpAddress.tcp("127.0.0.1", wrongNamePort))
            .transportOptions(TransportOptions.newBuilder().tlsHostnameVerification(false).build())
            .tls(trusting)
            .connectTimeout(CONNECT)
            .connect()) {
      assertTrue(qmp.execute("query-status").has("running"));
    }
  }

  @Test
  void tlsClientAgainstAPlainPortFailsFast() {
    long start = System.nanoTime();
    QmpConnectionException e =
        assertThrows(
            QmpConnectionException.class,
            () ->
                QmpClient.newBuilder()
                    .address("tcp:127.0.0.1:" + plainPort)
                    .tls(trusting)
                    .connectTimeout(CONNECT)
                    .connect()
                    .close());
    System.out.println("TLS client against the plain port: " + e.getMessage());
    assertTrue(e.getMessage().contains("the peer does not speak TLS"), e.getMessage());
    assertFalse(e.timedOut());
    assertTrue(System.nanoTime() - start < CONNECT.toNanos(), "failed before the timeout");
  }

  @Test
  void plainClientAgainstATlsPortFailsWithinTheConnectTimeout() {
    long start = System.nanoTime();
    QmpConnectionException e =
        assertThrows(
            QmpConnectionException.class,
            () ->
                QmpClient.newBuilder()
                    .address("tcp:127.0.0.1:" + tlsPort)
                    .connectTimeout(CONNECT)
                    .connect()
                    .close());
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.println("plain client against the TLS port: " + e.getMessage() + " (" + ms + " ms)");
    assertTrue(e.timedOut(), e.getMessage());
    assertTrue(e.getMessage().contains("no QMP greeting"), e.getMessage());
    assertTrue(ms < CONNECT.toMillis() + 2000, "took " + ms + " ms");
  }

  /** Round trips over TLS and plain TCP to the same QEMU, alternating rounds: for the record. */
  @Test
  void roundTripTlsVersusPlain() {
    try (QmpClient tls =
            QmpClient.newBuilder()
                .address("tcp:127.0.0.1:" + tlsPort)
                .tls(trusting)
                .connectTimeout(CONNECT)
                .connect();
        QmpClient plain =
            QmpClient.newBuilder()
                .address("tcp:127.0.0.1:" + plainPort)
                .connectTimeout(CONNECT)
                .connect()) {
      int n = 300;
      int rounds = 5;
      long[] tlsMicros = new long[rounds];
      long[] plainMicros = new long[rounds];
      for (int r = 0; r < rounds; r++) {
        tlsMicros[r] = perRoundTripMicros(tls, n);
        plainMicros[r] = perRoundTripMicros(plain, n);
      }
      Arrays.sort(tlsMicros);
      Arrays.sort(plainMicros);
      System.out.printf(
          "query-status round trip, median of %d rounds of %d: TLS %d us, plain TCP %d us,"
              + " ratio %.2f%n",
          rounds,
          n,
          tlsMicros[rounds / 2],
          plainMicros[rounds / 2],
          (double) tlsMicros[rounds / 2] / plainMicros[rounds / 2]);
      assertTrue(tlsMicros[rounds / 2] > 0 && plainMicros[rounds / 2] > 0);
    }
  }

  private static long perRoundTripMicros(QmpClient qmp, int n) {
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      Assertions.assertNotNull(qmp.execute("query-status").get("status"));
    }
    return TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start) / n;
  }

  // ---- helpers

  private static String causes(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      sb.append(c).append(" <- ");
    }
    return sb.toString();
  }

  private static Path assumeOpenssl() {
    for (String d : (System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/bin").split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, "openssl"))) {
        return Path.of(d, "openssl");
      }
    }
    String why = "openssl is not on PATH: install Debian's openssl (.ci/run does)";
    if (Qemu.isCi()) {
      return Assertions.fail(why + "; required because CI=true");
    }
    return Assumptions.abort(why + "; skipping");
  }

  private static void ca(Path openssl, Path dir, String name) throws Exception {
    run(
        openssl,
        dir,
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca-key.pem",
        "-out",
        "ca-cert.pem",
        "-days",
        "2",
        "-subj",
        "/CN=" + name);
  }

  private static void issue(Path openssl, Path dir, String name, String cn, String extensions)
      throws Exception {
    Files.writeString(
        dir.resolve(name + ".ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n" + extensions);
    run(
        openssl,
        dir,
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        name + "-key.pem",
        "-out",
        name + ".csr",
        "-subj",
        "/CN=" + cn);
    run(
        openssl,
        dir,
        "x509",
        "-req",
        "-in",
        name + ".csr",
        "-CA",
        "ca-cert.pem",
        "-CAkey",
        "ca-key.pem",
        "-CAcreateserial",
        "-out",
        name + "-cert.pem",
        "-days",
        "2",
        "-extfile",
        name + ".ext");
  }

  private static void run(Path openssl, Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(openssl.toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "openssl timed out");
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed: " + out);
  }

  /** Trusts the CA certificate; holds the PKCS12 client identity if given. */
  private static SSLContext context(Path caCert, Path clientP12) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(caCert)) {
      trust.setCertificateEntry(
          "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (clientP12 != null) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(clientP12)) {
        keys.load(in, PASSWORD.toCharArray());
      }
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, PASSWORD.toCharArray());
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf != null ? kmf.getKeyManagers() : null, tmf.getTrustManagers(), null);
    return ctx;
  }

  private static int[] freePorts(int n) throws IOException {
    ServerSocket[] sockets = new ServerSocket[n];
    int[] ports = new int[n];
    try {
      for (int i = 0; i < n; i++) {
        sockets[i] = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ports[i] = sockets[i].getLocalPort();
      }
    } finally {
      for (ServerSocket s : sockets) {
        if (s != null) {
          s.close();
        }
      }
    }
    return ports;
  }

  private static void awaitListening(int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(20);
      }
    }
  }
}
