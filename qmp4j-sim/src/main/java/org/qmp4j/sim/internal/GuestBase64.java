package org.qmp4j.sim.internal;

import java.io.ByteArrayOutputStream;
import java.util.Base64;
import org.qmp4j.protocol.QmpErrorException;

/**
 * Base64 as qemu-ga reads and writes it: QEMU's {@code qbase64_decode} accepts only the alphabet,
 * {@code =} and newlines, then glib decodes leniently (whole groups of four; a trailing partial
 * group is dropped, {@code =} counts as padding wherever it is). Output is standard base64.
 */
final class GuestBase64 {
  private GuestBase64() {}

  static String encode(byte[] data) {
    return Base64.getEncoder().encodeToString(data);
  }

  static byte[] decode(String text) {
    int[] v = new int[4];
    char[] last = new char[4];
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() * 3 / 4 + 3);
    int i = 0;
    for (int k = 0; k < text.length(); k++) {
      char c = text.charAt(k);
      int rank = rank(c);
      if (rank == -2) {
        throw QmpErrorException.generic("Base64 data contains invalid characters");
      }
      if (rank == -1) {
        continue; // a newline: allowed and skipped
      }
      v[i] = rank;
      last[i] = c;
      if (++i == 4) {
        int word = v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3];
        out.write(word >> 16);
        if (last[2] != '=') {
          out.write(word >> 8);
        }
        if (last[3] != '=') {
          out.write(word);
        }
        i = 0;
      }
    }
    return out.toByteArray();
  }

  /** The value of a base64 character; '=' is 0, newline -1 (skipped), anything else -2. */
  private static int rank(char c) {
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      return c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      return c - '0' + 52;
    } else if (c == '+') {
      return 62;
    } else if (c == '/') {
      return 63;
    } else if (c == '=') {
      return 0;
    } else if (c == '\n') {
      return -1;
    }
    return -2;
  }
}
