package org.qmp4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.jline.reader.Candidate;
import org.junit.jupiter.api.Test;
import org.qmp4j.sim.SimulatedMachine;

/** Completion from the simulator's schema (QEMU 7.2's declarations). */
class SchemaCompleterTest {

  private final SchemaCompleter completer =
      new SchemaCompleter(SimulatedMachine::schema, List::of, () -> false);

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
}
