package org.qmp4j.conformance;

/** Shows bytes (one char per byte) readably: printable ASCII as is, CR/LF/TAB/others escaped. */
final class Escapes {
  private Escapes() {}

  static String show(String bytes) {
    StringBuilder sb = new StringBuilder(bytes.length() + 8);
    for (int i = 0; i < bytes.length(); i++) {
      char c = bytes.charAt(i);
      switch (c) {
        case '\r' -> sb.append("\\r");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c >= 0x20 && c < 0x7f) {
            sb.append(c);
          } else {
            sb.append(String.format("\\x%02x", (int) c & 0xff));
          }
        }
      }
    }
    return sb.toString();
  }

  /** {@link #show} cut to {@code max} chars with a note of how much was left out. */
  static String shorten(String bytes, int max) {
    String s = show(bytes);
    if (s.length() <= max) {
      return s;
    }
    return s.substring(0, max) + "... (" + bytes.length() + " bytes)";
  }
}
