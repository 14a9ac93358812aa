package dev.usher.proxy.http.validation;

/**
 * The grammar of a Host value and of an absolute-form target's authority (RFC 9110 7.2, RFC 3986 3.2.2):
 * {@code host [":" port]}, where host is a bracketed IPv6 literal or a reg-name. No userinfo, no path, and no
 * comma: a comma means two values folded into one line, which backends split differently.
 */
final class Authority {
    private static final boolean[] REG_NAME = new boolean[128];

    static {
        String allowed = "-._~!$&'()*+;=%";
        for (int c = 0; c < 128; c++) {
            REG_NAME[c] = Character.isLetterOrDigit(c) || allowed.indexOf(c) >= 0;
        }
    }

    private Authority() {}

    static boolean isValid(CharSequence value) {
        if (value.length() == 0) {
            return false;
        }
        int portColon;
        if (value.charAt(0) == '[') {
            int close = indexOf(value, ']');
            if (close < 2 || !isIpLiteral(value, 1, close)) {
                return false;
            }
            if (close == value.length() - 1) {
                return true;
            }
            if (value.charAt(close + 1) != ':') {
                return false;
            }
            portColon = close + 1;
        } else {
            portColon = indexOf(value, ':');
            int hostEnd = portColon < 0 ? value.length() : portColon;
            if (hostEnd == 0) {
                return false;
            }
            for (int i = 0; i < hostEnd; i++) {
                char c = value.charAt(i);
                if (c >= 128 || !REG_NAME[c]) {
                    return false;
                }
            }
            if (portColon < 0) {
                return true;
            }
        }
        return isPort(value, portColon + 1);
    }

    private static boolean isIpLiteral(CharSequence s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (Character.digit(c, 16) < 0 && c != ':' && c != '.') {
                return false;
            }
        }
        return true;
    }

    /** Empty is allowed (RFC 3986: port = *DIGIT); at most 5 digits. */
    private static boolean isPort(CharSequence s, int from) {
        int n = s.length() - from;
        if (n > 5) {
            return false;
        }
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(CharSequence s, char c) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }
}
