package org.qmp4j.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The transcripts themselves: they parse, and together they cover every applicable row. */
class TranscriptsTest {
  private static final List<Transcript> ALL = Transcripts.all();

  @Test
  void thereAreAtLeast150UniquelyNamedCases() {
    assertTrue(ALL.size() >= 150, "cases: " + ALL.size());
    Set<String> names = new HashSet<>();
    for (Transcript t : ALL) {
      assertTrue(names.add(t.name()), "duplicate case name " + t.name() + " at " + t.source());
    }
  }

  @Test
  void everyRowNamedIsARowOfTheReference() {
    for (Transcript t : ALL) {
      for (String r : t.rows()) {
        assertTrue(Rows.ALL.containsKey(r), t.source() + ": unknown row " + r);
      }
    }
  }

  @Test
  void everyApplicableRowIsCoveredAndNoOtherIs() {
    Set<String> covered = new TreeSet<>();
    ALL.forEach(t -> covered.addAll(t.rows()));
    Set<String> applicable = new TreeSet<>();
    Rows.ALL.forEach(
        (row, notApplicable) -> {
          if (notApplicable == null) {
            applicable.add(row);
          }
        });
    assertEquals(applicable, covered);
  }
}
