package org.qmp4j.client.internal;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.helpers.MessageFormatter;

/**
 * An SLF4J {@link Logger} for tests: DEBUG on or off as told; records every debug line with the
 * thread that logged it, and counts how often it was asked whether DEBUG is on.
 */
final class RecordingLogger {
  record Line(String thread, String text) {}

  final List<Line> lines = new CopyOnWriteArrayList<>();
  final AtomicInteger debugChecks = new AtomicInteger();
  final AtomicInteger otherCalls = new AtomicInteger();
  final Logger logger;

  RecordingLogger(boolean debugEnabled) {
    logger =
        (Logger)
            Proxy.newProxyInstance(
                Logger.class.getClassLoader(),
                new Class<?>[] {Logger.class},
                (proxy, method, args) -> {
                  switch (method.getName()) {
                    case "getName":
                      return "org.qmp4j.client.wire";
                    case "isDebugEnabled":
                      debugChecks.incrementAndGet();
                      return debugEnabled;
                    case "debug":
                      lines.add(new Line(Thread.currentThread().getName(), format(args)));
                      return null;
                    default:
                      otherCalls.incrementAndGet();
                      return method.getReturnType() == boolean.class ? false : null;
                  }
                });
  }

  private static String format(Object[] args) {
    String pattern = (String) args[0];
    Object[] rest;
    if (args.length == 2 && args[1] instanceof Object[]) {
      rest = (Object[]) args[1];
    } else {
      rest = java.util.Arrays.copyOfRange(args, 1, args.length);
    }
    return MessageFormatter.arrayFormat(pattern, rest).getMessage();
  }

  /** Installs this logger for the clients created until {@link #uninstall()}. */
  RecordingLogger install() {
    DefaultQmpClient.wireLoggerOverride = logger;
    return this;
  }

  static void uninstall() {
    DefaultQmpClient.wireLoggerOverride = null;
  }

  /** The lines containing {@code part}. */
  List<Line> matching(String part) {
    return lines.stream().filter(l -> l.text().contains(part)).toList();
  }
}
