package org.qmp4j.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The arguments object of a command without arguments behaves as a plain ObjectNode. */
class LazyMembersTest {
  @Test
  void emptyAsAPlainObject() throws Exception {
    ObjectNode lazy = LazyMembers.emptyArguments();
    ObjectNode plain = JsonNodeFactory.instance.objectNode();
    assertEquals(0, lazy.size());
    assertTrue(lazy.isEmpty());
    assertNull(lazy.get("x"));
    assertFalse(lazy.has("x"));
    assertTrue(lazy.path("x").isMissingNode());
    assertFalse(lazy.fields().hasNext());
    assertEquals(plain, lazy);
    assertEquals(lazy, plain);
    assertEquals(plain.hashCode(), lazy.hashCode());
    assertEquals("{}", lazy.toString());
    assertEquals("{}", new ObjectMapper().writeValueAsString(lazy));
    assertEquals(plain, lazy.deepCopy());
  }

  @Test
  void mutatedAsAPlainObject() throws Exception {
    ObjectNode lazy = LazyMembers.emptyArguments();
    ObjectNode plain = JsonNodeFactory.instance.objectNode();
    // views and iterators taken while empty behave as LinkedHashMap's do
    Map<String, JsonNode> view = new java.util.HashMap<>();
    Iterator<Map.Entry<String, JsonNode>> early = lazy.fields();
    Iterator<Map.Entry<String, JsonNode>> plainEarly = plain.fields();
    Iterable<Map.Entry<String, JsonNode>> properties = lazy.properties();
    for (ObjectNode o : List.of(lazy, plain)) {
      o.put("b", 1);
      o.put("a", "x");
      o.putObject("c").put("d", true);
      o.remove("a");
      o.put("a", 2);
      o.putIfAbsent("b", JsonNodeFactory.instance.numberNode(9));
    }
    assertEquals(plainEarly.hasNext(), early.hasNext());
    properties.forEach(e -> view.put(e.getKey(), e.getValue()));
    assertEquals(3, view.size());
    assertEquals(plain, lazy);
    assertEquals(lazy, plain);
    assertEquals(plain.hashCode(), lazy.hashCode());
    assertEquals(plain.toString(), lazy.toString());
    assertEquals(
        new ObjectMapper().writeValueAsString(plain), new ObjectMapper().writeValueAsString(lazy));
    List<String> names = new ArrayList<>();
    lazy.fieldNames().forEachRemaining(names::add);
    assertEquals(List.of("b", "c", "a"), names);
    assertEquals(plain, lazy.deepCopy());
    lazy.removeAll();
    assertTrue(lazy.isEmpty());
    ObjectNode cleared = LazyMembers.emptyArguments();
    cleared.removeAll();
    cleared.setAll(plain);
    assertEquals(plain, cleared);
  }
}
