package dev.usher.proxy.protocols.response;

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
}
