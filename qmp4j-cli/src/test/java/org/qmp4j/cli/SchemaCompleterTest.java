package org.qmp4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.jline.reader.Candidate;
import org.junit.jupiter.api.Test;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.sim.SimulatedMachine;

/** Completion from the simulator's schema (QEMU 7.2's declarations). */
class SchemaCompleterTest {

  /** What the fake server was asked, one entry per query. */
  private final List<String> asked = new ArrayList<>();

  /** A fake server's replies to the queries completion makes. */
  private JsonNode reply(String[] q) {
    asked.add(String.join(" ", q));
    return switch (String.join(" ", q)) {
      case "query-block" ->
          QmpJson.parse(
              "[{\"device\": \"cd0\", \"qdev\": \"cd0dev\"},"
                  + " {\"device\": \"disk0\", \"qdev\":"
                  + " \"/machine/peripheral/disk0dev/virtio-backend\"},"
                  + " {\"device\": \"\", \"qdev\": \"\"}]");
      case "query-named-block-nodes" ->
          QmpJson.parse("[{\"node-name\": \"n0\"}, {\"node-name\": \"#block123\"}]");
      case "qom-list path /machine/peripheral" ->
          QmpJson.parse(
              "[{\"name\": \"type\", \"type\": \"string\"},"
                  + " {\"name\": \"net0\", \"type\": \"child<virtio-net-pci>\"},"
                  + " {\"name\": \"disk0dev\", \"type\": \"child<virtio-blk-pci>\"}]");
      case "query-jobs" -> QmpJson.parse("[{\"id\": \"backup0\", \"type\": \"backup\"}]");
        // As QEMU 7.2 prints them.
      case "human-monitor-command command-line help" ->
          com.fasterxml.jackson.databind.node.TextNode.valueOf(
              "announce_self [interfaces] [id] -- Trigger GARP/RARP announcements\r\n"
                  + "block_job_cancel [-f] device -- stop an active background block operation"
                  + " (use -f\r\n\t\t\t if you want to abort the operation immediately\r\n"
                  + "cont|c  -- resume emulation\r\n"
                  + "info [subcommand] -- show various information about the system state\r\n");
      case "human-monitor-command command-line help info" ->
          com.fasterxml.jackson.databind.node.TextNode.valueOf(
              "info balloon  -- show balloon information\r\n"
                  + "info block [-n] [-v] [device] -- show info of one block device\r\n"
                  + "info block-jobs  -- show progress of ongoing block device operations\r\n");
      default -> throw new IllegalStateException("CommandNotFound");
    };
  }

  private final SchemaCompleter completer =
      new SchemaCompleter(
          SimulatedMachine::schema,
          List::of,
          () -> false,
          new SchemaCompleter.LiveIds(
              q -> CompletableFuture.supplyAsync(() -> reply(q)),
              Duration.ofSeconds(3),
              Duration.ofSeconds(5)));

  private Set<String> values(String line) {
    List<String> words = ArgumentSyntax.split(line);
    String word = line.endsWith(" ") ? "" : words.get(words.size() - 1);
    if (line.endsWith(" ")) {
      words = new java.util.ArrayList<>(words);
      words.add("");
    }
    Set<String> out = new TreeSet<>();
    for (Candidate c : completer.complete(words, words.size() - 1, word)) {
      if (c.value().startsWith(word)) {
        out.add(c.value());
      }
    }
    return out;
  }

  @Test
  void commandNames() {
    Set<String> v = values("query-bl");
    assertTrue(v.contains("query-block"), v.toString());
    assertTrue(v.contains("query-block-jobs"), v.toString());
  }

  @Test
  void argumentNamesAndEnumValues() {
    assertEquals(Set.of("device=", "id=", "force="), values("eject "));
    assertEquals(Set.of("force="), values("eject id=cd0dev f"));
    assertEquals(Set.of("force=true", "force=false"), values("eject id=cd0dev force="));
    assertTrue(values("set-action panic=").contains("panic=exit-failure"));
  }

  @Test
  void unionBranchMembersOnceTheTagIsGiven() {
    Set<String> v = values("blockdev-add driver=file ");
    assertTrue(v.contains("filename="), v.toString());
    assertTrue(v.contains("node-name="), v.toString());
  }

