package org.qmp4j.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One QMP message, in one of the five shapes the protocol knows.
 *
 * <p>Messages are immutable records whose JSON parts ({@code arguments}, {@code return}, {@code
 * data}, ids) are shared, not copied: treat every {@link JsonNode} you pass in or get out as
 * read-only.
 */
public sealed interface QmpMessage
    permits QmpGreeting, QmpRequest, QmpReturn, QmpErrorReply, QmpEvent {

  /**
   * This message in QMP's wire shape, members in the order QEMU writes them. Optional members that
   * are absent ({@code null}) are left out.
   */
  ObjectNode toJson();

  /**
   * Classifies a JSON value received from a peer, as a client sees the stream:
   *
   * <ul>
   *   <li>a {@code QMP} member: {@link QmpGreeting};
   *   <li>a {@code return} member: {@link QmpReturn};
   *   <li>an {@code error} member (an object with string {@code class} and {@code desc}): {@link
   *       QmpErrorReply};
   *   <li>an {@code event} member (a string) with a {@code timestamp}: {@link QmpEvent};
   *   <li>an {@code execute} or {@code exec-oob} member: {@link QmpRequest}.
   * </ul>
   *
   * Members the shape does not use are ignored. This is not QEMU's request validation (a server
   * checks requests with QEMU's own rules and texts); it is how a client recognises what it got.
   *
   * @throws QmpProtocolException if {@code json} is not an object, has none or several of these
   *     members, or a member has the wrong type; the message says which
   */
  static QmpMessage fromJson(JsonNode json) {
    return MessageShapes.classify(json);
  }
}
