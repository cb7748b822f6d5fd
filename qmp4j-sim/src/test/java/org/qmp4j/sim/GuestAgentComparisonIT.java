package org.qmp4j.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.qmp4j.testing.GuestAgentProcess;
import org.qmp4j.testing.RawConnection;

/**
 * The simulated guest agent and the real qemu-ga ({@code -m unix-listen}, serving this host), fed
 * the same bytes: every reply must be the same, byte for byte. The requests only touch files in
 * qemu-ga's temporary directory (created in the simulated guest too) and run harmless programs.
 * Skipped without qemu-ga; fails under {@code CI=true}.
 */
class GuestAgentComparisonIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Requests, one per line as sent; {@code $D} is the directory, {@code $H} the last handle {@code
   * guest-file-open} returned. {@code EXEC {...}} runs {@code guest-exec} and records the final
   * status (polling while {@code exited} is false) and the reply to one more status request; {@code
   * INFO} compares {@code guest-info}'s version and command list (names, order, success-response;
   * not {@code enabled}, false in the simulator for the commands it does not model).
   */
  private static final List<String> STEPS =
      List.of(
          "{\"execute\":\"qmp_capabilities\"}",
          "{\"exec-oob\":\"guest-ping\"}",
          "{\"execute\":\"guest-ping\",\"id\":\"x1\"}",
          "{\"execute\":\"guest-ping\",\"arguments\":{\"x\":2}}",
          "{\"execute\":\"guest-ping\",\"extra\":1}",
          "[1]",
          "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":-5}}",
          "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":18446744073709551615}}",
          "{\"execute\":\"guest-sync\"}",
          "{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":43},\"id\":7}",
          "{\"execute\": \"guest-pi\u00ff{\"execute\":\"guest-sync-delimited\","
              + "\"arguments\":{\"id\":5678}}",
          "{\"execute\":\"no-such-command\"}",
          "{\"execute\":\"guest-get-devices\",\"arguments\":{\"x\":1}}",
          "{\"execute\":\"guest-shutdown\",\"arguments\":{\"mode\":\"bogus\"}}",
          "INFO",
          "{\"execute\":\"guest-get-timezone\"}",
          "{\"execute\":\"guest-get-users\"}",
          "{\"execute\":\"guest-fsfreeze-status\"}",
          "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"$D/missing\"}}",
          "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"$D/f.txt\",\"mode\":\"q\"}}",
          "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"$D/no/x\",\"mode\":\"w\"}}",
          "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"$D\",\"mode\":\"a\"}}",
          "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"$D/f.txt\"}}",
          "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":$H,\"count\":3}}",
          "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":$H}}",
          "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":$H}}",
          "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":$H,\"count\":50331649}}",
          "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":$H,\"buf-b64\":\"aGk=\"}}",
          "{\"execute\":\"guest-file-seek\",\"arguments\":{\"handle\":$H,\"offset\":2,"
              + "\"whence\":\"cur\"}}",
          "{\"execute\":\"guest-file-seek\",\"arguments\":{\"handle\":$H,\"offset\":-2,"
              + "\"whence\":2}}",
          "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":$H}}",
          "{\"execute\":\"guest-file-seek\",\"arguments\":{\"handle\":$H,\"offset\":0}}",
          "{\"execute\":\"guest-file-seek\",\"arguments\":{\"handle\":$H,\"offset\":0,"
              + "\"whence\":3}}",
          "{\"execute\":\"guest-file-flush\",\"arguments\":{\"handle\":$H}}",
          "{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":$H}}",
          "{\"execute\":\"guest-file-flush\",\"arguments\":{\"handle\":$H}}",
          "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"$D/g.bin\",\"mode\":\"wb+\"}}",
          "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":$H,"
              + "\"buf-b64\":\"AAEC\\n/w==\"}}",
          "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":$H,\"buf-b64\":\"QUJD\","
              + "\"count\":-1}}",
          "{\"execute\":\"guest-file-seek\",\"arguments\":{\"handle\":$H,\"offset\":6,"
              + "\"whence\":\"set\"}}",
          "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":$H,\"buf-b64\":\"QUJD\"}}",
          "{\"execute\":\"guest-file-seek\",\"arguments\":{\"handle\":$H,\"offset\":0,"
              + "\"whence\":\"set\"}}",
          "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":$H,\"count\":100}}",
          "{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":$H}}",
          "EXEC {\"path\":\"echo\",\"arg\":[\"hi\",\"there\"],\"capture-output\":true}",
          "EXEC {\"path\":\"/bin/false\"}",
          "EXEC {\"path\":\"cat\",\"input-data\":\"aGVsbG8=\",\"capture-output\":true}",
          "EXEC {\"path\":\"cat\",\"arg\":[\"$D/f.txt\"],\"capture-output\":true}",
          "EXEC {\"path\":\"cat\",\"arg\":[\"$D/missing\"],\"capture-output\":true}",
          "EXEC {\"path\":\"sh\",\"arg\":[\"-c\",\"echo out; echo err >&2; exit 3\"],"
              + "\"capture-output\":true}",
          "EXEC {\"path\":\"sh\",\"arg\":[\"-c\",\"kill -9 $$\"],\"capture-output\":true}",
          "EXEC {\"path\":\"true\",\"capture-output\":true}",
          "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/nonexistent/prog\"}}",
          "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"echo\",\"input-data\":\"!\"}}",
          "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"echo\",\"arg\":\"x\"}}",
          "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":1}}");

  private static final byte[] F_TXT = "hello\nworld\n".getBytes(StandardCharsets.UTF_8);

  @Test
  void theSimulatedAgentAnswersAsQemuGa() throws Exception {
    List<String> real;
    String dir;
    try (GuestAgentProcess ga = GuestAgentProcess.start()) {
      dir = ga.directory().toString();
      java.nio.file.Files.write(ga.directory().resolve("f.txt"), F_TXT);
      real = run(ga.socket(), dir);
    }
    List<String> simulated;
    try (SimulatedMachine vm = SimulatedMachine.newBuilder().build()) {
      vm.guestAgent().putFile(dir + "/f.txt", F_TXT);
      Path sock = java.nio.file.Files.createTempDirectory("qmp4j-ga-cmp").resolve("ga.sock");
      vm.guestAgent().listen(sock);
      simulated = run(sock, dir);
      java.nio.file.Files.deleteIfExists(sock);
      java.nio.file.Files.deleteIfExists(sock.getParent());
    }
    assertEquals(real.size(), simulated.size());
    for (int i = 0; i < real.size(); i++) {
      assertEquals(real.get(i), simulated.get(i), "step " + i);
    }
  }

  private static List<String> run(Path socket, String dir) throws IOException {
    List<String> replies = new ArrayList<>();
    long handle = -1;
    try (RawConnection c = RawConnection.open(socket)) {
      for (String step : STEPS) {
        String s = step.replace("$D", dir).replace("$H", Long.toString(handle));
        if (s.equals("INFO")) {
          c.send("{\"execute\":\"guest-info\"}\n");
          JsonNode info = JSON.readTree(line(c)).get("return");
          StringBuilder names = new StringBuilder(info.get("version").asText());
          for (JsonNode cmd : info.get("supported_commands")) {
            names.append(' ').append(cmd.get("name").asText());
            names.append(cmd.get("success-response").asBoolean() ? "" : "(no reply)");
          }
          replies.add(names.toString());
          continue;
        }
        if (s.startsWith("EXEC ")) {
          c.send("{\"execute\":\"guest-exec\",\"arguments\":" + s.substring(5) + "}\n");
          String reply = line(c);
          JsonNode pid = JSON.readTree(reply).path("return").path("pid");
          String status;
          do {
            c.send("{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":" + pid + "}}\n");
            status = line(c);
          } while (status.contains("\"exited\": false"));
          replies.add(status);
          c.send("{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":" + pid + "}}\n");
          replies.add(line(c));
          continue;
        }
        c.send(s.getBytes(StandardCharsets.ISO_8859_1));
        c.send("\n");
        String reply = line(c);
        if (s.contains("\u00ff")) {
          reply += line(c); // the parse error, then the delimited reply
        }
        if (s.contains("guest-file-open") && reply.startsWith("{\"return\": ")) {
          handle = JSON.readTree(reply).get("return").asLong();
          reply = "{\"return\": HANDLE}\n"; // qemu-ga's counter lives in its state directory
        }
        replies.add(reply);
      }
    }
    return replies;
  }

  private static String line(RawConnection c) throws IOException {
    return new String(c.readLineBytes(), StandardCharsets.ISO_8859_1);
  }
}
