package org.qmp4j.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.qmp4j.schema.internal.QDictOrder;

/** QEMU's QDict iteration order, against member orders seen on QEMU 7.2's wire. */
class QDictOrderTest {

  @Test
  void ordersSeenOnTheWire() {
    assertEquals(
        List.of("micro", "minor", "major"),
        QDictOrder.iterationOrder(List.of("major", "minor", "micro")));
    assertEquals(List.of("return", "id"), QDictOrder.iterationOrder(List.of("id", "return")));
    assertEquals(List.of("id", "error"), QDictOrder.iterationOrder(List.of("error", "id")));
    assertEquals(List.of("class", "desc"), QDictOrder.iterationOrder(List.of("desc", "class")));
    assertEquals(
        List.of("timestamp", "event", "data"),
        QDictOrder.iterationOrder(List.of("event", "data", "timestamp")));
    assertEquals(
        List.of("status", "singlestep", "running"),
        QDictOrder.iterationOrder(List.of("running", "singlestep", "status")));
    // Reference §2.6: exec-oob is bucket 162, execute 299, foo 490, a 233.
    assertEquals(162, QDictOrder.bucket("exec-oob"));
    assertEquals(299, QDictOrder.bucket("execute"));
    assertEquals(490, QDictOrder.bucket("foo"));
    assertEquals(233, QDictOrder.bucket("a"));
  }

  @Test
  void laterInsertComesFirstWithinABucket() {
    assertEquals(QDictOrder.bucket("id"), QDictOrder.bucket("it"));
    assertEquals(List.of("it", "id"), QDictOrder.iterationOrder(List.of("id", "it")));
    assertEquals(List.of("id", "it"), QDictOrder.iterationOrder(List.of("it", "id")));
  }
}
