package org.qmp4j.protocol.internal;

import java.nio.ByteBuffer;
import org.qmp4j.protocol.QmpReader;

/** Placeholder: being written. */
public final class LiberalJsonReader implements QmpReader {
  public LiberalJsonReader() {}

  public LiberalJsonReader(int maxMessageSize) {}

  @Override
  public void feed(ByteBuffer bytes, Handler handler) {
    throw new UnsupportedOperationException("not written yet");
  }

  @Override
  public void reset() {}
}
