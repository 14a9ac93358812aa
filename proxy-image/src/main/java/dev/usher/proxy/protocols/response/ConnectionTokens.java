package dev.usher.proxy.protocols.response;

import io.netty.buffer.ByteBuf;

/** What a Connection field value says (RFC 9110 7.6.1): close, keep-alive, and whether it names other fields. */
record ConnectionTokens(boolean close, boolean keepAlive, boolean others) {

    /** Reads the comma-separated tokens of bytes {@code [start, end)}. */
    static ConnectionTokens of(ByteBuf buf, int start, int end) {
        boolean close = false;
        boolean keepAlive = false;
        boolean others = false;
        int i = start;
        while (i < end) {
            int comma = buf.indexOf(i, end, (byte) ',');
            int tokenEnd = comma < 0 ? end : comma;
            int s = trimStart(buf, i, tokenEnd);
            int e = trimEnd(buf, s, tokenEnd);
            if (e - s == 5 && equalsIgnoreCase(buf, s, "close")) {
                close = true;
                others = true; // a field named Close goes too, as any other named one
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
    static boolean names(ByteBuf list, int start, int end, ByteBuf name, int nameStart, int nameEnd) {
        int i = start;
        while (i < end) {
            int comma = list.indexOf(i, end, (byte) ',');
            int tokenEnd = comma < 0 ? end : comma;
            int s = trimStart(list, i, tokenEnd);
            int e = trimEnd(list, s, tokenEnd);
            if (e - s == nameEnd - nameStart && !isEndToEndOnly(name, nameStart, nameEnd)) {
                boolean same = true;
                for (int k = 0; k < e - s && same; k++) {
                    same = lower(list.getByte(s + k)) == lower(name.getByte(nameStart + k));
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
    private static boolean isEndToEndOnly(ByteBuf name, int start, int end) {
        FieldKind kind = FieldKind.of(name, start, end);
        return kind == FieldKind.CONTENT_LENGTH || kind == FieldKind.TRANSFER_ENCODING
                || (end - start == 4 && equalsIgnoreCase(name, start, "host"));
    }

    static boolean equalsIgnoreCase(ByteBuf buf, int start, String lower) {
        for (int k = 0; k < lower.length(); k++) {
            if (lower(buf.getByte(start + k)) != lower.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    private static int lower(byte b) {
        return b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b;
    }

    private static int trimStart(ByteBuf buf, int i, int end) {
        while (i < end && (buf.getByte(i) == ' ' || buf.getByte(i) == '\t')) {
            i++;
        }
        return i;
    }

    private static int trimEnd(ByteBuf buf, int start, int e) {
        while (e > start && (buf.getByte(e - 1) == ' ' || buf.getByte(e - 1) == '\t')) {
            e--;
        }
        return e;
    }
}
