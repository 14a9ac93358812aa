package dev.usher.proxy.http;

import dev.usher.proxy.connections.ConnectionPool;
import dev.usher.proxy.connections.UpstreamHandler;
import dev.usher.proxy.connections.UpstreamListener;
import dev.usher.proxy.endpoints.Upstream;
import dev.usher.proxy.protocols.request.RequestHead;
import dev.usher.proxy.protocols.request.UpstreamHead;
import dev.usher.proxy.protocols.response.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Over 400 lines on purpose: it is one state machine over fields that every phase shares (the upstream, its
 * connection, the status), and its value is that every transition and the single exit can be read in one place;
 * splitting the phases apart would put the exit in several. What is not a transition lives elsewhere: client-side
 * checks in {@link ClientHandler} and {@link RequestCheck}, the body's bytes in {@link RequestBody} (and
 * {@link RequestBuffer}), header rewriting in {@link ProxyHeaders} and {@link ResponseHeadWriter}, the response
 * body's framing in {@link BodyFraming}, waiting for a slot in {@link SlotWait}, response deadlines in
 * {@link ResponseDeadlines}, the tunnel in {@link Tunnel}.
 *
 * <p>One request's way through the proxy: pick an upstream, get a connection on this event loop, stream the body
 * up and the response down, retry where safe, and answer with the right status when it cannot be done.
 * Everything here runs on the client connection's event loop.
 *
 * <p>The response side moves through the {@link Phase}s; the request side, the client's body ({@link RequestBody}),
 * streams beside it until its end, or is read whole first (the BUFFERING phase). Every way out goes through
 * {@link #end} exactly once: it gives the upstream connection back or closes it, ends the upstream's in-flight
 * count, and settles the metrics and the access log.
 */
final class ProxyExchange implements UpstreamListener {
    private static final Logger log = LoggerFactory.getLogger(ProxyExchange.class);

    private enum Phase {
        /** Reading the client's whole body before taking an upstream ({@link RequestBuffer}). */
        BUFFERING,
        /** Every upstream is at its concurrency: waiting in the proxy's queue for a slot. */
        QUEUED,
        /** Picking an upstream and connecting to it (again, on a retry). */
        CONNECTING,
        /** The head is upstream; no answer yet. */
        WAITING,
        /** A 1xx answer is passing; the final one follows. */
        INTERIM,
        /** The final head went to the client: from here an upstream failure can only cut the response short. */
        RESPONDING,
        ENDED
    }

    /** What the end of the exchange means for its upstream connection. */
    private enum Ending {
        /** A whole response: the connection goes back to the pool when it can carry another request. */
        COMPLETE,
        /** A 101: the connection now belongs to the tunnel. */
        TUNNEL,
        /** Anything else: the connection is mid-exchange and is closed. */
        FAILED
    }

    /** An overload passes: a second is about what a few requests on a synchronous app server take. */
    private static final int RETRY_AFTER_SECONDS = 1;
    private static final ByteBuf CONTINUE = Unpooled.unreleasableBuffer(Unpooled.directBuffer(25)
            .writeBytes("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII))).asReadOnly();

    private final ProxyContext px;
    private final ClientSide client;
    private final ChannelHandlerContext clientCtx;
    private final ConnectionPool connections;
    private final RequestHead request;
    private final Object head;
    private final HttpMethod method;
    private final HttpVersion clientVersion;
    private final boolean clientKeepAlive;
    private final boolean upgrade;
    /** The head as it goes upstream: the access log reads the request id from it. */
    private final UpstreamHead forwarded;
    private final long startNanos = System.nanoTime();

    private final RequestBody body;
    private Set<Upstream> tried = Set.of();
    private String lastUpstream;
    private int attempts;

    private Phase phase = Phase.CONNECTING;
    private Upstream upstream;
    private Channel upstreamChannel;
    private UpstreamHandler upstreamHandler;
    private final ResponseDeadlines.Deadline responseDeadline = new ResponseDeadlines.Deadline(this::responseTimedOut);
    private final ResponseDeadlines deadlines;
    /** Made only when the request has to wait for an upstream slot. */
    private SlotWait slotWait;
    private boolean responseKeepAlive;
    private BodyFraming framing = BodyFraming.AS_IS;
    private boolean upstreamReusable;
    private int status;
    private long bytesOut;

    /**
     * @param request the client's head, checked
     * @param forwarded the head as it goes upstream ({@link ProxyHeaders#prepare})
     * @param head    the same head as the backend protocol's codec writes it
     */
    ProxyExchange(ProxyContext px, ClientSide client, ChannelHandlerContext clientCtx, RequestHead request,
                  UpstreamHead forwarded, Object head) {
        this.px = px;
        this.client = client;
        this.clientCtx = clientCtx;
        this.connections = px.connections().of(clientCtx.channel().eventLoop());
        this.deadlines = ResponseDeadlines.of(clientCtx.channel().eventLoop(), px.config().timeouts().response().toNanos());
        this.request = request;
        this.head = head;
        this.method = request.method();
        this.clientVersion = request.version();
        this.clientKeepAlive = request.keepAlive();
        this.upgrade = request.upgrade();
        this.forwarded = forwarded;
        boolean hasBody = request.hasBody();
        var buffering = px.config().buffering();
        this.body = new RequestBody(hasBody, px.config().limits().maxBodySize(),
                hasBody && !upgrade && buffering.request()
                        ? new RequestBuffer(clientCtx.alloc(), buffering.memory(), buffering.directory()) : null);
    }

    boolean requestComplete() {
        return body.complete();
    }

    /** Starts the exchange; the caller has checked the request head is acceptable. */
    void start(boolean expectsContinue) {
        px.metrics().activeRequests().incrementAndGet();
        px.retries().requestStarted();
        // Answered here, as nginx does: the body is read (and limited) by the proxy, not by the backend.
        // RFC 9110 10.1.1: an HTTP/1.0 client's expectation is ignored, never answered with 100.
        if (expectsContinue && clientVersion.minorVersion() >= 1) {
            clientCtx.writeAndFlush(CONTINUE.duplicate(), clientCtx.voidPromise());
        }
        if (body.buffered()) {
            phase = Phase.BUFFERING;
            return;
        }
        attempt();
    }

    private void attempt() {
        attempt(false);
    }

    /** @param wokenFromQueue whether this request has waited its turn: others that wait must not be overtaken */
    private void attempt(boolean wokenFromQueue) {
        if (px.capacity().limited() && !wokenFromQueue && px.queue().hasWaiters()) {
            if (px.picker().anyRoom()) {
                // Room that no freed slot announced (an ejection ended, slow start grew a limit): the head waiter's.
                px.queue().slotFreed();
            }
            waitForSlot(false);
            return;
        }
        Upstream picked = px.picker().pick(tried);
        // Null too when another event loop took the picked upstream's last slot since the pick.
        Upstream u = picked != null && px.capacity().tryTake(picked) ? picked : null;
        if (u == null) {
            if (px.capacity().limited() && px.picker().anyReady()) {
                waitForSlot(wokenFromQueue);
            } else {
                fail(HttpResponseStatus.SERVICE_UNAVAILABLE, "no upstream available");
            }
            return;
        }
        if (wokenFromQueue) {
            px.queue().wakeIfRoom(px.picker()::anyRoom);
        }
        attempts++;
        if (tried.isEmpty()) {
            tried = Set.of(u);
        } else {
            Set<Upstream> more = new HashSet<>(tried);
            more.add(u);
            tried = more;
        }
        phase = Phase.CONNECTING;
        upstream = u;
        lastUpstream = u.name();
        ChannelFuture f = connections.acquire(u);
        if (f.isDone()) {
            connected(u, f);
        } else {
            updateClientReading();
            f.addListener(x -> connected(u, f));
        }
    }

    private void connected(Upstream u, ChannelFuture f) {
        if (phase == Phase.ENDED) {
            if (f.isSuccess()) {
                connections.release(u, f.channel(), true); // unused: the exchange ended while it connected
            }
            return;
        }
        if (!f.isSuccess()) {
            slotFreed(u);
            px.outliers().failure(u);
            upstream = null;
            retryOrFail(u, false, f.cause());
            return;
        }
        upstreamChannel = f.channel();
        upstreamHandler = upstreamChannel.pipeline().get(UpstreamHandler.class);
        upstreamHandler.attach(this);
        upstreamChannel.write(body.buffered() ? px.protocol().withBodyLength(head, body.bufferedSize()) : head,
                upstreamChannel.voidPromise());
        phase = Phase.WAITING;
        // A buffered body: from now, not from its end, so that a backend that never reads it cannot hold the request.
        if (body.buffered() || body.complete()) {
            startResponseTimer();
        }
        try {
            body.sendSoFar(upstreamChannel);
        } catch (IOException e) {
            fail(HttpResponseStatus.INTERNAL_SERVER_ERROR, "cannot read the buffered request body: " + e);
            return;
        }
        updateClientReading();
    }

    /** A piece of the request body from the client. */
    void onRequestContent(HttpContent content) {
        if (phase == Phase.ENDED) {
            content.release();
            return;
        }
        RequestBody.Step step;
        try {
            step = body.take(content, phase == Phase.BUFFERING ? null : upstreamChannel);
        } catch (IOException e) {
            fail(HttpResponseStatus.INTERNAL_SERVER_ERROR, "cannot buffer the request body: " + e);
            return;
        }
        switch (step) {
            case TOO_LARGE -> {
                fail(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request body over the limit of " + body.limit() + " bytes");
                return;
            }
            case READ_WHOLE -> {
                if (body.spilled()) {
                    px.metrics().requestBodySpilled();
                }
                attempt();
                return;
            }
            case SENT -> startResponseTimer();
            case MORE -> { }
        }
        updateClientReading();
    }

    /** End of a client read batch: push what was forwarded. */
    void flushUpstream() {
        if (upstreamChannel != null && phase != Phase.ENDED) {
            upstreamChannel.flush();
        }
    }

    /**
     * While a body is on its way, read from the client only when there is somewhere to put it: a connected,
     * writable upstream. Otherwise reading stays on (it is how a client's close is noticed) and
     * {@link ClientHandler} holds back pipelined requests. Flipping autoRead costs a syscall with epoll, so the
     * common bodiless request never does.
     */
    private void updateClientReading() {
        if (phase == Phase.ENDED || phase == Phase.BUFFERING || body.fullyRead()) {
            return;
        }
        clientCtx.channel().config().setAutoRead(upstreamChannel != null && upstreamChannel.isWritable());
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        if (writable && upstreamChannel != null && phase != Phase.ENDED) {
            try {
                body.resume(upstreamChannel);
            } catch (IOException e) {
                fail(HttpResponseStatus.INTERNAL_SERVER_ERROR, "cannot read the buffered request body: " + e);
                return;
            }
        }
        updateClientReading();
    }

    void onClientWritabilityChanged(boolean writable) {
        if (upstreamChannel != null && phase != Phase.ENDED) {
            upstreamChannel.config().setAutoRead(writable);
        }
    }

    @Override
    public void onResponse(Object msg) {
        if (phase == Phase.ENDED) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof ResponseHead head) {
            onResponseHead(head);
        } else if (msg instanceof HttpContent content) {
            onResponseContent(content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onResponseHead(ResponseHead response) {
        int code = response.status();
        if (code >= 100 && code < 200 && code != 101) {
            onInterimResponse(response);
            return;
        }
        cancelResponseTimer();
        if (code == 101) {
            String invalid = Upgrades.invalidSwitch(request, response);
            if (invalid != null) {
                px.outliers().failure(upstream);
                answerError(HttpResponseStatus.BAD_GATEWAY, invalid, false);
                return;
            }
        }
        phase = Phase.RESPONDING;
        status = code;
        if (code == 101) {
            clientCtx.write(ResponseHeadWriter.switchingHead(clientCtx.alloc(), response), clientCtx.voidPromise());
            return;
        }
        upstreamReusable = response.keepAlive();
        boolean bodyExpected = !method.equals(HttpMethod.HEAD) && code != 204 && code != 304;
        boolean http10 = clientVersion.equals(HttpVersion.HTTP_1_0);
        boolean keepAlive = clientKeepAlive && body.fullyRead() && !client.lastResponse();
        framing = ResponseHeadWriter.framing(response, bodyExpected, http10);
        responseKeepAlive = keepAlive && framing != BodyFraming.UNTIL_CLOSE;
        clientCtx.write(ResponseHeadWriter.finalHead(clientCtx.alloc(), response, framing, keepAlive, http10),
                clientCtx.voidPromise());
    }

    /**
     * 1xx answers other than 101 (RFC 9110 15.2): 103 Early Hints and the like go on to an HTTP/1.1 client, which
     * must accept them; an HTTP/1.0 client cannot. A 100 never does: the proxy answered Expect itself.
     */
    private void onInterimResponse(ResponseHead response) {
        phase = Phase.INTERIM;
        if (response.status() != 100 && clientVersion.minorVersion() >= 1) {
            clientCtx.write(ResponseHeadWriter.interimHead(clientCtx.alloc(), response), clientCtx.voidPromise());
        }
    }

    private void onResponseContent(HttpContent content) {
        if (phase == Phase.INTERIM) {
            content.release();
            if (content instanceof LastHttpContent) {
                phase = Phase.WAITING;
            }
            return;
        }
        ByteBuf data = content.content();
        bytesOut += data.readableBytes();
        if (content instanceof LastHttpContent) {
            if (status == 101) {
                data.release();
                switchToTunnel();
            } else {
                complete(data);
            }
            return;
        }
        framing.write(clientCtx, data);
        if (!clientCtx.channel().isWritable()) {
            upstreamChannel.config().setAutoRead(false);
        }
    }

    @Override
    public void onResponseBatchComplete() {
        if (phase != Phase.ENDED) {
            clientCtx.flush();
        }
    }

    private void complete(ByteBuf last) {
        if (status >= 500) {
            px.outliers().failure(upstream);
        } else {
            px.outliers().success(upstream);
        }
        end(Ending.COMPLETE, true);
        // Only a closing connection waits for its last write: a kept-alive one needs no promise per response.
        boolean closing = !responseKeepAlive || client.lastResponse();
        client.exchangeEnded(responseKeepAlive, framing.writeLast(clientCtx, last, closing));
    }

    private void switchToTunnel() {
        px.outliers().success(upstream);
        Channel up = upstreamChannel;
        end(Ending.TUNNEL, true);
        clientCtx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            if (f.isSuccess()) {
                client.becomeTunnel(up);
            } else {
                up.close();
            }
        });
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        if (phase != Phase.ENDED) {
            failUpstream(cause);
        }
    }

    @Override
    public void onUpstreamIdle() {
        // Before the first byte, the response timeout is the judge; after it, silence means the backend stalled.
        if (phase == Phase.RESPONDING) {
            log.warn("{} {}: upstream {} idle mid-response, closing", method, LogText.escape(request.target()), upstream);
            px.outliers().failure(upstream);
            cutShort();
        }
    }

    private void failUpstream(Throwable cause) {
        px.outliers().failure(upstream);
        if (phase == Phase.RESPONDING) {
            log.warn("{} {}: upstream {} failed mid-response ({}); closing client connection", method,
                    LogText.escape(request.target()), upstream, cause.toString());
            cutShort();
            return;
        }
        cancelResponseTimer();
        Upstream failed = upstream;
        giveBackUpstream(false);
        retryOrFail(failed, true, cause);
    }

    /** The log line names {@code failed} itself: not every transport's exception names the address. */
    private void retryOrFail(Upstream failed, boolean sent, Throwable cause) {
        if (px.retries().mayRetry(attempts, sent, method, body.present())) {
            log.debug("{} {}: retrying after {}", method, LogText.escape(request.target()), cause.toString());
            px.metrics().retried();
            attempt();
            return;
        }
        String why = cause instanceof ConnectException || cause instanceof io.netty.channel.ConnectTimeoutException
                ? "cannot connect to upstream " + failed + " (" + cause.getMessage() + ")"
                : "upstream " + failed + " failed before responding (" + cause.getMessage() + ")";
        fail(HttpResponseStatus.BAD_GATEWAY, why);
    }

    private void startResponseTimer() {
        if (phase == Phase.WAITING || phase == Phase.INTERIM) {
            deadlines.start(responseDeadline);
        }
    }

    private void cancelResponseTimer() {
        deadlines.stop(responseDeadline);
    }

    private void responseTimedOut() {
        if (phase != Phase.WAITING && phase != Phase.INTERIM) {
            return;
        }
        px.outliers().failure(upstream);
        fail(HttpResponseStatus.GATEWAY_TIMEOUT,
                "upstream did not answer within " + px.config().timeouts().response().toMillis() + " ms");
    }

    /** The client went away: nothing to answer, nothing to log. */
    void clientClosed() {
        if (phase != Phase.ENDED) {
            end(Ending.FAILED, false);
        }
    }

    /** Answers with the proxy's own error. The connection stays open only if the request was read whole. */
    private void fail(HttpResponseStatus errorStatus, String reason) {
        answerError(errorStatus, reason, clientKeepAlive && body.fullyRead() && !client.lastResponse());
    }

    private void answerError(HttpResponseStatus errorStatus, String reason, boolean keepAlive) {
        answerError(errorStatus, reason, keepAlive, false);
    }

    /** @param retryAfter whether to tell the client when to try again (an overload, which passes) */
    private void answerError(HttpResponseStatus errorStatus, String reason, boolean keepAlive, boolean retryAfter) {
        if (phase == Phase.RESPONDING) {
            cutShort();
            return;
        }
        status = errorStatus.code();
        if (status >= 500) {
            log.warn("{} {} {} from {}: {}", status, method, LogText.escape(request.target()), clientCtx.channel().remoteAddress(), reason);
        } else {
            log.info("{} {} {} from {}: {}", status, method, LogText.escape(request.target()), clientCtx.channel().remoteAddress(), reason);
        }
        bytesOut = 0;
        end(Ending.FAILED, true);
        ErrorResponses.Connection connection = !keepAlive ? ErrorResponses.Connection.CLOSE
                : clientVersion.equals(HttpVersion.HTTP_1_0) ? ErrorResponses.Connection.KEEP_ALIVE_HTTP10
                : ErrorResponses.Connection.KEEP_ALIVE;
        client.exchangeEnded(keepAlive, clientCtx.writeAndFlush(
                ErrorResponses.of(clientCtx.alloc(), errorStatus, connection, retryAfter ? RETRY_AFTER_SECONDS : 0)));
    }

    /** The response was cut short: closing the connection is the only honest signal left. */
    private void cutShort() {
        status = status == 0 ? 502 : status;
        end(Ending.FAILED, true);
        client.exchangeAborted();
    }

    /**
     * The one way out. Recorded before the last byte is written, so metrics and logs never lag what a client has
     * seen.
     */
    private void end(Ending ending, boolean record) {
        if (slotWait != null) {
            slotWait.cancel();
        }
        phase = Phase.ENDED;
        cancelResponseTimer();
        body.release();
        switch (ending) {
            // A backend may answer before it has read the whole body: a connection mid-body cannot carry another.
            case COMPLETE -> giveBackUpstream(upstreamReusable && body.sentWhole());
            case TUNNEL -> handOverUpstream();
            case FAILED -> giveBackUpstream(false);
        }
        if (record) {
            long elapsed = System.nanoTime() - startNanos;
            px.metrics().responded(status, elapsed);
            if (px.accessLog().enabled()) {
                px.accessLog().record(client.info().remoteIp(), method.name(), request.target(), status,
                        bytesOut, elapsed, lastUpstream, attempts, forwarded.requestId());
            }
        }
        px.metrics().activeRequests().decrementAndGet();
    }

    /** Returns the upstream connection to its pool, or closes it, and ends the upstream's in-flight count. */
    private void giveBackUpstream(boolean reusable) {
        if (upstreamChannel != null) {
            upstreamHandler.detach();
            connections.release(upstream, upstreamChannel, reusable);
            upstreamChannel = null;
        }
        if (upstream != null) {
            slotFreed(upstream);
            upstream = null;
        }
    }

    /** The upstream's in-flight count goes down, and a request waiting for a slot may take it. */
    private void slotFreed(Upstream u) {
        u.requestFinished();
        if (px.capacity().limited()) {
            px.queue().slotFreed();
        }
    }

    /**
     * Waits in the proxy's queue until an upstream has room ({@link SlotWait}). A full queue or a wait over the
     * timeout is 503 with Retry-After: the proxy is overloaded, not broken.
     */
    private void waitForSlot(boolean again) {
        if (slotWait == null) {
            slotWait = new SlotWait(px, clientCtx.executor(), () -> attempt(true), this::overloaded);
        }
        phase = Phase.QUEUED;
        slotWait.enqueue(again);
    }

    private void overloaded(String reason) {
        answerError(HttpResponseStatus.SERVICE_UNAVAILABLE, reason,
                clientKeepAlive && body.fullyRead() && !client.lastResponse(), true);
    }

    /** A tunnelled connection counts as in flight on its upstream until it closes. */
    private void handOverUpstream() {
        Upstream u = upstream;
        upstreamHandler.detach();
        upstreamChannel.closeFuture().addListener(f -> slotFreed(u));
        upstreamChannel = null;
        upstream = null;
    }
}
