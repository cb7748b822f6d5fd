package org.qmp4j.conformance;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The rows of the reference ({@code /work/shared/reference/qemu-7.2-behaviour.md}, sections 0 to 8)
 * and whether a differential test of a protocol engine applies to them. Row ids are the section
 * number and, for sections without numbered subsections, a short name of the subsection. A row that
 * does not apply says why (the transcripts cannot provoke it on {@code -machine none}, or it is
 * about the machine rather than the protocol engine). docs/conformance.md shows the same table.
 */
final class Rows {
  private Rows() {}

  /** Row id to {@code null} (applies: at least one case must cover it) or why it does not apply. */
  static final Map<String, String> ALL = new LinkedHashMap<>();

  static {
    row("0.framing", null);
    row("0.compact", null);
    row("0.pretty", null);
    row("0.escaping", null);
    row("0.numbers", null);
    row("0.order", null);
    row("1.greeting", null);
    row("1.qmp_capabilities", null);
    row("1.before-negotiation", null);
    row("1.twice", null);
    row("2.1", null);
    row("2.2", null);
    row("2.3", null);
    row("2.4", null);
    row("2.5", null);
    row("2.6", null);
    row("3.order", null);
    row("3.arg-errors", null);
    row("3.coercion", null);
    row("3.arguments-id", null);
    row("4.oob-commands", null);
    row("4.classify", null);
    row("4.queue", null);
    row(
        "4.command-dropped",
        "an event that no longer exists; its absence shows in every case (no case receives it)");
    row("5.format", null);
    row("5.delivery", null);
    row(
        "5.throttling",
        "only guest-side events are throttled (RTC_CHANGE, WATCHDOG, ...); none can be provoked"
            + " through QMP on -machine none. qmp4j-server's unit tests cover the throttle");
    row("5.ordering", null);
    row("6", null);
    row("7.query-qmp-schema", null);
    row("7.query-commands", null);
    row("7.query-version", null);
    row("7.query-status", null);
    row("7.state-machine", null);
    row("8", null);
  }

  private static void row(String id, String notApplicable) {
    ALL.put(id, notApplicable);
  }
}
