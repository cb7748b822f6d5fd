package org.qmp4j.client.internal;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.qmp4j.client.EventFilter;
import org.qmp4j.client.EventStream;
import org.qmp4j.client.EventSubscription;
import org.qmp4j.client.OverflowPolicy;
import org.qmp4j.protocol.QmpEvent;

/** Collects a subscription's configuration and starts it. */
final class SubscriptionBuilder implements EventSubscription.Builder {
  private final DefaultQmpClient client;
  private EventFilter filter = EventFilter.all();
  private int capacity = EventSubscription.DEFAULT_CAPACITY;
  private OverflowPolicy policy = EventSubscription.DEFAULT_OVERFLOW;
  private Executor executor;

  SubscriptionBuilder(DefaultQmpClient client) {
    this.client = client;
  }

  @Override
  public EventSubscription.Builder names(String... names) {
    this.filter = EventFilter.names(names);
    return this;
  }

  @Override
  public EventSubscription.Builder filter(EventFilter filter) {
    this.filter = Objects.requireNonNull(filter, "filter");
    return this;
  }

  @Override
  public EventSubscription.Builder where(Predicate<? super QmpEvent> predicate) {
    this.filter = filter.and(predicate);
    return this;
  }

  @Override
  public EventSubscription.Builder capacity(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
    }
    this.capacity = capacity;
    return this;
  }

  @Override
  public EventSubscription.Builder overflow(OverflowPolicy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
    return this;
  }

  @Override
  public EventSubscription.Builder executor(Executor executor) {
    this.executor = Objects.requireNonNull(executor, "executor");
    return this;
  }

  private Executor executor() {
    return executor != null ? executor : client.callbacks();
  }

  @Override
  public EventSubscription subscribe(Consumer<? super QmpEvent> listener) {
    Objects.requireNonNull(listener, "listener");
    Flow.Subscriber<QmpEvent> subscriber =
        new Flow.Subscriber<>() {
          @Override
          public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
          }

          @Override
          public void onNext(QmpEvent item) {
            listener.accept(item);
          }

          @Override
          public void onError(Throwable throwable) {
            DefaultQmpClient.LOG.debug("event subscription ended: {}", throwable.toString());
          }

          @Override
          public void onComplete() {}
        };
    Subscription s = new Subscription(client, filter, capacity, policy, executor(), subscriber);
    subscriber.onSubscribe(s);
    return client.addSubscription(s);
  }

  @Override
  public EventStream stream() {
    return client.addSubscription(
        new Subscription(client, filter, capacity, policy, executor(), null));
  }

  @Override
  public Flow.Publisher<QmpEvent> publisher() {
    EventFilter f = filter;
    int c = capacity;
    OverflowPolicy p = policy;
    Executor e = executor();
    return subscriber -> {
      Objects.requireNonNull(subscriber, "subscriber");
      Subscription s = new Subscription(client, f, c, p, e, subscriber);
      subscriber.onSubscribe(s);
      client.addSubscription(s);
    };
  }
}
