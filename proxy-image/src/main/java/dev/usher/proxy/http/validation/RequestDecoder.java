package dev.usher.proxy.http.validation;

import dev.usher.proxy.protocols.request.RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Reads a client's requests: each head as a {@link RequestHead} ({@link HeadScanner} checks every byte of it and
 * finds its lines in the same pass), then the body as Netty {@code HttpContent} pieces of its data, ending in a
 * {@code LastHttpContent}; a request without a body is followed by an empty last piece. The body is framed by
 * Content-Length, or by chunks ({@link ChunkScanner}) when Transfer-Encoding is there; its pieces are slices of what
 * was read, never a copy, and the next request's head is read after the body's end (pipelining).
 *
 * <p>It also keeps the request-head deadline ({@code timeouts.requestHead}, as nginx's
 * {@code client_header_timeout}): a head must be complete within it of its first byte, however slowly the bytes drip
 * in. A refusal is yielded as a {@link BadRequest}, so the client handler answers it in turn, after the responses it
 * owes; nothing is read after one.
 */
public final class RequestDecoder extends ByteToMessageDecoder {
    private static final BadRequest BOTH_FRAMINGS = new BadRequest(HttpResponseStatus.BAD_REQUEST,
            "both Content-Length and Transfer-Encoding");
    private static final BadRequest SEVERAL_LENGTHS = new BadRequest(HttpResponseStatus.BAD_REQUEST,
            "more than one Content-Length");
    private static final BadRequest BAD_LENGTH = new BadRequest(HttpResponseStatus.BAD_REQUEST,
            "Content-Length is not a number");

    private enum State { HEAD, LENGTH, CHUNKED }

    private final HeadScanner scanner;
    private final int maxInitialLineLength;
    private final int maxHeaderSize;
    private final long headTimeoutNanos;
    private State state = State.HEAD;
    /** The body's framing while a chunked body is being read; null otherwise. */
    private ChunkScanner chunks;
    /** What is left of a body framed by Content-Length. */
    private long remaining;
    private ChannelHandlerContext ctx;
    /** How many bytes past the reader index the head scanner has already checked: each byte is scanned once. */
    private int scannedAhead;
    private boolean refused;
    private ScheduledFuture<?> headTimer;

    public RequestDecoder(int maxInitialLineLength, int maxHeaderSize, Duration headTimeout) {
        this.scanner = new HeadScanner(maxInitialLineLength, maxHeaderSize);
        this.maxInitialLineLength = maxInitialLineLength;
        this.maxHeaderSize = maxHeaderSize;
        this.headTimeoutNanos = headTimeout.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        super.handlerAdded(ctx);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        // A new connection owes its first head within the deadline, as with nginx: an idle keep-alive does not.
        armHeadTimer();
        super.channelActive(ctx);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
        cancelHeadTimer();
        super.handlerRemoved0(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelHeadTimer();
        super.channelInactive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (refused) {
            in.skipBytes(in.readableBytes());
            return;
        }
        switch (state) {
            case HEAD -> head(in, out);
            case LENGTH -> {
                int n = (int) Math.min(remaining, in.readableBytes());
                remaining -= n;
                if (remaining == 0) {
                    // No trailers: without the argument, each last piece would make an empty header map.
                    out.add(new DefaultLastHttpContent(in.readRetainedSlice(n), EmptyHttpHeaders.INSTANCE));
                    bodyEnded();
                } else {
                    out.add(new DefaultHttpContent(in.readRetainedSlice(n)));
                }
            }
            case CHUNKED -> chunked(in, out);
        }
    }

    private void head(ByteBuf in, List<Object> out) {
        int end = scanner.scan(in, in.readerIndex() + scannedAhead, in.writerIndex());
        if (scanner.failure() != null) {
            refuse(in, out, scanner.failure());
            return;
        }
        scannedAhead = end - in.readerIndex();
        if (!scanner.done()) {
            if (scanner.started()) {
                armHeadTimer();
            }
            return;
        }
        cancelHeadTimer();
        RequestHead head = scanner.head(in, in.readerIndex());
        in.skipBytes(scanner.size());
        scannedAhead = 0;
        BadRequest framing = framingError(head);
        if (framing != null) {
            refuse(in, out, framing);
            return;
        }
        out.add(head);
        if (head.chunked()) {
            chunks = new ChunkScanner(maxInitialLineLength, maxHeaderSize);
            state = State.CHUNKED;
        } else if (head.contentLength() > 0) {
            remaining = head.contentLength();
            state = State.LENGTH;
        } else {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            bodyEnded();
        }
    }

    /**
     * RFC 9112 6.3: where the body ends must be beyond doubt, or the backend could read a request the proxy did not.
     * The codings Transfer-Encoding names are RequestCheck's: a request it refuses closes the connection.
     */
    private static BadRequest framingError(RequestHead head) {
        if (head.contentLengthLines() == 0) {
            return null;
        }
        if (head.chunked()) {
            return BOTH_FRAMINGS;
        }
        if (head.contentLengthLines() > 1) {
            return SEVERAL_LENGTHS;
        }
        return head.contentLength() < 0 ? BAD_LENGTH : null;
    }

    /** Chunk data is passed on as slices; the framing around it is checked and dropped. */
    private void chunked(ByteBuf in, List<Object> out) {
        long data = chunks.dataRemaining();
        if (data > 0) {
            int n = (int) Math.min(data, in.readableBytes());
            out.add(new DefaultHttpContent(in.readRetainedSlice(n)));
            chunks.dataTaken(n);
            return;
        }
        int end = chunks.scan(in, in.readerIndex(), in.writerIndex());
        if (chunks.failure() != null) {
            refuse(in, out, chunks.failure().ofItsBody());
            return;
        }
        in.readerIndex(end);
        if (chunks.done()) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            bodyEnded();
        }
    }

    private void bodyEnded() {
        state = State.HEAD;
        chunks = null;
        scanner.reset();
    }

    private void refuse(ByteBuf in, List<Object> out, BadRequest why) {
        in.skipBytes(in.readableBytes());
        refused = true;
        cancelHeadTimer();
        out.add(why);
    }

    private void armHeadTimer() {
        if (headTimer == null && ctx != null) {
            headTimer = ctx.executor().schedule(this::headTimedOut, headTimeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void cancelHeadTimer() {
        if (headTimer != null) {
            headTimer.cancel(false);
            headTimer = null;
        }
    }

    private void headTimedOut() {
        headTimer = null;
        if (refused || scanner.done() || !ctx.channel().isActive()) {
            return;
        }
        if (!ctx.channel().config().isAutoRead()) {
            // The proxy is holding back reading (pipelined requests wait their turn): the client is not the one late.
            armHeadTimer();
            return;
        }
        refused = true;
        if (!scanner.started()) {
            ctx.close(); // nothing was asked: nothing to answer, as nginx and HAProxy do
            return;
        }
        ctx.fireChannelRead(new BadRequest(HttpResponseStatus.REQUEST_TIMEOUT,
                "request head not complete within " + TimeUnit.NANOSECONDS.toMillis(headTimeoutNanos) + " ms"));
        ctx.fireChannelReadComplete();
    }
}
