package org.qmp4j.protocol.internal;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Formats a double as C's {@code printf("%.17g")} does with glibc in the C locale, which is how
 * QEMU writes JSON numbers that are not integers.
 *
 * <p>Java's {@code String.format("%.17g")} differs (it keeps trailing zeros and switches to the
 * exponent form at other magnitudes), so this is written out: round the exact binary value to 17
 * significant digits (ties to even, as glibc does in the default rounding mode), take the decimal
 * exponent X of the rounded value, use the fixed form with {@code 16 - X} decimals when {@code -4
 * <= X < 17} and the exponent form otherwise, then strip trailing zeros and a trailing point. The
 * exponent has a sign and at least two digits.
 *
 * <p>Non-finite values print as glibc prints them: {@code inf}, {@code -inf}, {@code nan}, and
 * {@code -nan} for a NaN whose sign bit is set (glibc looks at the sign bit of the NaN it is
 * given).
 */
public final class DoubleFormat {
  private static final int PRECISION = 17;
  private static final MathContext SIGNIFICANT_17 =
      new MathContext(PRECISION, RoundingMode.HALF_EVEN);

  /** Integers below this magnitude print as plain integers; no rounding can occur. */
  private static final double EXACT_INTEGER_LIMIT = 0x1p53;

  private DoubleFormat() {}

  /** {@code value} as {@code printf("%.17g", value)} prints it. */
  public static String format(double value) {
    StringBuilder sb = new StringBuilder(24);
    append(value, sb);
    return sb.toString();
  }

  /** Appends {@code value} as {@code printf("%.17g", value)} prints it. */
  public static void append(double value, StringBuilder out) {
    boolean negative = (Double.doubleToRawLongBits(value) < 0);
    if (Double.isNaN(value)) {
      out.append(negative ? "-nan" : "nan");
      return;
    }
    if (negative) {
      out.append('-');
    }
    double magnitude = Math.abs(value);
    if (Double.isInfinite(magnitude)) {
      out.append("inf");
      return;
    }
    if (magnitude < EXACT_INTEGER_LIMIT && magnitude == Math.rint(magnitude)) {
      // At most 16 digits and no fraction: the fixed form, all decimals stripped.
      out.append((long) magnitude);
      return;
    }
    BigDecimal rounded = new BigDecimal(magnitude).round(SIGNIFICANT_17);
    String digits = rounded.unscaledValue().toString();
    int exponent = digits.length() - rounded.scale() - 1;
    int significant = digits.length();
    while (significant > 1 && digits.charAt(significant - 1) == '0') {
      significant--;
    }
    if (exponent >= -4 && exponent < PRECISION) {
      appendFixed(digits, significant, exponent, out);
    } else {
      appendExponent(digits, significant, exponent, out);
    }
  }

  private static void appendFixed(String digits, int significant, int exponent, StringBuilder out) {
    if (exponent < 0) {
      out.append("0.");
      for (int i = -1; i > exponent; i--) {
        out.append('0');
      }
      out.append(digits, 0, significant);
      return;
    }
    int integerDigits = exponent + 1;
    if (significant <= integerDigits) {
      out.append(digits, 0, significant);
      for (int i = significant; i < integerDigits; i++) {
        out.append('0');
      }
      return;
    }
    out.append(digits, 0, integerDigits).append('.').append(digits, integerDigits, significant);
  }

  private static void appendExponent(
      String digits, int significant, int exponent, StringBuilder out) {
    out.append(digits.charAt(0));
    if (significant > 1) {
      out.append('.').append(digits, 1, significant);
    }
    out.append('e').append(exponent < 0 ? '-' : '+');
    int abs = Math.abs(exponent);
    if (abs < 10) {
      out.append('0');
    }
    out.append(abs);
  }
}
