package dev.usher.proxy.http;

import dev.usher.proxy.pool.Upstream;
import dev.usher.proxy.upstream.ClientInfo;
import dev.usher.proxy.upstream.ConnectionPool;
import dev.usher.proxy.upstream.UpstreamHandler;
import dev.usher.proxy.upstream.UpstreamListener;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.ConnectException;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request's way through the proxy: pick an upstream, get a connection on this event loop, stream the body
 * up and the response down, retry where safe, and answer with the right status when it cannot be done.
 * Everything here runs on the client connection's event loop.
 */
final class ProxyExchange implements UpstreamListener {
    private static final Logger log = LoggerFactory.getLogger(ProxyExchange.class);

    private final ProxyContext px;
    private final ClientHandler client;
    private final ChannelHandlerContext clientCtx;
    private final ConnectionPool connections;
    private final HttpRequest request;
    private final HttpMethod method;
    private final String uri;
    private final HttpVersion clientVersion;
    private final boolean clientKeepAlive;
    private final boolean hasBody;
    private final boolean upgrade;
    private final CharSequence requestId;
    private final long startNanos = System.nanoTime();

    private final ArrayDeque<HttpContent> pendingBody = new ArrayDeque<>(2);
    private Set<Upstream> tried = Set.of();
    private String lastUpstream;
    private int attempts;
    private long bodyBytes;
    private boolean requestComplete;

    private Upstream upstream;
    private Channel upstreamChannel;
    private UpstreamHandler upstreamHandler;
    private ScheduledFuture<?> responseTimer;

    private boolean responseStarted;
    private boolean skippingInterim;
    private boolean responseKeepAlive;
    private boolean upstreamReusable;
    private int status;
    private long bytesOut;
    private boolean done;

    ProxyExchange(ProxyContext px, ClientHandler client, ChannelHandlerContext clientCtx, HttpRequest request,
                  String clientIp) {
        this.px = px;
        this.client = client;
        this.clientCtx = clientCtx;
        this.connections = px.connections().of(clientCtx.channel().eventLoop());
        this.request = request;
        this.method = request.method();
        this.uri = request.uri();
        this.clientVersion = request.protocolVersion();
        this.clientKeepAlive = HttpUtil.isKeepAlive(request);
        boolean chunked = HttpUtil.isTransferEncodingChunked(request);
        this.hasBody = chunked || HttpUtil.getContentLength(request, 0L) > 0;
        this.upgrade = ProxyHeaders.isUpgrade(request);
        this.requestId = ProxyHeaders.prepareRequest(request, clientIp, chunked, upgrade);
    }

    boolean requestComplete() {
        return requestComplete;
    }

    /** Whether nothing of this request is left to read from the client: a bodiless request is, from its head on. */
    private boolean requestFullyRead() {
        return requestComplete || !hasBody;
    }

