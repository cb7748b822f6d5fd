package org.qmp4j.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The simulated guest agent, byte for byte against what qemu-ga 7.2.22 was seen to answer (the
 * expected lines below were recorded from {@code qemu-ga -m unix-listen}, with its pids, handles
 * and paths where the model has its own).
 */
class GuestAgentTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private SimFixture sim;
  private Path agentSocket;
  private SocketChannel ga;

  @BeforeEach
  void start() throws IOException {
    sim = new SimFixture(SimulatedMachine.newBuilder().name("vm1").cpus(2));
    agentSocket = sim.dir.resolve("ga.sock");
    sim.vm.guestAgent().listen(agentSocket);
    ga = SocketChannel.open(UnixDomainSocketAddress.of(agentSocket));
  }

  @AfterEach
  void stop() throws IOException {
    ga.close();
    sim.close();
  }

  /** Sends one request; returns what arrives until a line ends, or "" after {@code quiet}. */
  private String call(String request, Duration quiet) throws IOException {
    ga.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
    ga.configureBlocking(false);
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    ByteBuffer b = ByteBuffer.allocate(1);
    long deadline = System.nanoTime() + quiet.toNanos();
    try {
      while (System.nanoTime() < deadline) {
        int n = ga.read(b);
        if (n < 0) {
          break;
        }
        if (n == 0) {
          Thread.sleep(2);
          continue;
        }
        got.write(b.get(0));
        b.clear();
        if (got.toByteArray()[got.size() - 1] == '\n') {
          break;
        }
      }
    } catch (InterruptedException e) {
      throw new IOException(e);
    } finally {
      ga.configureBlocking(true);
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }

  private String call(String request) throws IOException {
    return call(request + "\n", Duration.ofSeconds(5));
  }

  private JsonNode result(String request) throws IOException {
    JsonNode reply = JSON.readTree(call(request));
    assertTrue(reply.has("return"), reply.toString());
    return reply.get("return");
  }

  @Test
  void syncDelimitedAnswersAfterTheSentinelByte() throws IOException {
    assertEquals(
        "\u00ff{\"return\": 43}\n",
        call("{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":43}}"));
    assertEquals(
        "{\"return\": 42}\n", call("{\"execute\":\"guest-sync\",\"arguments\":{\"id\":42}}"));
    assertEquals(
        "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command qmp_capabilities has"
            + " not been found\"}}\n",
        call("{\"execute\":\"qmp_capabilities\"}"));
  }

  @Test
  void infoListsQemuGasCommandsInItsOrder() throws IOException {
    JsonNode info = result("{\"execute\":\"guest-info\"}");
    assertEquals("7.2.22", info.get("version").asText());
    JsonNode list = info.get("supported_commands");
    assertEquals(42, list.size());
    assertEquals("guest-get-cpustats", list.get(0).get("name").asText());
    assertEquals("guest-sync-delimited", list.get(41).get("name").asText());
    for (JsonNode c : list) {
      boolean noReply = c.get("name").asText().matches("guest-shutdown|guest-suspend-.*");
      assertEquals(!noReply, c.get("success-response").asBoolean(), c.toString());
    }
    assertEquals(
        "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Command guest-get-devices has been"
            + " disabled\"}}\n",
        call("{\"execute\":\"guest-get-devices\",\"arguments\":{\"x\":1}}"));
    assertEquals(
        "{\"return\": {\"host-name\": \"vm1\"}}\n", call("{\"execute\":\"guest-get-host-name\"}"));
    assertEquals(
        "{\"return\": [{\"online\": true, \"can-offline\": true, \"logical-id\": 1}, {\"online\":"
            + " true, \"can-offline\": false, \"logical-id\": 0}]}\n",
        call("{\"execute\":\"guest-get-vcpus\"}"));
    assertTrue(result("{\"execute\":\"guest-get-time\"}").asLong() % 1000 == 0);
  }

  /** Polls guest-exec-status as a client does; returns the exited status line. */
  private String waitFor(long pid) throws IOException {
    String status;
    do {
      status = call("{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":" + pid + "}}");
    } while (status.contains("\"exited\": false"));
    assertEquals(
        "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid parameter 'pid'\"}}\n",
        call("{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":" + pid + "}}"));
    return status;
  }

  private String exec(String arguments) throws IOException {
    long pid =
        result("{\"execute\":\"guest-exec\",\"arguments\":" + arguments + "}").get("pid").asLong();
    return waitFor(pid);
  }

  @Test
  void execRunsSandboxedProgramsWithQemuGasStatus() throws IOException {
    assertEquals(
        "{\"return\": {\"exitcode\": 0, \"out-data\": \"aGkK\", \"out-truncated\": false,"
            + " \"exited\": true}}\n",
        exec("{\"path\":\"echo\",\"arg\":[\"hi\"],\"capture-output\":true}"));
    assertEquals(
        "{\"return\": {\"exitcode\": 0, \"exited\": true}}\n",
        exec("{\"path\":\"echo\",\"arg\":[\"hi\"]}"));
    assertEquals(
        "{\"return\": {\"exitcode\": 1, \"exited\": true}}\n", exec("{\"path\":\"/bin/false\"}"));
    assertEquals(
        "{\"return\": {\"exitcode\": 3, \"err-data\": \"ZXJyCg==\", \"out-data\": \"b3V0Cg==\","
            + " \"err-truncated\": false, \"out-truncated\": false, \"exited\": true}}\n",
        exec(
            "{\"path\":\"sh\",\"arg\":[\"-c\",\"echo out; echo err >&2; exit 3\"],"
                + "\"capture-output\":true}"));
    assertEquals(
        "{\"return\": {\"exitcode\": 0, \"out-data\": \"aGVsbG8=\", \"out-truncated\": false,"
            + " \"exited\": true}}\n",
        exec("{\"path\":\"cat\",\"input-data\":\"aGVsbG8=\",\"capture-output\":true}"));
    assertEquals(
        "{\"return\": {\"exitcode\": 0, \"exited\": true}}\n",
        exec("{\"path\":\"cat\",\"capture-output\":true}"));
    assertEquals(
        "{\"return\": {\"signal\": 9, \"exited\": true}}\n",
        exec("{\"path\":\"sh\",\"arg\":[\"-c\",\"kill -9 $$\"],\"capture-output\":true}"));
    assertEquals(
        "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Guest agent command failed, error was"
            + " 'Failed to execute child process \\u201C/nonexistent/prog\\u201D (No such file or"
            + " directory)'\"}}\n",
        call("{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/nonexistent/prog\"}}"));
    assertEquals(
        "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Base64 data contains invalid"
            + " characters\"}}\n",
        call(
            "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"echo\",\"input-data\":\"!!\"}}"));
    assertEquals(
        "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid parameter type for"
            + " 'capture-output', expected: boolean\"}}\n",
        call(
            "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"echo\","
                + "\"capture-output\":\"merged\"}}"));
  }

  @Test
  void sleepKeepsAProcessRunning() throws IOException {
    long start = System.nanoTime();
    long pid =
        result("{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"sleep\",\"arg\":[\"1\"]}}")
            .get("pid")
            .asLong();
    assertEquals(
        "{\"return\": {\"exited\": false}}\n",
        call("{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":" + pid + "}}"));
    assertEquals("{\"return\": {\"exitcode\": 0, \"exited\": true}}\n", waitFor(pid));
    assertTrue(System.nanoTime() - start > Duration.ofSeconds(1).toNanos());
  }

  @Test
  void filesBehaveAsQemuGasStdioFiles() throws IOException {
    sim.vm.guestAgent().putFile("/tmp/f.txt", "hello\nworld\n".getBytes(StandardCharsets.UTF_8));
    List<String[]> transcript =
        List.of(
            new String[] {
              "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"/tmp/missing.txt\"}}",
              "{\"error\": {\"class\": \"GenericError\", \"desc\": \"failed to open file"
                  + " '/tmp/missing.txt' (mode: 'r'): No such file or directory\"}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"/tmp/f.txt\","
                  + "\"mode\":\"q\"}}",
              "{\"error\": {\"class\": \"GenericError\", \"desc\": \"invalid file open mode"
                  + " 'q'\"}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"/tmp/nodir/x\","
                  + "\"mode\":\"w\"}}",
              "{\"error\": {\"class\": \"GenericError\", \"desc\": \"failed to open file"
                  + " '/tmp/nodir/x' (mode: 'w'): No such file or directory\"}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"/tmp\",\"mode\":\"w\"}}",
              "{\"error\": {\"class\": \"GenericError\", \"desc\": \"failed to open file '/tmp'"
                  + " (mode: 'w'): Is a directory\"}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"/tmp/f.txt\"}}",
              "{\"return\": 1000}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":1000,\"count\":3}}",
              "{\"return\": {\"count\": 3, \"buf-b64\": \"aGVs\", \"eof\": false}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":1000}}",
              "{\"return\": {\"count\": 9, \"buf-b64\": \"bG8Kd29ybGQK\", \"eof\": true}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":1000}}",
              "{\"return\": {\"count\": 0, \"buf-b64\": \"\", \"eof\": true}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":1000,\"count\":-1}}",
              "{\"error\": {\"class\": \"GenericError\", \"desc\": \"value '-1' is invalid for"
                  + " argument count\"}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":1000,"
                  + "\"buf-b64\":\"aGk=\"}}",
              "{\"error\": {\"class\": \"GenericError\", \"desc\": \"failed to write to file: Bad"
                  + " file descriptor\"}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-seek\",\"arguments\":{\"handle\":1000,\"offset\":-1,"
                  + "\"whence\":\"end\"}}",
              "{\"return\": {\"eof\": false, \"position\": 11}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-seek\",\"arguments\":{\"handle\":1000,\"offset\":-100,"
                  + "\"whence\":\"set\"}}",
              "{\"error\": {\"class\": \"GenericError\", \"desc\": \"failed to seek file: Invalid"
                  + " argument\"}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-seek\",\"arguments\":{\"handle\":1000,\"offset\":0,"
                  + "\"whence\":7}}",
              "{\"error\": {\"class\": \"GenericError\", \"desc\": \"invalid whence code 7\"}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-seek\",\"arguments\":{\"handle\":1000,\"offset\":0,"
                  + "\"whence\":\"foo\"}}",
              "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'whence' does not"
                  + " accept value 'foo'\"}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":1000}}",
              "{\"return\": {}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":1000}}",
              "{\"error\": {\"class\": \"GenericError\", \"desc\": \"handle '1000' has not been"
                  + " found\"}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"/tmp/new.txt\","
                  + "\"mode\":\"w+\"}}",
              "{\"return\": 1001}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":1001,"
                  + "\"buf-b64\":\"aGVsbG8=\"}}",
              "{\"return\": {\"count\": 5, \"eof\": false}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":1001,"
                  + "\"buf-b64\":\"aGVsbG8=\",\"count\":2}}",
              "{\"return\": {\"count\": 2, \"eof\": false}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":1001,"
                  + "\"buf-b64\":\"aGVsbG8=\",\"count\":9}}",
              "{\"error\": {\"class\": \"GenericError\", \"desc\": \"value '9' is invalid for"
                  + " argument count\"}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":1001,"
                  + "\"buf-b64\":\"aGk\"}}",
              "{\"return\": {\"count\": 0, \"eof\": false}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":1001}}",
              "{\"return\": {\"count\": 0, \"buf-b64\": \"\", \"eof\": true}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-seek\",\"arguments\":{\"handle\":1001,\"offset\":0,"
                  + "\"whence\":0}}",
              "{\"return\": {\"eof\": false, \"position\": 0}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":1001}}",
              "{\"return\": {\"count\": 7, \"buf-b64\": \"aGVsbG9oZQ==\", \"eof\": true}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":1001,\"count\":0}}",
              "{\"return\": {\"count\": 0, \"buf-b64\": \"\", \"eof\": false}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":1001}}",
              "{\"return\": {}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"/tmp/new.txt\","
                  + "\"mode\":\"a\"}}",
              "{\"return\": 1002}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":1002,"
                  + "\"buf-b64\":\"QQ==\"}}",
              "{\"return\": {\"count\": 1, \"eof\": false}}\n"
            },
            new String[] {
              "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":1002}}",
              "{\"error\": {\"class\": \"GenericError\", \"desc\": \"failed to read file: Bad file"
                  + " descriptor\"}}\n"
            });
    for (String[] step : transcript) {
      assertEquals(step[1], call(step[0]), step[0]);
    }
    assertArrayEquals(
        "helloheA".getBytes(StandardCharsets.UTF_8),
        sim.vm.guestAgent().file("/tmp/new.txt").orElseThrow());
  }

  @Test
  void guestShutdownSendsNoReplyAndPowersTheMachineOff() throws IOException {
    SimClient qmp = sim.client();
    assertEquals(
        "{\"error\": {\"class\": \"GenericError\", \"desc\": \"mode is invalid (valid values are:"
            + " halt|powerdown|reboot\"}}\n",
        call("{\"execute\":\"guest-shutdown\",\"arguments\":{\"mode\":\"bogus\"}}"));
    assertEquals("", call("{\"execute\":\"guest-shutdown\"}\n", Duration.ofMillis(300)));
    JsonNode event = qmp.next(Duration.ofSeconds(5));
    assertEquals("SHUTDOWN", event.get("event").asText(), event.toString());
    assertEquals("{\"guest\":true,\"reason\":\"guest-shutdown\"}", event.get("data").toString());
    assertEquals(0, sim.vm.terminated().join());
  }

  @Test
  void aPausedGuestAnswersOnceItRunsAgain() throws IOException {
    SimClient qmp = sim.client();
    qmp.execute("stop");
    assertEquals(RunState.PAUSED, sim.vm.runState());
    assertEquals("", call("{\"execute\":\"guest-ping\"}\n", Duration.ofMillis(300)));
    qmp.execute("cont");
    assertEquals("{\"return\": {}}\n", call("", Duration.ofSeconds(5)));
  }

  @Test
  void frozenFileSystemsDisableMostCommands() throws IOException {
    assertEquals("{\"return\": 1}\n", call("{\"execute\":\"guest-fsfreeze-freeze\"}"));
    assertEquals("{\"return\": \"frozen\"}\n", call("{\"execute\":\"guest-fsfreeze-status\"}"));
    assertEquals(
        "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Command guest-file-open has been"
            + " disabled: the agent is in frozen state\"}}\n",
        call("{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"/etc/hostname\"}}"));
    JsonNode info = result("{\"execute\":\"guest-info\"}");
    int enabled = 0;
    for (JsonNode c : info.get("supported_commands")) {
      enabled += c.get("enabled").asBoolean() ? 1 : 0;
    }
    assertEquals(6, enabled);
    assertEquals("{\"return\": 1}\n", call("{\"execute\":\"guest-fsfreeze-thaw\"}"));
    assertFalse(
        call("{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"/etc/hostname\"}}")
            .contains("error"));
  }
}
