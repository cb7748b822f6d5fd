package org.qmp4j.client;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What a test opened (clients, fake peers), closed after it, last first: {@code @RegisterExtension
 * final Closer closer = new Closer();} and {@code closer.track(client)}. Every item is closed even
 * if one fails; the first failure is rethrown with the others suppressed.
 */
final class Closer implements AfterEachCallback {
  private final List<AutoCloseable> open = new ArrayList<>();

  /** Registers {@code c} to be closed after the test; returns it. */
  <T extends AutoCloseable> T track(T c) {
    open.add(c);
    return c;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    Exception first = null;
    for (int i = open.size() - 1; i >= 0; i--) {
      try {
        open.get(i).close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    open.clear();
    if (first != null) {
      throw first;
    }
  }
}
