package org.qmp4j.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QmpMessageTest {

  private static ObjectNode obj(String json) {
    return (ObjectNode) QmpJson.parse(json);
  }

  /** Through the wire and back: writer, liberal reader, classifier. */
  private static QmpMessage roundTrip(QmpMessage message) {
    byte[] bytes = QmpWriter.pretty().writeMessage(message.toJson());
    List<Object> values = ReaderHarness.readOnce(QmpReader.liberal(), bytes);
    assertEquals(1, values.size());
    return QmpMessage.fromJson((JsonNode) values.get(0));
  }

  private static String compact(QmpMessage message) {
    return QmpWriter.compact().toJson(message.toJson());
  }

  // ---------------------------------------------------------------- wire shapes

  @Test
  void greetingShapeMatchesQemu() throws IOException {
    QmpGreeting greeting =
        QmpGreeting.of(new QmpVersion(7, 2, 22, "Debian 1:7.2+dfsg-7+deb12u18+b3"), List.of("oob"));
    byte[] qemu = QmpWriterTest.resource("compact/greeting.bin");
    assertEquals(
        new String(qemu, 0, qemu.length - 2, java.nio.charset.StandardCharsets.US_ASCII),
        compact(greeting));
    assertTrue(greeting.hasCapability(QmpGreeting.OOB));
    assertEquals("7.2.22", greeting.version().versionString());
  }

  @Test
  void requestShapes() {
    assertEquals("{\"execute\": \"stop\"}", compact(QmpRequest.of("stop")));
    assertEquals(
        "{\"execute\": \"eject\", \"arguments\": {\"id\": \"cd0\"}, \"id\": 3}",
        compact(QmpRequest.of("eject", obj("{\"id\": \"cd0\"}")).withId(3)));
    assertEquals(
        "{\"exec-oob\": \"migrate-pause\", \"id\": \"x\"}",
        compact(new QmpRequest("migrate-pause", null, QmpJson.nodeFactory().textNode("x"), true)));
    assertEquals(
        "{\"execute\": \"stop\", \"id\": null}",
        compact(QmpRequest.of("stop").withId(NullNode.instance)));
    assertEquals("{\"exec-oob\": \"yank\"}", compact(QmpRequest.of("yank").withOob(true)));
  }

  @Test
  void returnShapes() {
    assertEquals("{\"return\": {}}", compact(QmpReturn.empty(null)));
    assertEquals(
        "{\"return\": [1], \"id\": \"a\"}",
        compact(new QmpReturn(QmpJson.parse("[1]"), QmpJson.parse("\"a\""))));
  }

  @Test
  void errorReplyShapesPutTheIdFirstAsQemuDoes() {
    assertEquals(
        "{\"id\": 1, \"error\": {\"class\": \"GenericError\", \"desc\": \"bad\"}}",
        compact(new QmpErrorReply("GenericError", "bad", QmpJson.parse("1"))));
    assertEquals(
        "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, stray '@'\"}}",
        compact(new QmpErrorReply("GenericError", "JSON parse error, stray '@'", null)));
  }

  @Test
  void eventShapes() {
    assertEquals(
        "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 123456}, \"event\": \"STOP\"}",
        compact(new QmpEvent("STOP", null, 1700000000, 123456)));
    assertEquals(
        "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESET\","
            + " \"data\": {\"guest\": false, \"reason\": \"host-qmp-system-reset\"}}",
        compact(
            new QmpEvent(
                "RESET", obj("{\"guest\": false, \"reason\": \"host-qmp-system-reset\"}"), 1, 2)));
  }

  @Test
  void emptyEventDataIsLeftOutAsQemuDoes() {
    QmpEvent event = new QmpEvent("STOP", QmpJson.objectNode(), 1, 2);
    assertNull(event.data());
    assertFalse(event.toJson().has("data"));
  }

  @Test
  void eventTimestamps() {
    Instant at = Instant.ofEpochSecond(1700000000, 123456789);
    QmpEvent event = QmpEvent.of("STOP", null, at);
    assertEquals(1700000000, event.seconds());
    assertEquals(123456, event.microseconds());
    assertEquals(Instant.ofEpochSecond(1700000000, 123456000), event.timestamp());
    assertNull(new QmpEvent("X", null, -1, -1).timestamp());
  }

  // ---------------------------------------------------------------- round trips

  @Test
  void everyShapeRoundTrips() {
    List<QmpMessage> messages =
        List.of(
            QmpGreeting.of(new QmpVersion(7, 2, 0, ""), List.of()),
            QmpGreeting.of(new QmpVersion(9, 1, 2, "v9.1.2"), List.of("oob", "future-cap")),
            QmpRequest.of("qmp_capabilities"),
            QmpRequest.of("query-status").withId(1),
            new QmpRequest("yank", obj("{\"instances\": []}"), QmpJson.parse("{\"x\": [1]}"), true),
            QmpRequest.of("stop").withId(NullNode.instance),
            QmpReturn.empty(QmpJson.parse("7")),
            new QmpReturn(QmpJson.parse("{\"status\": \"running\", \"running\": true}"), null),
            new QmpReturn(QmpJson.parse("18446744073709551615"), QmpJson.parse("0.5")),
            new QmpErrorReply("CommandNotFound", "The command x has not been found", null),
            new QmpErrorReply("GenericError", "h\u00e9llo \uD83D\uDE00", QmpJson.parse("\"id\"")),
            new QmpEvent("STOP", null, 1700000000, 5),
            new QmpEvent("BLOCK_JOB_READY", obj("{\"device\": \"j\", \"len\": 1}"), -1, -1));
    for (QmpMessage message : messages) {
      assertEquals(message, roundTrip(message), compact(message));
    }
  }

  @Test
  void classifiesWhatQemuSent() throws IOException {
    List<QmpMessage> kinds = new java.util.ArrayList<>();
    for (String name :
        List.of("greeting", "qmp_capabilities", "query-status", "error", "reset-event")) {
      for (Object value :
          ReaderHarness.readOnce(
              QmpReader.liberal(), QmpWriterTest.resource("pretty/" + name + ".bin"))) {
        kinds.add(QmpMessage.fromJson((JsonNode) value));
      }
    }
    QmpGreeting greeting = assertInstanceOf(QmpGreeting.class, kinds.get(0));
    assertEquals(new QmpVersion(7, 2, 22, "Debian 1:7.2+dfsg-7+deb12u18+b3"), greeting.version());
    assertEquals(List.of("oob"), greeting.capabilities());
    assertEquals(QmpReturn.empty(null), kinds.get(1));
    QmpReturn status = assertInstanceOf(QmpReturn.class, kinds.get(2));
    assertEquals("prelaunch", status.value().get("status").textValue());
    assertEquals(QmpJson.parse("1"), status.id());
    QmpErrorReply error = assertInstanceOf(QmpErrorReply.class, kinds.get(3));
    assertEquals("CommandNotFound", error.errorClass());
    assertEquals(QmpJson.parse("[1, {\"a\": 2.5}]"), error.id());
    QmpEvent reset = assertInstanceOf(QmpEvent.class, kinds.get(4));
    assertEquals("RESET", reset.name());
    assertEquals("host-qmp-system-reset", reset.data().get("reason").textValue());
    assertTrue(reset.seconds() > 1_600_000_000L);
    assertEquals(QmpJson.parse("9"), ((QmpReturn) kinds.get(5)).id());
  }

  @Test
  void greetingKeepsTheRawJson() {
    ObjectNode raw =
        obj(
            "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 0, \"major\": 10},"
                + " \"package\": \"\"}, \"capabilities\": [\"oob\"], \"extra\": 1}}");
    QmpGreeting greeting = (QmpGreeting) QmpMessage.fromJson(raw);
    assertEquals(raw, greeting.toJson());
    assertTrue(greeting.version().isAtLeast(7, 2));
    assertTrue(greeting.version().compareTo(new QmpVersion(10, 0, 1, "")) < 0);
  }

  @Test
  void extraMembersAreIgnored() {
    QmpReturn reply = (QmpReturn) QmpMessage.fromJson(obj("{\"return\": 1, \"future\": true}"));
    assertEquals(new QmpReturn(QmpJson.parse("1"), null), reply);
  }

  @Test
  void nullIdIsNotNoId() {
    QmpReturn withNull = (QmpReturn) QmpMessage.fromJson(obj("{\"return\": {}, \"id\": null}"));
    assertEquals(NullNode.instance, withNull.id());
    assertNull(((QmpReturn) QmpMessage.fromJson(obj("{\"return\": {}}"))).id());
  }

  // ---------------------------------------------------------------- errors

  @Test
  void errorReplyToException() {
    QmpErrorReply reply =
        new QmpErrorReply("DeviceNotFound", "Device 'x' not found", QmpJson.parse("4"));
    QmpErrorException e = reply.toException("device_del");
    assertInstanceOf(QmpErrorException.DeviceNotFoundException.class, e);
    assertEquals("device_del", e.command());
    assertEquals("Device 'x' not found", e.desc());
    assertEquals(QmpJson.parse("4"), e.id());
    assertEquals("device_del: DeviceNotFound: Device 'x' not found", e.getMessage());
    assertEquals(QmpErrorReply.of(e, QmpJson.parse("4")), reply);
    assertEquals(
        QmpErrorException.class, new QmpErrorReply("Odd", "d", null).toException(null).getClass());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "[1] | expected a JSON object, got [1]",
        "\"x\" | expected a JSON object, got \"x\"",
        "{} | no 'QMP', 'return', 'error', 'event', 'execute' or 'exec-oob' member: {}",
        "{\"id\": 1} | no 'QMP', 'return', 'error', 'event', 'execute' or 'exec-oob' member",
        "{\"return\": 1, \"error\": {}} | both 'return' and 'error' members",
        "{\"execute\": \"a\", \"exec-oob\": \"b\"} | both 'execute' and 'exec-oob' members",
        "{\"QMP\": 1} | greeting member 'QMP' must be an object",
        "{\"QMP\": {\"capabilities\": []}} | greeting lacks a 'version' object",
        "{\"QMP\": {\"version\": {}, \"capabilities\": []}} | QMP version lacks a 'qemu' object",
        "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 1, \"minor\": 2, \"micro\": 3}},"
            + " \"capabilities\": []}} | QMP version lacks a string 'package'",
        "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 1, \"minor\": 2, \"micro\": 3.5},"
            + " \"package\": \"\"}, \"capabilities\": []}} | QMP version lacks an integer 'qemu.micro'",
        "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 1, \"minor\": 2, \"micro\": 3},"
            + " \"package\": \"\"}}} | greeting lacks a 'capabilities' array",
        "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 1, \"minor\": 2, \"micro\": 3},"
            + " \"package\": \"\"}, \"capabilities\": [1]}} | greeting capabilities must be strings",
        "{\"error\": \"x\"} | error member 'error' must be an object",
        "{\"error\": {\"desc\": \"d\"}} | error reply lacks a string 'class'",
        "{\"error\": {\"class\": \"c\", \"desc\": 1}} | error reply lacks a string 'desc'",
        "{\"event\": 1} | event member 'event' must be a string",
        "{\"event\": \"STOP\"} | event lacks a 'timestamp' object",
        "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1}} | event timestamp lacks an"
            + " integer 'microseconds'",
        "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1.5, \"microseconds\": 1}} | event"
            + " timestamp lacks an integer 'seconds'",
        "{\"event\": \"X\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 1}, \"data\": []}"
            + " | event member 'data' must be an object",
        "{\"execute\": 1} | QMP input member 'execute' must be a string",
        "{\"exec-oob\": null} | QMP input member 'exec-oob' must be a string",
        "{\"execute\": \"x\", \"arguments\": []} | QMP input member 'arguments' must be an object",
      })
  void classificationErrorsSayWhatIsWrong(String json, String expected) {
    QmpProtocolException e =
        assertThrows(QmpProtocolException.class, () -> QmpMessage.fromJson(QmpJson.parse(json)));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertTrue(
        e.getMessage().startsWith("Not a QMP message: ")
            || e.getMessage().startsWith("QMP version"),
        e.getMessage());
  }

  @Test
  void nullIsNotAMessage() {
    assertThrows(QmpProtocolException.class, () -> QmpMessage.fromJson(null));
  }

  @Test
  void longValuesAreCutInErrorMessages() {
    ObjectNode big = QmpJson.objectNode();
    big.put("x", "y".repeat(10_000));
    QmpProtocolException e =
        assertThrows(QmpProtocolException.class, () -> QmpMessage.fromJson(big));
    assertTrue(e.getMessage().length() < 400, e.getMessage());
    assertTrue(e.getMessage().endsWith("..."));
  }

  @Test
  void requiredComponents() {
    assertThrows(NullPointerException.class, () -> QmpRequest.of(null));
    assertThrows(NullPointerException.class, () -> new QmpReturn(null, null));
    assertThrows(NullPointerException.class, () -> new QmpErrorReply(null, "d", null));
    assertThrows(NullPointerException.class, () -> new QmpEvent(null, null, 0, 0));
    assertThrows(NullPointerException.class, () -> QmpGreeting.of(null, List.of()));
    assertThrows(NullPointerException.class, () -> new QmpVersion(1, 2, 3, null));
  }
}