  @Test
  void argsDescribesTheArguments() {
    List<String> lines = SchemaCompleter.describeArguments(SimulatedMachine.schema(), "eject");
    assertEquals(
        List.of("  device (optional) str", "  id (optional) str", "  force (optional) bool"),
        lines);
  }

  @Test
  void deviceIdsFromQueryBlock() {
    assertEquals(Set.of("id=cd0dev", "id=disk0dev"), values("eject id="));
    assertEquals(Set.of("device=cd0", "device=disk0"), values("eject device="));
    assertEquals(Set.of("id=cd0dev"), values("blockdev-open-tray id=c"));
  }

  @Test
  void peripheralIdsFromQomList() {
    assertEquals(Set.of("id=disk0dev", "id=net0"), values("device_del id="));
  }

  @Test
  void nodeNamesAndJobIds() {
    assertEquals(Set.of("node-name=#block123", "node-name=n0"), values("blockdev-del node-name="));
    assertEquals(Set.of("id=backup0"), values("job-cancel id="));
    assertEquals(Set.of("device=backup0"), values("block-job-set-speed device="));
    // A new name is not completed from the existing ones.
    assertEquals(Set.of(), values("blockdev-add driver=null-co node-name="));
    // Nor is a value that names nothing.
    assertEquals(Set.of(), values("qom-list path="));
  }

  @Test
  void namesAreFetchedOnceAndKeptBriefly() {
    values("eject id=");
    values("eject id=c");
    values("eject device=");
    assertEquals(List.of("query-block"), asked);
  }

  @Test
  void aLateReplyIsKeptForTheNextTab() {
    CompletableFuture<JsonNode> late = new CompletableFuture<>();
    SchemaCompleter slow =
        new SchemaCompleter(
            SimulatedMachine::schema,
            List::of,
            () -> false,
            new SchemaCompleter.LiveIds(
                q -> {
                  asked.add(String.join(" ", q));
                  return late;
                },
                Duration.ofSeconds(3),
                Duration.ofMillis(50)));
    assertEquals(List.of(), slow.complete(List.of("job-cancel", "id="), 1, "id="));
    late.complete(QmpJson.parse("[{\"id\": \"j1\"}]"));
    assertEquals(
        List.of("id=j1"),
        slow.complete(List.of("job-cancel", "id="), 1, "id=").stream()
            .map(Candidate::value)
            .toList());
    assertEquals(List.of("query-jobs"), asked);
  }

  @Test
  void aFailingQueryOffersNothing() {
    SchemaCompleter failing =
        new SchemaCompleter(
            SimulatedMachine::schema,
            List::of,
            () -> false,
            new SchemaCompleter.LiveIds(
                q -> CompletableFuture.failedFuture(new IllegalStateException("gone")),
                Duration.ofSeconds(3),
                Duration.ofSeconds(1)));
    assertEquals(List.of(), failing.complete(List.of("eject", "id="), 1, "id="));
  }

  @Test
  void hmpCommandsFromTheServersHelp() {
    SchemaCompleter hmp =
        new SchemaCompleter(
            SimulatedMachine::schema,
            List::of,
            () -> true,
            new SchemaCompleter.LiveIds(
                q -> CompletableFuture.supplyAsync(() -> reply(q)),
                Duration.ofSeconds(3),
                Duration.ofSeconds(5)));
    Set<String> first = new TreeSet<>();
    hmp.completeHmp(List.of("c"), 0).forEach(c -> first.add(c.value()));
    assertTrue(
        first.containsAll(Set.of("announce_self", "block_job_cancel", "cont", "c", "info")),
        first.toString());
    assertTrue(first.contains("!hmp"), first.toString());
    assertTrue(first.stream().noneMatch(w -> w.startsWith("if") || w.isBlank()), first.toString());
    Set<String> info = new TreeSet<>();
    hmp.completeHmp(List.of("info", ""), 1).forEach(c -> info.add(c.value()));
    assertEquals(Set.of("balloon", "block", "block-jobs"), info);
  }
}
