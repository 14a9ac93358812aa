package dev.usher.proxy.http.validation;

import io.netty.buffer.ByteBuf;

/** A check over raw request bytes that {@link RequestDecoder} runs before Netty's decoder reads them. */
interface ByteScanner {

    /** Checks bytes {@code [from, to)} of {@code buf}; returns the index after the last byte it took. */
    int scan(ByteBuf buf, int from, int to);

    /** Whether everything this scanner checks has been seen (a whole head, a whole chunked body). */
    boolean done();

    /** Why the bytes were refused, or null. */
    BadRequest failure();
}
