package dev.usher.proxy.http;

import dev.usher.proxy.upstream.ClientInfo;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: checks each request head, runs one {@link ProxyExchange} at a time (pipelined
 * requests wait their turn, in order), and closes the connection when it must.
 */
final class ClientHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ClientHandler.class);

    /** Fired on every client channel when the proxy starts draining. */
    static final Object DRAIN = new Object();

    private final ProxyContext px;
    private final String codecName;
    private ChannelHandlerContext ctx;
    private String clientIp;
    private ClientInfo clientInfo;
    private ProxyExchange current;
    private final ArrayDeque<Object> waiting = new ArrayDeque<>(0);
    private boolean closing;
    private boolean draining;

    ClientHandler(ProxyContext px, String codecName) {
        this.px = px;
        this.codecName = codecName;
    }

    boolean draining() {
        return draining;
    }

    String clientIp() {
        return clientIp;
    }

    ClientInfo clientInfo() {
        return clientInfo;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        px.metrics().activeConnections().incrementAndGet();
        if (ctx.channel().remoteAddress() instanceof InetSocketAddress remote
                && ctx.channel().localAddress() instanceof InetSocketAddress local) {
            clientIp = remote.getAddress().getHostAddress();
            clientInfo = new ClientInfo(remote, local, "http");
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        px.metrics().activeConnections().decrementAndGet();
        if (current != null) {
            current.clientClosed();
            current = null;
        }
        waiting.forEach(ReferenceCountUtil::release);
        waiting.clear();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            ReferenceCountUtil.release(msg);
        } else if (!waiting.isEmpty() || (current != null && current.requestComplete())) {
            // A pipelined request: it waits until the response before it is complete.
            waiting.add(msg);
            ctx.channel().config().setAutoRead(false);
        } else {
            dispatch(msg);
        }
    }

    private void dispatch(Object msg) {
        if (msg instanceof HttpRequest request) {
            onRequestHead(request);
        } else if (msg instanceof HttpContent content) {
            if (current == null) {
                content.release();
            } else if (content.decoderResult().isFailure()) {
                content.release();
                reject(HttpResponseStatus.BAD_REQUEST, "malformed body: " + content.decoderResult().cause().getMessage());
            } else {
                current.onRequestContent(content);
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequestHead(HttpRequest request) {
        DecoderResult result = request.decoderResult();
        if (result.isFailure()) {
            Throwable cause = result.cause();
            HttpResponseStatus status = cause instanceof TooLongHttpHeaderException
                    ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                    : cause instanceof TooLongHttpLineException
                    ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                    : cause instanceof TooLongFrameException
                    ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                    : HttpResponseStatus.BAD_REQUEST;
            reject(status, "malformed request: " + cause.getMessage());
            return;
        }
        if (request.protocolVersion().equals(HttpVersion.HTTP_1_1) && !request.headers().contains(HttpHeaderNames.HOST)) {
            reject(HttpResponseStatus.BAD_REQUEST, "HTTP/1.1 request without Host header");
            return;
        }
        long declared = HttpUtil.getContentLength(request, -1L);
        long limit = px.config().limits().maxBodySize();
        if (declared > limit) {
            reject(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "Content-Length " + declared + " is over the limit of " + limit + " bytes");
            return;
        }
        if (ProxyHeaders.isUpgrade(request) && !px.protocol().supportsUpgrade()) {
            reject(HttpResponseStatus.NOT_IMPLEMENTED, "protocol upgrades are not supported by the "
                    + px.config().upstream().protocol().name().toLowerCase(java.util.Locale.ROOT) + " backend protocol");
            return;
        }
        String cannot = px.protocol().cannotEncode(request, clientInfo);
        if (cannot != null) {
            reject(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, cannot);
            return;
        }
        current = new ProxyExchange(px, this, ctx, request, clientIp);
        current.start();
    }

    /** A request the proxy will not forward: answer and close, since the rest of the stream cannot be trusted. */
    private void reject(HttpResponseStatus status, String reason) {
        log.warn("{} from {}: {}", status.code(), ctx.channel().remoteAddress(), reason);
        px.metrics().responded(status.code(), 0);
        if (current != null) {
            current.clientClosed();
            current = null;
        }
        closing = true;
        ctx.channel().config().setAutoRead(false);
        ctx.writeAndFlush(ErrorResponses.of(ctx.alloc(), status, reason, true)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (current != null) {
            current.flushUpstream();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (current != null) {
            current.onClientWritabilityChanged(ctx.channel().isWritable());
        }
    }

    /** The exchange wrote its last byte; take the next request or close. */
    void exchangeFinished(boolean keepAlive, ChannelFuture lastWrite) {
        current = null;
        if (!keepAlive || draining) {
            closing = true;
            lastWrite.addListener(ChannelFutureListener.CLOSE);
            return;
        }
        while (!waiting.isEmpty() && (current == null || !current.requestComplete()) && !closing) {
            dispatch(waiting.poll());
        }
        if (current == null || !current.requestComplete()) {
            ctx.channel().config().setAutoRead(waiting.isEmpty());
        }
    }

    /** The response could not be completed after it started: closing tells the client it is cut short. */
    void exchangeAborted() {
        current = null;
        closing = true;
        ctx.close();
    }

    void removeEncoder() {
        ((HttpServerCodec) ctx.pipeline().get(codecName)).removeOutboundHandler();
    }

    /** After a 101: this connection becomes a raw relay to {@code upstream}. */
    void becomeTunnel(Channel upstream) {
        current = null;
        ctx.pipeline().replace(this, "tunnel", new Tunnel(upstream));
        ctx.pipeline().remove(codecName);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            // Waiting on an upstream is the response timeout's business; a client silent mid-request is not.
            if (current == null || !current.requestComplete()) {
                ctx.close();
            }
        } else if (evt == DRAIN) {
            draining = true;
            if (current == null) {
                ctx.close();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("client {}: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("client {}: closing after error", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }
}
