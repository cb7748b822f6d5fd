package org.qmp4j.client.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.qmp4j.protocol.QmpJson;

/**
 * A request without arguments, encoded once but for its id's number: {@code head}, the digits,
 * {@code tail} give exactly the bytes the writer makes for it. Immutable; the client caches the
 * last one made ({@link Connection.Owner#template}), and any sending thread uses it.
 */
final class RequestTemplate {
  private static final long PROBE = 1_000_000_007L;
  final String command;
  final boolean oob;
  private final byte[] head;
  private final byte[] tail;

  private RequestTemplate(String command, boolean oob, byte[] head, byte[] tail) {
    this.command = command;
    this.oob = oob;
    this.head = head;
    this.tail = tail;
  }

  /** Null if the command's encoding cannot be split around its id's number. */
  static RequestTemplate of(String command, boolean oob) {
    ObjectNode request = QmpJson.objectNode();
    request.put(oob ? "exec-oob" : "execute", command);
    request.put("id", PROBE);
    byte[] bytes;
    try {
      bytes = Connection.WRITER.writeMessage(request);
    } catch (RuntimeException e) {
      return null; // the slow path reports it
    }
    byte[] marker = (":" + PROBE).getBytes(StandardCharsets.US_ASCII);
    int at = indexOf(bytes, marker, 0);
    if (at < 0 || indexOf(bytes, marker, at + 1) >= 0) {
      return null;
    }
    int digitsAt = at + 1;
    int digitsEnd = digitsAt + Long.toString(PROBE).length();
    return new RequestTemplate(
        command,
        oob,
        Arrays.copyOfRange(bytes, 0, digitsAt),
        Arrays.copyOfRange(bytes, digitsEnd, bytes.length));
  }

  private static int indexOf(byte[] bytes, byte[] marker, int from) {
    outer:
    for (int i = from; i <= bytes.length - marker.length; i++) {
      for (int k = 0; k < marker.length; k++) {
        if (bytes[i + k] != marker[k]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** The request with id {@code n}, positive. */
  byte[] encode(long n) {
    int digits = 1;
    for (long v = n; v >= 10; v /= 10) {
      digits++;
    }
    byte[] out = new byte[head.length + digits + tail.length];
    System.arraycopy(head, 0, out, 0, head.length);
    int end = head.length + digits;
    for (long v = n; ; v /= 10) {
      out[--end] = (byte) ('0' + (v % 10));
      if (v < 10) {
        break;
      }
    }
    System.arraycopy(tail, 0, out, head.length + digits, tail.length);
    return out;
  }
}
