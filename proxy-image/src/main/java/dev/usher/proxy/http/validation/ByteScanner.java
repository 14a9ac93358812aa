package dev.usher.proxy.http.validation;

import io.netty.buffer.ByteBuf;

/** A reader of raw request bytes that checks them as {@link RequestDecoder} takes them: a head, a chunked body's framing. */
interface ByteScanner {

    /** Checks bytes {@code [from, to)} of {@code buf}; returns the index after the last byte it took. */
    int scan(ByteBuf buf, int from, int to);

    /** Whether everything this scanner checks has been seen (a whole head, a whole chunked body). */
    boolean done();

    /** Why the bytes were refused, or null. */
    BadRequest failure();
}
