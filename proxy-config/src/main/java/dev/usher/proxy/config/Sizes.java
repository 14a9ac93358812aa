package dev.usher.proxy.config;

import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.regex.Pattern;

/**
 * Byte sizes as Kubernetes quantities, the form of a container's memory limit: {@code 512}, {@code 16Ki},
 * {@code 10Mi}, {@code 1.5Gi}, {@code 2k}, {@code 3M}. fabric8's {@link Quantity} does the arithmetic; the pattern
 * keeps out what makes no sense for bytes (a sign, milli-bytes, exponents).
 */
public final class Sizes {

    /** The grammar of a size, for schemas (a ProxiedApp's CRD). */
    public static final String PATTERN = "^[0-9]+(\\.[0-9]+)?([KMGTPE]i|[kMGTPE])?$";

    private static final Pattern FORM = Pattern.compile(PATTERN);
    private static final String[] BINARY = {"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"};

    private Sizes() {}

    /** Throws IllegalArgumentException with a message for the user when {@code text} is not a whole number of bytes. */
    public static long parse(String text) {
        String s = text.trim();
        if (!FORM.matcher(s).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (e.g. 512, 16Ki, 10Mi, 1Gi)");
        }
        BigDecimal bytes = Quantity.getAmountInBytes(new Quantity(s)).stripTrailingZeros();
        if (bytes.scale() > 0) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number of bytes");
        }
        try {
            return bytes.longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is too large", e);
        }
    }

    /** The shortest binary form: {@code 10Mi}, {@code 16Ki}, {@code 1000}. */
    public static String format(long bytes) {
        for (int i = 0; i < BINARY.length; i++) {
            long factor = 1L << (10 * (BINARY.length - i));
            if (bytes != 0 && bytes % factor == 0) {
                return bytes / factor + BINARY[i];
            }
        }
        return Long.toString(bytes);
    }
}
