package dev.usher.proxy.protocols.response;

/** What a Connection field value says (RFC 9110 7.6.1): close, keep-alive, and whether it names other fields. */
record ConnectionTokens(boolean close, boolean keepAlive, boolean others) {

    /** Reads the comma-separated tokens of bytes {@code [start, end)}. */
    static ConnectionTokens of(byte[] buf, int start, int end) {
        boolean close = false;
        boolean keepAlive = false;
        boolean others = false;
        int i = start;
        while (i < end) {
            int tokenEnd = indexOfComma(buf, i, end);
            int s = trimStart(buf, i, tokenEnd);
            int e = trimEnd(buf, s, tokenEnd);
            if (e - s == 5 && equalsIgnoreCase(buf, s, "close")) {
                close = true; // a field named Close is dropped anyway: FieldKind.CLOSE
            } else if (e - s == 10 && equalsIgnoreCase(buf, s, "keep-alive")) {
                keepAlive = true;
            } else if (e > s && !(e - s == 7 && equalsIgnoreCase(buf, s, "upgrade"))) {
                others = true;
            }
            i = tokenEnd + 1;
        }
        return new ConnectionTokens(close, keepAlive, others);
    }

    /** Whether the token list {@code [start, end)} of {@code list} has the name {@code [nameStart, nameEnd)} of {@code name}. */
    static boolean names(byte[] list, int start, int end, byte[] name, int nameStart, int nameEnd) {
        int i = start;
        while (i < end) {
            int tokenEnd = indexOfComma(list, i, end);
            int s = trimStart(list, i, tokenEnd);
            int e = trimEnd(list, s, tokenEnd);
            if (e - s == nameEnd - nameStart && !isEndToEndOnly(name, nameStart, nameEnd)) {
                boolean same = true;
                for (int k = 0; k < e - s && same; k++) {
                    same = lower(list[s + k]) == lower(name[nameStart + k]);
                }
                if (same) {
                    return true;
                }
            }
            i = tokenEnd + 1;
        }
        return false;
    }

    /** Content-Length and Transfer-Encoding frame the message for every hop: a Connection header cannot drop them. */
    private static boolean isEndToEndOnly(byte[] name, int start, int end) {
        FieldKind kind = FieldKind.of(name, start, end);
        return kind == FieldKind.CONTENT_LENGTH || kind == FieldKind.TRANSFER_ENCODING
                || (end - start == 4 && equalsIgnoreCase(name, start, "host"));
    }

    static boolean equalsIgnoreCase(byte[] buf, int start, String lower) {
        for (int k = 0; k < lower.length(); k++) {
            if (lower(buf[start + k]) != lower.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    private static int lower(byte b) {
        return b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b;
    }

    private static int indexOfComma(byte[] buf, int i, int end) {
        while (i < end && buf[i] != ',') {
            i++;
        }
        return i;
    }

    private static int trimStart(byte[] buf, int i, int end) {
        while (i < end && (buf[i] == ' ' || buf[i] == '\t')) {
            i++;
        }
        return i;
    }

    private static int trimEnd(byte[] buf, int start, int e) {
        while (e > start && (buf[e - 1] == ' ' || buf[e - 1] == '\t')) {
            e--;
        }
        return e;
    }
}
