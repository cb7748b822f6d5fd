package org.qmp4j.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.qmp4j.protocol.internal.QdictOrder;

/** QEMU's QDict iteration order, against member orders seen on QEMU 7.2's wire. */
class QDictOrderTest {

  @Test
  void ordersSeenOnTheWire() {
    assertEquals(
        List.of("micro", "minor", "major"),
        QdictOrder.iterationOrder(List.of("major", "minor", "micro")));
    assertEquals(List.of("return", "id"), QdictOrder.iterationOrder(List.of("id", "return")));
    assertEquals(List.of("id", "error"), QdictOrder.iterationOrder(List.of("error", "id")));
    assertEquals(List.of("class", "desc"), QdictOrder.iterationOrder(List.of("desc", "class")));
    assertEquals(
        List.of("timestamp", "event", "data"),
        QdictOrder.iterationOrder(List.of("event", "data", "timestamp")));
    assertEquals(
        List.of("status", "singlestep", "running"),
        QdictOrder.iterationOrder(List.of("running", "singlestep", "status")));
    // Reference §2.6: exec-oob is bucket 162, execute 299, foo 490, a 233.
    assertEquals(162, QdictOrder.bucket("exec-oob"));
    assertEquals(299, QdictOrder.bucket("execute"));
    assertEquals(490, QdictOrder.bucket("foo"));
    assertEquals(233, QdictOrder.bucket("a"));
  }

  @Test
  void laterInsertComesFirstWithinABucket() {
    assertEquals(QdictOrder.bucket("id"), QdictOrder.bucket("it"));
    assertEquals(List.of("it", "id"), QdictOrder.iterationOrder(List.of("id", "it")));
    assertEquals(List.of("id", "it"), QdictOrder.iterationOrder(List.of("it", "id")));
  }
}
