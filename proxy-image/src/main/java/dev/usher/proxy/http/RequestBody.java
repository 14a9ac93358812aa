package dev.usher.proxy.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.util.ArrayDeque;

/**
 * The client's side of one request on its way upstream: the pieces of its body, counted against the body limit, and
 * either streamed as they come (held only until the upstream connection is there) or read whole first
 * ({@link RequestBuffer}, buffering.request). {@link ProxyExchange} decides what each step means for the exchange;
 * this class only moves and counts bytes. Runs on the client connection's event loop.
 */
final class RequestBody {
    /** What one piece from the client led to. */
    enum Step {
        /** More is to come. */
        MORE,
        /** Over limits.maxBodySize: the piece was dropped. */
        TOO_LARGE,
        /** A buffered body is whole: the request can take an upstream now. */
        READ_WHOLE,
        /** The body's end went upstream: the wait for the response starts. */
        SENT
    }

    private final boolean present;
    private final long limit;
    /** Made only when buffering.request applies. */
    private final RequestBuffer buffer;
    /** Pieces that arrived before the upstream connection; made only for a streamed body that has some. */
    private ArrayDeque<HttpContent> pending;
    private long bytes;
    private boolean complete;

    /**
     * @param present whether the request announced a body (Content-Length over 0, or chunked)
     * @param buffer  where to read it whole first, or null to stream it
     */
    RequestBody(boolean present, long limit, RequestBuffer buffer) {
        this.present = present;
        this.limit = limit;
        this.buffer = buffer;
    }

    boolean present() {
        return present;
    }

    boolean buffered() {
        return buffer != null;
    }

    /** Whether the client has sent the request's end. */
    boolean complete() {
        return complete;
    }

    /** Whether nothing of this request is left to read from the client: a bodiless request is, from its head on. */
    boolean fullyRead() {
        return complete || !present;
    }

    /** Whether the upstream got the whole body, so that its connection can carry another request. */
    boolean sentWhole() {
        return complete && (buffer == null || buffer.written());
    }

    long limit() {
        return limit;
    }

    /** The length of a body read whole. */
    long bufferedSize() {
        return buffer.size();
    }

    boolean spilled() {
        return buffer != null && buffer.spilled();
    }

    /**
     * Takes one piece from the client: counts it, and keeps it, buffers it or writes it to {@code upstream} (null
     * while there is no connection, or while the body is read whole).
     */
    Step take(HttpContent content, Channel upstream) throws IOException {
        boolean last = content instanceof LastHttpContent;
        bytes += content.content().readableBytes();
        if (bytes > limit) {
            content.release();
            return Step.TOO_LARGE;
        }
        complete = last;
        if (buffer != null) {
            buffer.add(content);
            return last ? Step.READ_WHOLE : Step.MORE;
        }
        if (!present) {
            // The head said all there is: no codec writes anything for the end of a bodiless request.
            content.release();
            if (last && upstream != null) {
                upstream.flush();
                return Step.SENT;
            }
        } else if (upstream == null) {
            if (pending == null) {
                pending = new ArrayDeque<>(2);
            }
            pending.add(content);
        } else if (last) {
            upstream.writeAndFlush(content, upstream.voidPromise());
            return Step.SENT;
        } else {
            upstream.write(content, upstream.voidPromise());
        }
        return Step.MORE;
    }

    /**
     * Writes what the client sent before the connection was there (a buffered body from its first byte, for each
     * attempt) and flushes.
     */
    void sendSoFar(Channel upstream) throws IOException {
        if (buffer != null) {
            buffer.rewind();
            buffer.writeTo(upstream);
            return;
        }
        if (pending != null) {
            HttpContent c;
            while ((c = pending.poll()) != null) {
                upstream.write(c, upstream.voidPromise());
            }
        }
        upstream.flush();
    }

    /** The upstream turned writable: a buffered body goes on where it stopped. */
    void resume(Channel upstream) throws IOException {
        if (buffer != null && !buffer.written()) {
            buffer.writeTo(upstream);
        }
    }

    /** Frees what is held; the exchange is over. */
    void release() {
        if (pending != null) {
            HttpContent c;
            while ((c = pending.poll()) != null) {
                c.release();
            }
        }
        if (buffer != null) {
            buffer.release();
        }
    }
}
