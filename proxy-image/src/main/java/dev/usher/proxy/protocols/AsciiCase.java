package dev.usher.proxy.protocols;

import java.nio.charset.StandardCharsets;

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

    /**
     * The bytes {@code [start, end)} of {@code buf} as a String in lower case: a key for sets and maps of names that
     * a sender chooses, because a bin of colliding String keys is a tree in HashMap, not a list.
     */
    public static String lowerString(byte[] buf, int start, int end) {
        byte[] lower = new byte[end - start];
        for (int i = 0; i < lower.length; i++) {
            lower[i] = lower(buf[start + i]);
        }
        return new String(lower, StandardCharsets.ISO_8859_1);
    }
}