    /** Starts the exchange; the caller has checked the request head is acceptable. */
    void start() {
        px.metrics().activeRequests().incrementAndGet();
        px.retries().requestStarted();
        if (HttpUtil.is100ContinueExpected(request)) {
            // Answered here, as nginx does: the body is read (and limited) by the proxy, not by the backend.
            request.headers().remove(HttpHeaderNames.EXPECT);
            // RFC 9110 10.1.1: an HTTP/1.0 client's expectation is ignored, never answered with 100.
            if (clientVersion.minorVersion() >= 1) {
                // A full message: the encoder must see the interim answer end before the real one starts.
                clientCtx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                        Unpooled.EMPTY_BUFFER));
            }
        }
        attempt();
    }

    private void attempt() {
        Upstream u = px.picker().pick(tried);
        if (u == null) {
            fail(HttpResponseStatus.SERVICE_UNAVAILABLE, "no upstream available");
            return;
        }
        attempts++;
        if (tried.isEmpty()) {
            tried = Set.of(u);
        } else {
            Set<Upstream> more = new HashSet<>(tried);
            more.add(u);
            tried = more;
        }
        upstream = u;
        lastUpstream = u.name();
        u.requestStarted();
        ChannelFuture f = connections.acquire(u);
        if (f.isDone()) {
            connected(u, f);
        } else {
            updateClientReading();
            f.addListener(x -> connected(u, f));
        }
    }

    private void connected(Upstream u, ChannelFuture f) {
        if (done) {
            if (f.isSuccess()) {
                connections.release(u, f.channel(), true);
            }
            return;
        }
        if (!f.isSuccess()) {
            u.requestFinished();
            px.outliers().failure(u);
            upstream = null;
            retryOrFail(false, f.cause());
            return;
        }
        upstreamChannel = f.channel();
        upstreamHandler = upstreamChannel.pipeline().get(UpstreamHandler.class);
        upstreamHandler.attach(this);
        upstreamChannel.attr(ClientInfo.KEY).set(client.clientInfo());
        upstreamChannel.write(request, upstreamChannel.voidPromise());
        if (!hasBody) {
            if (requestComplete) {
                upstreamChannel.write(LastHttpContent.EMPTY_LAST_CONTENT, upstreamChannel.voidPromise());
            }
        } else {
            HttpContent c;
            while ((c = pendingBody.poll()) != null) {
                upstreamChannel.write(c, upstreamChannel.voidPromise());
            }
        }
        upstreamChannel.flush();
        if (requestComplete) {
            startResponseTimer();
        }
        updateClientReading();
    }

    /** A piece of the request body from the client. */
    void onRequestContent(HttpContent content) {
        if (done) {
            content.release();
            return;
        }
        boolean last = content instanceof LastHttpContent;
        bodyBytes += content.content().readableBytes();
        if (bodyBytes > px.config().limits().maxBodySize()) {
            content.release();
            abortUpstream();
            fail(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "request body over the limit of " + px.config().limits().maxBodySize() + " bytes");
            return;
        }
        if (!hasBody) {
            content.release();
            if (last) {
                requestComplete = true;
                if (upstreamChannel != null) {
                    upstreamChannel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, upstreamChannel.voidPromise());
                    startResponseTimer();
                }
            }
        } else if (upstreamChannel == null) {
            pendingBody.add(content);
            requestComplete = last;
        } else {
            requestComplete = last;
            if (last) {
                upstreamChannel.writeAndFlush(content, upstreamChannel.voidPromise());
                startResponseTimer();
            } else {
                upstreamChannel.write(content, upstreamChannel.voidPromise());
            }
        }
        updateClientReading();
    }

    /** End of a client read batch: push what was forwarded. */
    void flushUpstream() {
        if (upstreamChannel != null && !done) {
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
        if (done || requestComplete || !hasBody) {
            return;
        }
        clientCtx.channel().config().setAutoRead(upstreamChannel != null && upstreamChannel.isWritable());
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        updateClientReading();
    }

    void onClientWritabilityChanged(boolean writable) {
        if (upstreamChannel != null && !done) {
            upstreamChannel.config().setAutoRead(writable);
        }
    }

    @Override
    public void onResponse(HttpObject msg) {
        if (done) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            onResponseHead(response);
            if (!(msg instanceof HttpContent)) {
                return;
            }
        }
        if (msg instanceof HttpContent content) {
            onResponseContent(content);
        }
    }

    private void onResponseHead(HttpResponse response) {
        if (response.decoderResult().isFailure()) {
            failUpstream(new IllegalStateException("malformed response: " + response.decoderResult().cause()));
            return;
        }
        int code = response.status().code();
        if (code >= 100 && code < 200 && code != 101) {
            onInterimResponse(response);
            return;
        }
        cancelResponseTimer();
        if (code == 101) {
            String invalid = Upgrades.invalidSwitch(request, response);
            if (invalid != null) {
                px.outliers().failure(upstream);
                abortUpstream();
                failAndClose(HttpResponseStatus.BAD_GATEWAY, invalid);
                return;
            }
            responseStarted = true;
            status = code;
            ProxyHeaders.prepareResponse(response, clientVersion, false, true, true);
            clientCtx.write(response);
            return;
        }
        responseStarted = true;
        status = code;
        upstreamReusable = HttpUtil.isKeepAlive(response);
        boolean bodyExpected = !method.equals(HttpMethod.HEAD) && code != 204 && code != 304;
        boolean keepAlive = clientKeepAlive && requestFullyRead() && !client.lastResponse();
        boolean closeDelimited = ProxyHeaders.prepareResponse(response, clientVersion, bodyExpected, keepAlive, false);
        responseKeepAlive = keepAlive && !closeDelimited;
        clientCtx.write(response, clientCtx.voidPromise());
    }

    /**
     * 1xx answers other than 101 (RFC 9110 15.2): 103 Early Hints and the like go on to an HTTP/1.1 client, which
     * must accept them; an HTTP/1.0 client cannot. A 100 never does: the proxy answered Expect itself.
     */
    private void onInterimResponse(HttpResponse response) {
        skippingInterim = true;
        if (response.status().code() != 100 && clientVersion.minorVersion() >= 1 && clientVersion.majorVersion() == 1) {
            ProxyHeaders.prepareInterim(response);
            // A full message: the encoder must see the interim answer end before the final one starts.
            clientCtx.write(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, response.status(), Unpooled.EMPTY_BUFFER,
                    response.headers(), EmptyHttpHeaders.INSTANCE), clientCtx.voidPromise());
        }
    }

    private void onResponseContent(HttpContent content) {
        if (skippingInterim) {
            content.release();
            if (content instanceof LastHttpContent) {
                skippingInterim = false;
            }
            return;
        }
        if (!responseStarted) {
            content.release();
            return;
        }
        if (content.decoderResult().isFailure()) {
            Throwable cause = content.decoderResult().cause();
            content.release();
            failUpstream(new IllegalStateException("malformed response body: " + cause.getMessage(), cause));
            return;
        }
        bytesOut += content.content().readableBytes();
        if (content instanceof LastHttpContent) {
            if (status == 101) {
                content.release();
                switchToTunnel();
            } else {
                complete((LastHttpContent) content);
            }
            return;
        }
        clientCtx.write(content, clientCtx.voidPromise());
        if (!clientCtx.channel().isWritable()) {
            upstreamChannel.config().setAutoRead(false);
        }
    }

    @Override
    public void onResponseBatchComplete() {
        if (!done) {
            clientCtx.flush();
        }
    }

    private void complete(LastHttpContent last) {
        done = true;
        Upstream u = upstream;
        u.requestFinished();
        if (status >= 500) {
            px.outliers().failure(u);
        } else {
            px.outliers().success(u);
        }
        upstreamHandler.detach();
        connections.release(u, upstreamChannel, upstreamReusable && requestComplete);
        finish(responseKeepAlive, last);
    }

    private void switchToTunnel() {
        done = true;
        Channel clientChannel = clientCtx.channel();
        Channel up = upstreamChannel;
        Upstream u = upstream;
        upstreamHandler.detach();
        up.closeFuture().addListener(f -> u.requestFinished());
        clientCtx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> {
            if (!f.isSuccess()) {
                up.close();
                return;
            }
            // Encoders go before decoders: bytes a decoder still holds are fired on raw and must not be encoded.
            client.removeEncoder();
            up.pipeline().replace(UpstreamHandler.class, "tunnel", new Tunnel(clientChannel));
            px.protocol().removeCodecForTunnel(up.pipeline());
            client.becomeTunnel(up);
            up.config().setAutoRead(true);
            clientChannel.config().setAutoRead(true);
        });
        px.outliers().success(u);
        record();
        px.metrics().activeRequests().decrementAndGet();
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        if (!done) {
            failUpstream(cause);
        }
    }

    @Override
    public void onUpstreamIdle() {
        // Before the first byte, the response timeout is the judge; after it, silence means the backend stalled.
        if (!done && responseStarted) {
            log.warn("{} {}: upstream {} idle mid-response, closing", method, LogText.escape(uri), upstream);
            px.outliers().failure(upstream);
            abort();
        }
    }

    private void failUpstream(Throwable cause) {
        cancelResponseTimer();
        Upstream u = upstream;
        Channel ch = upstreamChannel;
        upstreamHandler.detach();
        upstreamChannel = null;
        upstream = null;
        ch.close();
        u.requestFinished();
        px.outliers().failure(u);
        if (responseStarted) {
            log.warn("{} {}: upstream {} failed mid-response ({}); closing client connection", method, LogText.escape(uri), u, cause.toString());
            done = true;
            finishAborted();
            return;
        }
        retryOrFail(true, cause);
    }

    private void retryOrFail(boolean sent, Throwable cause) {
        if (px.retries().mayRetry(attempts, sent, method, hasBody)) {
            log.debug("{} {}: retrying after {}", method, uri, cause.toString());
            px.metrics().retried();
            attempt();
            return;
        }
        String why = cause instanceof ConnectException || cause instanceof io.netty.channel.ConnectTimeoutException
                ? "cannot connect to upstream (" + cause.getMessage() + ")"
                : "upstream failed before responding (" + cause.getMessage() + ")";
        fail(HttpResponseStatus.BAD_GATEWAY, why);
    }

    private void startResponseTimer() {
        if (responseTimer == null && !responseStarted) {
            responseTimer = clientCtx.executor().schedule(this::responseTimedOut,
                    px.config().timeouts().response().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void cancelResponseTimer() {
        if (responseTimer != null) {
            responseTimer.cancel(false);
            responseTimer = null;
        }
    }

    private void responseTimedOut() {
        responseTimer = null;
        if (done || responseStarted) {
            return;
        }
        px.outliers().failure(upstream);
        abortUpstream();
        fail(HttpResponseStatus.GATEWAY_TIMEOUT,
                "upstream did not answer within " + px.config().timeouts().response().toMillis() + " ms");
    }

    /** The client went away: give up the upstream connection, which is mid-exchange and cannot be reused. */
    void clientClosed() {
        if (done) {
            return;
        }
        done = true;
        cancelResponseTimer();
        abortUpstream();
        releasePending();
        px.metrics().activeRequests().decrementAndGet();
    }

    /** Drops the upstream side of an exchange that will not complete normally. */
    private void abortUpstream() {
        if (upstreamChannel != null) {
            upstreamHandler.detach();
            upstreamChannel.close();
            upstreamChannel = null;
        }
        if (upstream != null) {
            upstream.requestFinished();
            upstream = null;
        }
    }

    private void abort() {
        cancelResponseTimer();
        abortUpstream();
        done = true;
        finishAborted();
    }

    /** Answers with the proxy's own error. The connection stays open only if the request was read whole. */
    private void fail(HttpResponseStatus errorStatus, String reason) {
        answerError(errorStatus, reason, clientKeepAlive && requestFullyRead() && !client.lastResponse());
    }

    /** Answers with the proxy's own error and closes: the connection's state cannot be trusted any more. */
    private void failAndClose(HttpResponseStatus errorStatus, String reason) {
        answerError(errorStatus, reason, false);
    }

    private void answerError(HttpResponseStatus errorStatus, String reason, boolean keepAlive) {
        done = true;
        cancelResponseTimer();
        releasePending();
        status = errorStatus.code();
        if (status >= 500) {
            log.warn("{} {} {} from {}: {}", status, method, LogText.escape(uri), clientCtx.channel().remoteAddress(), reason);
        } else {
            log.info("{} {} {} from {}: {}", status, method, LogText.escape(uri), clientCtx.channel().remoteAddress(), reason);
        }
        if (responseStarted) {
            finishAborted();
            return;
        }
        bytesOut = 0;
        finish(keepAlive, ErrorResponses.of(clientCtx.alloc(), errorStatus, !keepAlive));
    }

    /** Records the request before its last byte leaves, so metrics and logs never lag what a client has seen. */
    private void finish(boolean keepAlive, Object lastMessage) {
        record();
        px.metrics().activeRequests().decrementAndGet();
        client.exchangeFinished(keepAlive, clientCtx.writeAndFlush(lastMessage));
    }

    /** The response was cut short: closing the connection is the only honest signal left. */
    private void finishAborted() {
        status = status == 0 ? 502 : status;
        record();
        px.metrics().activeRequests().decrementAndGet();
        client.exchangeAborted();
    }

    private void record() {
        long elapsed = System.nanoTime() - startNanos;
        px.metrics().responded(status, elapsed);
        if (px.accessLog().enabled()) {
            px.accessLog().record(client.clientIp(), method.name(), uri, status, bytesOut, elapsed,
                    lastUpstream, attempts, requestId);
        }
    }

    private void releasePending() {
        HttpContent c;
        while ((c = pendingBody.poll()) != null) {
            c.release();
        }
    }
}
