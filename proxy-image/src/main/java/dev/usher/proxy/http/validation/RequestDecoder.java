package dev.usher.proxy.http.validation;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Netty's request decoder, behind a {@link HeadScanner} that checks each head's raw bytes first, and with the
 * request-head deadline ({@code timeouts.requestHead}, as nginx's {@code client_header_timeout}): a head must be
 * complete within it of its first byte, however slowly the bytes drip in. A refusal is yielded as a request whose
 * decoder result failed, so the client handler answers it in turn, after the responses it owes.
 */
public final class RequestDecoder extends HttpRequestDecoder {
    private final HeadScanner scanner = new HeadScanner();
    /** The body's framing check while a chunked body is being read; null otherwise. */
    private ChunkScanner chunks;
    private final long headTimeoutNanos;
    private ChannelHandlerContext ctx;
    /** How many bytes past the reader index the scanner has already checked: each byte is scanned once. */
    private int scannedAhead;
    private boolean refused;
    private ScheduledFuture<?> headTimer;

    public RequestDecoder(int maxInitialLineLength, int maxHeaderSize, Duration headTimeout) {
        super(new HttpDecoderConfig()
                .setMaxInitialLineLength(maxInitialLineLength)
                .setMaxHeaderSize(maxHeaderSize)
                .setMaxChunkSize(64 * 1024)
                // HeadScanner has checked every header line already; validating again costs a pass per header.
                .setHeadersFactory(DefaultHttpHeadersFactory.headersFactory().withValidation(false)));
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
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (refused) {
            in.skipBytes(in.readableBytes());
            return;
        }
        ByteScanner current = chunks != null ? chunks : scanner;
        if (!current.done()) {
            int end = current.scan(in, in.readerIndex() + scannedAhead, in.writerIndex());
            if (current.failure() != null) {
                in.skipBytes(in.readableBytes());
                refuse(out, current.failure());
                return;
            }
            scannedAhead = end - in.readerIndex();
        }
        if (current == scanner) {
            if (scanner.done()) {
                cancelHeadTimer();
            } else if (scanner.started()) {
                armHeadTimer();
            }
        }
        int before = out.size();
        int readerBefore = in.readerIndex();
        super.decode(ctx, in, out);
        scannedAhead = Math.max(0, scannedAhead - (in.readerIndex() - readerBefore));
        for (int i = before; i < out.size(); i++) {
            Object msg = out.get(i);
            if (msg instanceof HttpObject o && o.decoderResult().isFailure()) {
                refused = true;
                cancelHeadTimer();
            } else if (msg instanceof LastHttpContent) {
                scanner.reset();
                chunks = null;
                scannedAhead = 0;
            } else if (msg instanceof HttpMessage m && HttpUtil.isTransferEncodingChunked(m)) {
                // The scanner stopped at the end of the head: what follows it is the first chunk.
                chunks = new ChunkScanner();
            }
        }
    }

    private void refuse(List<Object> out, BadRequest why) {
        refused = true;
        cancelHeadTimer();
        HttpMessage invalid = createInvalidMessage();
        invalid.setDecoderResult(DecoderResult.failure(why.asCause()));
        out.add(invalid);
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
        HttpMessage invalid = createInvalidMessage();
        invalid.setDecoderResult(DecoderResult.failure(new BadRequest(HttpResponseStatus.REQUEST_TIMEOUT,
                "request head not complete within " + TimeUnit.NANOSECONDS.toMillis(headTimeoutNanos) + " ms").asCause()));
        ctx.fireChannelRead(invalid);
        ctx.fireChannelReadComplete();
    }
}
