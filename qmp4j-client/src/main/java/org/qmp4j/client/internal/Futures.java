package org.qmp4j.client.internal;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.qmp4j.client.QmpInterruptedException;
import org.qmp4j.protocol.QmpCommunicationException;

/** The blocking view's one way to wait: unwraps failures and restores the interrupt flag. */
public final class Futures {
  private Futures() {}

  /**
   * Waits for {@code future} and returns its value, or throws its failure as it is (never an {@link
   * ExecutionException}). On interrupt, cancels the future, sets the interrupt flag again and
   * throws {@link QmpInterruptedException}.
   */
  public static <T> T await(CompletableFuture<T> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      future.cancel(false);
      Thread.currentThread().interrupt();
      throw new QmpInterruptedException("interrupted while waiting for the peer", e);
    } catch (ExecutionException e) {
      throw rethrow(e.getCause());
    } catch (CancellationException e) {
      throw e;
    }
  }

  /** {@code t} unwrapped from completion wrappers, as an unchecked exception to throw. */
  static RuntimeException rethrow(Throwable t) {
    Throwable cause = unwrap(t);
    if (cause instanceof RuntimeException) {
      return (RuntimeException) cause;
    }
    if (cause instanceof Error) {
      throw (Error) cause;
    }
    return new QmpCommunicationException(String.valueOf(cause.getMessage()), cause);
  }

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
