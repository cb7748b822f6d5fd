package org.qmp4j.sim.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.qmp4j.schema.QapiSchema;
import org.qmp4j.schema.SchemaCommand;
import org.qmp4j.schema.SchemaEvent;

/**
 * The cut of QEMU's schema the build writes for start-up ({@link SimSchema#CUT_RESOURCE}) is up to
 * date and gives the schema QEMU's whole one gives: the same {@code query-qmp-schema} answer, byte
 * for byte, and the same commands and events in the same order.
 */
class SimSchemaTest {
  private static final Set<String> COMMANDS = new LinkedHashSet<>(Commands.QEMU_COMMANDS);
  private static final Set<String> EVENTS = new LinkedHashSet<>(Commands.QEMU_EVENTS);

  @Test
  void theBuildsCutIsOnTheClassPathAndUpToDate() {
    JsonNode cut = SimSchema.cutResource().orElse(null);
    assertTrue(cut != null, SimSchema.CUT_RESOURCE + " missing: the build's process-classes step");
    JsonNode expected = SimSchema.cut(SimSchema.wholeResource(), COMMANDS, EVENTS);
    assertEquals(expected, cut, "a stale cut: rebuild qmp4j-sim");
    assertTrue(cut.size() < SimSchema.wholeResource().size() / 2, "cut entities: " + cut.size());
    assertTrue(SimSchema.cutHolds(COMMANDS, EVENTS));
  }

  @Test
  void theCutGivesTheSchemaTheWholeGives() {
    QapiSchema fromCut = SimSchema.build(COMMANDS, EVENTS, b -> {});
    QapiSchema fromWhole = SimSchema.buildFromWhole(COMMANDS, EVENTS, b -> {});
    assertEquals(fromWhole.toIntrospection().toString(), fromCut.toIntrospection().toString());
    assertEquals(
        fromWhole.toUnmaskedIntrospection().toString(),
        fromCut.toUnmaskedIntrospection().toString());
    assertEquals(
        fromWhole.commands().stream().map(SchemaCommand::name).toList(),
        fromCut.commands().stream().map(SchemaCommand::name).toList());
    assertEquals(
        fromWhole.commands().stream().map(SchemaCommand::freeForm).toList(),
        fromCut.commands().stream().map(SchemaCommand::freeForm).toList());
    assertEquals(
        fromWhole.events().stream().map(SchemaEvent::name).toList(),
        fromCut.events().stream().map(SchemaEvent::name).toList());
  }

  @Test
  void aCommandOutsideTheCutComesFromTheWholeSchema() {
    Set<String> more = new LinkedHashSet<>(COMMANDS);
    more.add("query-iothreads");
    assertTrue(!SimSchema.cutHolds(more, EVENTS));
    QapiSchema s = SimSchema.build(more, EVENTS, b -> {});
    assertTrue(s.command("query-iothreads").isPresent());
    assertTrue(s.type("IOThreadInfo").isPresent());
  }
}
