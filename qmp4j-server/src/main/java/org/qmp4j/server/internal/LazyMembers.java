package org.qmp4j.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.AbstractMap;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The member map of the arguments object handed to a command declared without arguments, which a
 * handler almost never touches: a {@link LinkedHashMap} (what {@link ObjectNode} uses) made on the
 * first use other than a lookup, so that a request costs no map. Every operation, views included,
 * is the {@link LinkedHashMap}'s once it exists; before, the read-only queries answer as an empty
 * one would.
 */
final class LazyMembers extends AbstractMap<String, JsonNode> {
  private LinkedHashMap<String, JsonNode> map;

  /** A new, empty, mutable arguments object. */
  static ObjectNode emptyArguments() {
    return new ObjectNode(JsonNodeFactory.instance, new LazyMembers());
  }

  private Map<String, JsonNode> map() {
    if (map == null) {
      map = new LinkedHashMap<>();
    }
    return map;
  }

  @Override
  public int size() {
    return map == null ? 0 : map.size();
  }

  @Override
  public boolean isEmpty() {
    return map == null || map.isEmpty();
  }

  @Override
  public JsonNode get(Object key) {
    return map == null ? null : map.get(key);
  }

  @Override
  public boolean containsKey(Object key) {
    return map != null && map.containsKey(key);
  }

  @Override
  public boolean containsValue(Object value) {
    return map != null && map.containsValue(value);
  }

  @Override
  public JsonNode getOrDefault(Object key, JsonNode defaultValue) {
    return map == null ? defaultValue : map.getOrDefault(key, defaultValue);
  }

  @Override
  public JsonNode put(String key, JsonNode value) {
    return map().put(key, value);
  }

  @Override
  public JsonNode remove(Object key) {
    return map().remove(key);
  }

  @Override
  public void putAll(Map<? extends String, ? extends JsonNode> m) {
    map().putAll(m);
  }

  @Override
  public void clear() {
    map().clear();
  }

  @Override
  public Set<String> keySet() {
    return map().keySet();
  }

  @Override
  public Collection<JsonNode> values() {
    return map().values();
  }

  @Override
  public Set<Entry<String, JsonNode>> entrySet() {
    return map().entrySet();
  }

  @Override
  public void forEach(BiConsumer<? super String, ? super JsonNode> action) {
    map().forEach(action);
  }

  @Override
  public void replaceAll(BiFunction<? super String, ? super JsonNode, ? extends JsonNode> f) {
    map().replaceAll(f);
  }

  @Override
  public JsonNode putIfAbsent(String key, JsonNode value) {
    return map().putIfAbsent(key, value);
  }

  @Override
  public boolean remove(Object key, Object value) {
    return map().remove(key, value);
  }

  @Override
  public boolean replace(String key, JsonNode oldValue, JsonNode newValue) {
    return map().replace(key, oldValue, newValue);
  }

  @Override
  public JsonNode replace(String key, JsonNode value) {
    return map().replace(key, value);
  }

  @Override
  public JsonNode computeIfAbsent(String key, Function<? super String, ? extends JsonNode> f) {
    return map().computeIfAbsent(key, f);
  }

  @Override
  public JsonNode computeIfPresent(
      String key, BiFunction<? super String, ? super JsonNode, ? extends JsonNode> f) {
    return map().computeIfPresent(key, f);
  }

  @Override
  public JsonNode compute(
      String key, BiFunction<? super String, ? super JsonNode, ? extends JsonNode> f) {
    return map().compute(key, f);
  }

  @Override
  public JsonNode merge(
      String key,
      JsonNode value,
      BiFunction<? super JsonNode, ? super JsonNode, ? extends JsonNode> f) {
    return map().merge(key, value, f);
  }

  @Override
  public boolean equals(Object o) {
    return o == this || map().equals(o);
  }

  @Override
  public int hashCode() {
    return map().hashCode();
  }

  @Override
  public String toString() {
    return map().toString();
  }
}
