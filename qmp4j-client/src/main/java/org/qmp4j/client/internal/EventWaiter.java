package org.qmp4j.client.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import org.qmp4j.client.EventFilter;
import org.qmp4j.protocol.QmpEvent;

/** One executeAndAwaitEvent: completes when both the event and the command's success are in. */
final class EventWaiter {
  final EventFilter filter;
  final CompletableFuture<QmpEvent> future;
  private final DefaultQmpClient client;
  private QmpEvent event;
  private boolean commandDone;
  volatile ScheduledFuture<?> timer;

  EventWaiter(DefaultQmpClient client, EventFilter filter, CompletableFuture<QmpEvent> future) {
    this.client = client;
    this.filter = filter;
    this.future = future;
  }

  void eventArrived(QmpEvent e) {
    boolean done;
    synchronized (this) {
      if (event != null) {
        return;
      }
      event = e;
      done = commandDone;
    }
    if (done) {
      finish(null);
    }
  }

  void commandSucceeded() {
    boolean done;
    synchronized (this) {
      commandDone = true;
      done = event != null;
    }
    if (done) {
      finish(null);
    }
  }

  void fail(Throwable cause) {
    finish(cause);
  }

  private void finish(Throwable cause) {
    client.removeWaiter(this);
    ScheduledFuture<?> t = timer;
    if (t != null) {
      t.cancel(false);
    }
    if (cause != null) {
      future.completeExceptionally(cause);
    } else {
      QmpEvent e;
      synchronized (this) {
        e = event;
      }
      future.complete(e);
    }
  }
}
