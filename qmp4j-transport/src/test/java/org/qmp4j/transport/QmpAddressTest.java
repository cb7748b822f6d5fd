package org.qmp4j.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class QmpAddressTest {

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "unix:/run/qemu/vm1.sock | unix:/run/qemu/vm1.sock",
        "UNIX:/run/x.sock        | unix:/run/x.sock",
        "unix:relative.sock      | unix:relative.sock",
        "/tmp/qmp.sock           | unix:/tmp/qmp.sock",
        "./qmp.sock              | unix:./qmp.sock",
        "dir/qmp.sock            | unix:dir/qmp.sock",
        "unix:/tmp/a:b.sock      | unix:/tmp/a:b.sock",
        "tcp:127.0.0.1:4444      | tcp:127.0.0.1:4444",
        "TCP:localhost:4444      | tcp:localhost:4444",
        "tcp:[::1]:4444          | tcp:[::1]:4444",
        "tcp::4444               | tcp::4444",
        "tcp:qemu-host.example:0 | tcp:qemu-host.example:0",
        "localhost:4444          | tcp:localhost:4444",
        "127.0.0.1:65535         | tcp:127.0.0.1:65535",
        "[::1]:4444              | tcp:[::1]:4444",
        "[fe80::1%eth0]:4444     | tcp:[fe80::1%eth0]:4444",
        "-                       | stdio",
        "stdio                   | stdio",
        "'  tcp:127.0.0.1:1  '   | tcp:127.0.0.1:1",
      })
  void parsesToTheCanonicalForm(String text, String canonical) {
    QmpAddress address = QmpAddress.parse(text);
    assertEquals(canonical, address.toString());
    assertEquals(address, QmpAddress.parse(address.toString()), "the canonical form reads back");
  }

  @Test
  void partsAreKept() {
    assertEquals(QmpAddress.unix("/run/x.sock"), QmpAddress.parse("unix:/run/x.sock"));
    assertEquals(
        Path.of("/run/x.sock"), ((QmpAddress.Unix) QmpAddress.parse("/run/x.sock")).path());
    QmpAddress.Tcp v6 = (QmpAddress.Tcp) QmpAddress.parse("tcp:[::1]:4444");
    assertEquals("::1", v6.host());
    assertEquals(4444, v6.port());
    assertEquals(new QmpAddress.Tcp("", 4444), QmpAddress.parse("tcp::4444"));
    assertSame(QmpAddress.STDIO, QmpAddress.parse("-"));
  }

  @Test
  void aBareNameIsASocketWhenASocketFileOfThatNameExists() throws Exception {
    String name = "qmp4j-address-test-" + ProcessHandle.current().pid() + ".sock";
    Path file = Path.of(name);
    try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      s.bind(UnixDomainSocketAddress.of(file));
      assertEquals(QmpAddress.unix(name), QmpAddress.parse(name));
    } finally {
      Files.deleteIfExists(file);
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> QmpAddress.parse(name));
    assertTrue(
        e.getMessage().contains("no such socket file, and not of the form HOST:PORT"),
        e.getMessage());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "''                                | the address is empty",
        "unix:                             | unix: needs a path, as in unix:/run/qemu/vm1.sock",
        "tcp:localhost                     | tcp: needs HOST:PORT, as in tcp:127.0.0.1:4444",
        "tcp:localhost:http                | 'http' is not a port number",
        "tcp:localhost:                    | '' is not a port number",
        "tcp:localhost:65536               | port 65536 is out of range (0 to 65535)",
        "tcp:localhost:123456              | port 123456 is out of range (0 to 65535)",
        "tcp:::1:4444                      | put an IPv6 host in brackets, as in tcp:[::1]:4444",
        "[::1]                             | an IPv6 address needs the form [IPV6]:PORT, as in"
            + " [::1]:4444",
        "[nohost]:4444                     | 'nohost' is not an IPv6 address",
        "tcp:bad host:1                    | 'bad host' is not a host name or IP address",
        "vsock:3:1234                      | unsupported address type 'vsock:'",
        "ws:host:1234:x                    | unsupported address type 'ws:'",
        "qmp-sock-that-does-not-exist      | no such socket file, and not of the form HOST:PORT",
        "unix:/tmp/q.sock,server=on,wait=off | QEMU's chardev options (',server=on,wait=off') are"
            + " not part of an address; use 'unix:/tmp/q.sock'",
        "tcp:127.0.0.1:4444,server,nowait  | QEMU's chardev options (',server,nowait') are not"
            + " part of an address; use 'tcp:127.0.0.1:4444'",
      })
  void refusesWithAMessageThatNamesTheTextAndTheForms(String text, String why) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> QmpAddress.parse(text));
    assertEquals(
        "not a QMP address: '"
            + text
            + "': "
            + why
            + ". Accepted forms: unix:PATH, tcp:HOST:PORT, tcp:[IPV6]:PORT, PATH (containing '/'"
            + " or naming an existing socket file), HOST:PORT, [IPV6]:PORT, '-' or 'stdio'",
        e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 65536})
  void tcpPortsAreChecked(int port) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> QmpAddress.tcp("localhost", port));
    assertTrue(e.getMessage().startsWith("TCP port out of range (0 to 65535): " + port));
  }

  @Test
  void bracketsBelongToTheTextFormOnly() {
    assertThrows(IllegalArgumentException.class, () -> QmpAddress.tcp("[::1]", 4444));
    assertEquals("tcp:[::1]:4444", QmpAddress.tcp("::1", 4444).toString());
  }

  @Test
  void aUnixPathMustNotBeEmpty() {
    assertThrows(IllegalArgumentException.class, () -> QmpAddress.unix(""));
  }
}
