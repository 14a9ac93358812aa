package dev.usher.proxy.protocols.response;

import dev.usher.proxy.http.validation.RequestCheck;
import dev.usher.proxy.http.validation.Tokens;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.util.AsciiString;

/**
 * What a Connection field value says (RFC 9110 7.6.1): close, keep-alive, and whether it names other fields. The
 * value is read in place, through an {@link AsciiString} view of the head's bytes, by the same {@link Tokens} walk
 * as the request side's.
 */
public record ConnectionTokens(boolean close, boolean keepAlive, boolean others) {

    /** Reads the comma-separated tokens of bytes {@code [start, end)}. */
    public static ConnectionTokens of(byte[] buf, int start, int end) {
        boolean close = false;
        boolean keepAlive = false;
        boolean others = false;
        Tokens t = new Tokens(new AsciiString(buf, start, end - start, false));
        while (t.next()) {
            if (t.is(HttpHeaderValues.CLOSE)) {
                close = true; // a field named Close is dropped anyway: FieldKind.CLOSE
            } else if (t.is(HttpHeaderValues.KEEP_ALIVE)) {
                keepAlive = true;
            } else if (!t.is(HttpHeaderValues.UPGRADE)) {
                others = true;
            }
        }
        return new ConnectionTokens(close, keepAlive, others);
    }

    /**
     * Whether the token list {@code [start, end)} of {@code list} names the field {@code [nameStart, nameEnd)} of
     * {@code name}. The fields that frame or route a message are never named away ({@link RequestCheck#isEndToEndOnly}).
     */
    public static boolean names(byte[] list, int start, int end, byte[] name, int nameStart, int nameEnd) {
        AsciiString field = new AsciiString(name, nameStart, nameEnd - nameStart, false);
        if (RequestCheck.isEndToEndOnly(field)) {
            return false;
        }
        Tokens t = new Tokens(new AsciiString(list, start, end - start, false));
        while (t.next()) {
            if (t.is(field)) {
                return true;
            }
        }
        return false;
    }
}
