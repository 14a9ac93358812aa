package dev.usher.proxy.protocols;

/** Field names compared as bytes, whatever their ASCII case (RFC 9110 5.1), without a String per name. */
public final class AsciiCase {
    private AsciiCase() {}

    public static byte lower(byte b) {
        return b >= 'A' && b <= 'Z' ? (byte) (b + ('a' - 'A')) : b;
    }

    /** Whether the bytes of {@code buf} from {@code start} spell {@code lower} (given in lower case), in any case. */
    public static boolean equalsLower(byte[] buf, int start, byte[] lower) {
        for (int i = 0; i < lower.length; i++) {
            if (lower(buf[start + i]) != lower[i]) {
                return false;
            }
        }
        return true;
    }
}
