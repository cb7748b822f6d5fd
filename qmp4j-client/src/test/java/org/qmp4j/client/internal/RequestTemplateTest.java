package org.qmp4j.client.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.qmp4j.protocol.QmpJson;
import org.qmp4j.protocol.QmpWriter;

/** A command's pre-encoded request is byte for byte what the writer makes of the request. */
class RequestTemplateTest {

  @Test
  void encodesAsTheWriterDoes() {
    QmpWriter writer = QmpWriter.request();
    long[] ids = {1, 9, 10, 99, 100, 12345, 1_000_000_007L, Long.MAX_VALUE};
    for (String command : new String[] {"query-status", "x-\"odd\"\\name\u00e9", "x-1000000007"}) {
      for (boolean oob : new boolean[] {false, true}) {
        RequestTemplate t = RequestTemplate.of(command, oob);
        assertNotNull(t, command);
        for (long n : ids) {
          ObjectNode request = QmpJson.objectNode();
          request.put(oob ? "exec-oob" : "execute", command);
          request.put("id", n);
          assertArrayEquals(writer.writeMessage(request), t.encode(n), command + " " + n);
        }
      }
    }
  }
}
