package org.qmp4j.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import org.qmp4j.protocol.QmpEvent;
import org.qmp4j.protocol.QmpJson;

/**
 * Which events a subscription or an {@linkplain QmpClient#executeAndAwaitEventAsync awaited event}
 * wants: a set of names (empty: all) and a predicate. Immutable.
 *
 * <pre>{@code
 * EventFilter.names("BLOCK_JOB_COMPLETED", "BLOCK_JOB_ERROR").withData("device", "job0")
 * EventFilter.deviceDeleted("nic1")
 * EventFilter.names("STOP")
 * }</pre>
 *
 * The predicate runs on the connection's reader thread, for every event whose name matches: keep it
 * short and non-blocking.
 */
public final class EventFilter implements Predicate<QmpEvent> {

  private static final EventFilter ALL = new EventFilter(Set.of(), e -> true, "all events");

  private final Set<String> names;
  private final Predicate<? super QmpEvent> predicate;
  private final String description;

  private EventFilter(Set<String> names, Predicate<? super QmpEvent> predicate, String text) {
    this.names = names;
    this.predicate = predicate;
    this.description = text;
  }

  /** Every event. */
  public static EventFilter all() {
    return ALL;
  }

  /** Events with one of these names ({@code none}: every event). */
  public static EventFilter names(String... names) {
    if (names.length == 0) {
      return ALL;
    }
    Set<String> set = new LinkedHashSet<>(Arrays.asList(names));
    set.forEach(n -> Objects.requireNonNull(n, "name"));
    return new EventFilter(Set.copyOf(set), e -> true, String.join("|", set));
  }

  /** Events for which {@code predicate} holds. */
  public static EventFilter matching(Predicate<? super QmpEvent> predicate) {
    return ALL.and(predicate);
  }

  /**
   * {@code DEVICE_DELETED} for the device with this id (its {@code device} member) or, if {@code
   * idOrPath} starts with {@code /}, with this QOM path (its {@code path} member).
   */
  public static EventFilter deviceDeleted(String idOrPath) {
    Objects.requireNonNull(idOrPath, "idOrPath");
    String key = idOrPath.startsWith("/") ? "path" : "device";
    return names("DEVICE_DELETED").withData(key, idOrPath);
  }

  /**
   * The end of the block job with this id: {@code BLOCK_JOB_COMPLETED} or {@code
   * BLOCK_JOB_CANCELLED} whose {@code device} member is the job id. A completion with an {@code
   * error} member is a failed job; check {@code data().get("error")}.
   */
  public static EventFilter blockJobEnded(String jobId) {
    return names("BLOCK_JOB_COMPLETED", "BLOCK_JOB_CANCELLED").withData("device", jobId);
  }

  /**
   * This filter, further limited to events whose data member {@code key} is the string {@code
   * value}. Same as {@link #withData(String, Object)} with a string.
   */
  public EventFilter withData(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    return new EventFilter(
        names,
        e -> {
          if (!predicate.test(e) || e.data() == null) {
            return false;
          }
          JsonNode v = e.data().get(key);
          return v != null && v.isTextual() && v.textValue().equals(value);
        },
        description + " with " + key + "=" + value);
  }

  /**
   * This filter, further limited to events whose data member {@code key} equals {@code value} as
   * JSON: a string, a number, a boolean, or an object, array or record Jackson serialises (a {@link
   * JsonNode} as it is). Numbers compare by value, whatever their Java type ({@code 5}, {@code 5L}
   * and {@code 5.0} all match the member {@code 5}); a string never matches a number or a boolean.
   * An event without the member does not match.
   *
   * <pre>{@code
   * EventFilter.names("BLOCK_JOB_ERROR").withData("operation", "write")
   * EventFilter.names("RTC_CHANGE").withData("offset", 0)
   * EventFilter.names("DEVICE_TRAY_MOVED").withData("tray-open", true)
   * }</pre>
   *
   * @throws NullPointerException if {@code key} or {@code value} is null (a JSON {@code null}
   *     member: pass {@code NullNode.getInstance()})
   */
  public EventFilter withData(String key, Object value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    if (value instanceof String) {
      return withData(key, (String) value);
    }
    JsonNode expected =
        value instanceof JsonNode ? ((JsonNode) value).deepCopy() : QmpJson.toNode(value);
    return new EventFilter(
        names,
        e -> {
          if (!predicate.test(e) || e.data() == null) {
            return false;
          }
          JsonNode v = e.data().get(key);
          return v != null && v.equals(NUMBERS_BY_VALUE, expected);
        },
        description + " with " + key + "=" + expected);
  }

  /** JSON equality where numbers are equal if their values are, whatever their representation. */
  private static final Comparator<JsonNode> NUMBERS_BY_VALUE =
      (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
          try {
            return a.decimalValue().compareTo(b.decimalValue());
          } catch (NumberFormatException e) { // NaN or infinite: no decimal value
            return a.equals(b) ? 0 : 1;
          }
        }
        return a.equals(b) ? 0 : 1;
      };

  /** This filter, further limited by {@code more}. */
  public EventFilter and(Predicate<? super QmpEvent> more) {
    Objects.requireNonNull(more, "more");
    Predicate<? super QmpEvent> first = predicate;
    return new EventFilter(names, e -> first.test(e) && more.test(e), description + " (filtered)");
  }

  /** The names this filter accepts; empty means any name. */
  public Set<String> eventNames() {
    return names;
  }

  /** Whether the event's name is one of {@link #eventNames()} (or the set is empty). */
  public boolean acceptsName(String name) {
    return names.isEmpty() || names.contains(name);
  }

  @Override
  public boolean test(QmpEvent event) {
    return acceptsName(event.name()) && predicate.test(event);
  }

  @Override
  public String toString() {
    return description;
  }
}
