package org.qmp4j.transport.internal;

import java.nio.channels.SocketChannel;
import org.qmp4j.transport.QmpAddress;
import org.qmp4j.transport.QmpConnection;

/**
 * The door to junixsocket. This class names none of junixsocket's types, so that the JDK-only paths
 * work even when junixsocket is left off the class path; {@link JunixSupport} does the work.
 */
public final class Junix {
  private static final String PACKAGE = "org.newsclub.net.unix.";

  private static volatile String unavailableReason;
  private static volatile boolean checked;

  private Junix() {}

  /** Whether {@code channel} is a junixsocket channel (without loading junixsocket). */
  public static boolean isJunixChannel(Object channel) {
    return channel != null && channel.getClass().getName().startsWith(PACKAGE);
  }

  /** Whether junixsocket is on the class path and its native library works here. */
  public static boolean available() {
    return unavailableReason() == null;
  }

  /** Why junixsocket cannot be used, or {@code null} if it can. */
  public static String unavailableReason() {
    if (!checked) {
      synchronized (Junix.class) {
        if (!checked) {
          String reason;
          try {
            Class.forName(PACKAGE + "AFUNIXSocket", false, Junix.class.getClassLoader());
            reason = JunixSupport.supported() ? null : "junixsocket does not support this platform";
          } catch (ClassNotFoundException | LinkageError e) {
            reason = "junixsocket is not on the class path or failed to load: " + e;
          }
          unavailableReason = reason;
          checked = true;
        }
      }
    }
    return unavailableReason;
  }

  /** Wraps a junixsocket channel. */
  public static QmpConnection adopt(SocketChannel channel, QmpAddress address) {
    return JunixSupport.adopt(channel, address);
  }
}
