package dev.usher.proxy.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as Kubernetes writes them ({@code metav1.Duration}, which is Go's {@code time.ParseDuration}): one or
 * more numbers with a unit each, {@code 500ms}, {@code 2s}, {@code 1.5m}, {@code 1h30m}; a bare {@code 0}. The proxy's
 * file, the operator's flags and the ProxiedApp's schema all use this one grammar.
 *
 * <p>Not fabric8's {@code Duration.parse}: in 7.5.2 it reads {@code 1.5s} as 5 s and {@code -1s} as 1 s without a
 * word (it picks whole-number tokens out of the text and ignores the rest), and writes nanoseconds.
 */
public final class Durations {

    private static final String TOKEN = "([0-9]+(\\.[0-9]+)?)(ns|us|ms|s|m|h)";
    /** The grammar of a non-negative duration, for schemas (a ProxiedApp's CRD). */
    public static final String PATTERN = "^(0|(" + TOKEN + ")+)$";

    private static final Pattern WHOLE = Pattern.compile("[-+]?(0|(" + TOKEN + ")+)");
    private static final Pattern ONE = Pattern.compile(TOKEN);
    private static final String[] UNITS = {"h", "m", "s", "ms", "us", "ns"};
    private static final long[] NANOS = {3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L, 1_000_000L, 1_000L, 1L};

    private Durations() {}

    /** Throws IllegalArgumentException with a message for the user when {@code text} is not a duration. */
    public static Duration parse(String text) {
        String s = text.trim();
        if (!WHOLE.matcher(s).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (e.g. 500ms, 2s, 5m, 1h30m)");
        }
        BigDecimal nanos = BigDecimal.ZERO;
        Matcher m = ONE.matcher(s);
        while (m.find()) {
            nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(nanosOf(m.group(3)))));
        }
        try {
            long whole = nanos.setScale(0, RoundingMode.HALF_UP).longValueExact();
            return Duration.ofNanos(s.startsWith("-") ? -whole : whole);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is too long", e);
        }
    }

    /** The shortest text {@link #parse} reads back as {@code d}: {@code 2s}, {@code 5m}, {@code 1m30s}, {@code 0s}. */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        StringBuilder out = new StringBuilder(d.isNegative() ? "-" : "");
        long rest = Math.abs(d.toNanos());
        for (int i = 0; i < UNITS.length && rest > 0; i++) {
            if (rest >= NANOS[i]) {
                out.append(rest / NANOS[i]).append(UNITS[i]);
                rest %= NANOS[i];
            }
        }
        return out.toString();
    }

    private static long nanosOf(String unit) {
        for (int i = 0; i < UNITS.length; i++) {
            if (UNITS[i].equals(unit)) {
                return NANOS[i];
            }
        }
        throw new IllegalArgumentException(unit);
    }
}
