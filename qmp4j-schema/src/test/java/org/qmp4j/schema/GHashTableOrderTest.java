package org.qmp4j.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.qmp4j.schema.internal.GHashTableOrder;

/**
 * The model of GLib's hash table order against orders recorded from GLib 2.74 itself (Debian 12,
 * the GLib QEMU 7.2 runs on there): {@code src/test/scripts/ghash_vectors.py}.
 */
class GHashTableOrderTest {

  @Test
  void iteratesLikeGlib() throws IOException {
    JsonNode vectors;
    try (InputStream in = getClass().getResourceAsStream("ghash-vectors.json")) {
      vectors = ValidationTable.JSON.readTree(in);
    }
    assertTrue(vectors.get("glib").asText().startsWith("2.74."), vectors.get("glib").asText());
    int steps = 0;
    for (JsonNode c : vectors.get("cases")) {
      GHashTableOrder t = new GHashTableOrder();
      c.get("insert").forEach(k -> t.insert(k.asText()));
      assertEquals(strings(c.get("afterInsert")), t.keys(), "after inserting " + c.get("insert"));
      for (int i = 0; i < c.get("remove").size(); i++) {
        String k = c.get("remove").get(i).asText();
        assertTrue(t.remove(k), k);
        assertEquals(strings(c.get("afterRemove").get(i)), t.keys(), "after removing " + k);
        steps++;
      }
      List<String> left = t.keys();
      assertEquals(left.isEmpty() ? null : left.get(0), t.first());
      assertEquals(left.size(), t.size());
    }
    assertTrue(steps > 400, "removal steps checked: " + steps);
  }

  @Test
  void removingAnAbsentKeyChangesNothing() {
    GHashTableOrder t = new GHashTableOrder();
    t.insert("a");
    t.insert("b");
    List<String> before = t.keys();
    assertEquals(false, t.remove("zz"));
    t.insert("a");
    assertEquals(before, t.keys());
    assertTrue(t.contains("b"));
    assertEquals(false, t.contains("zz"));
  }

  private static List<String> strings(JsonNode a) {
    List<String> out = new ArrayList<>();
    a.forEach(x -> out.add(x.asText()));
    return out;
  }
}
