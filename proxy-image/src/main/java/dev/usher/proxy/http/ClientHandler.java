package dev.usher.proxy.http;

import dev.usher.proxy.http.validation.BadRequest;
import dev.usher.proxy.http.validation.RequestCheck;
import dev.usher.proxy.protocols.BackendProtocol;
import dev.usher.proxy.protocols.ClientInfo;
import dev.usher.proxy.protocols.request.RequestHead;
import dev.usher.proxy.protocols.request.UpstreamHead;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: checks each request head, runs one {@link ProxyExchange} at a time (pipelined
 * requests wait their turn, in order, while reading stops), and closes the connection when it must, without
 * losing a response already owed ({@link LingeringClose}).
 */
final class ClientHandler extends ChannelInboundHandlerAdapter implements ClientSide {
    private static final Logger log = LoggerFactory.getLogger(ClientHandler.class);

    /** Fired on every client channel when the proxy starts draining. */
    static final Object DRAIN = new Object();

    private final ProxyContext px;
    private final int maxRequests;
    private ChannelHandlerContext ctx;
    private ClientInfo clientInfo;
    private ProxyExchange current;
    private final ArrayDeque<Object> waiting = new ArrayDeque<>(0);
    private int requestsRead;
    private int requestsStarted;
    private boolean ignoringInput;
    private boolean closing;
    private boolean draining;

    ClientHandler(ProxyContext px) {
        this.px = px;
        this.maxRequests = px.config().limits().maxRequestsPerConnection();
    }

    @Override
    public boolean lastResponse() {
        return draining || (maxRequests > 0 && requestsStarted >= maxRequests);
    }

    @Override
    public ClientInfo info() {
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
        boolean newRequest = msg instanceof RequestHead || msg instanceof BadRequest b && !b.ofBody();
        if (newRequest && ++requestsRead > maxRequests && maxRequests > 0) {
            // Past the per-connection limit: the response to the last allowed request closes the connection.
            ignoringInput = true;
            ctx.channel().config().setAutoRead(false);
        }
        if (closing || ignoringInput) {
            ReferenceCountUtil.release(msg);
        } else if (!waiting.isEmpty() || (current != null && current.requestComplete())) {
            // A pipelined request: it waits for the responses before it, and reading stops meanwhile.
            waiting.add(msg);
            ctx.channel().config().setAutoRead(false);
        } else {
            dispatch(msg);
        }
    }

    private void dispatch(Object msg) {
        if (msg instanceof RequestHead request) {
            onRequestHead(request);
        } else if (msg instanceof BadRequest refusal) {
            requestsStarted++;
            reject(refusal);
        } else if (msg instanceof HttpContent content) {
            if (current == null) {
                content.release();
            } else {
                current.onRequestContent(content);
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequestHead(RequestHead request) {
        requestsStarted++;
        BadRequest refusal = refusal(request);
        if (refusal != null) {
            reject(refusal);
            return;
        }
        // The proxy answers Expect itself: the backend never sees it.
        boolean expectsContinue = request.expectsContinue();
        UpstreamHead upstream = ProxyHeaders.prepare(request, clientInfo.remoteIp(), expectsContinue);
        // After the rewrite, so that what is checked is what goes on the wire.
        BackendProtocol.PreparedHead head = px.protocol().prepare(upstream, clientInfo);
        if (head.refusal() != null) {
            reject(new BadRequest(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, head.refusal()));
            return;
        }
        current = new ProxyExchange(px, this, ctx, request, upstream, head.message());
        current.start(expectsContinue);
    }

    /** Why the proxy answers this request itself, or null when it goes upstream. */
    private BadRequest refusal(RequestHead request) {
        BadRequest bad = RequestCheck.check(request, clientInfo.local());
        if (bad != null) {
            return bad;
        }
        long declared = request.contentLength();
        long limit = px.config().limits().maxBodySize();
        if (declared > limit) {
            return new BadRequest(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "Content-Length " + declared + " is over the limit of " + limit + " bytes");
        }
        if (request.upgrade() && !px.protocol().supportsUpgrade()) {
            return new BadRequest(HttpResponseStatus.NOT_IMPLEMENTED, "protocol upgrades are not supported by the "
                    + px.config().upstream().protocol().name().toLowerCase(java.util.Locale.ROOT) + " backend protocol");
        }
        return null;
    }

    /** A request the proxy will not forward: answer and close, since the rest of the stream cannot be trusted. */
    private void reject(BadRequest why) {
        log.info("{} from {}: {}", why.status().code(), ctx.channel().remoteAddress(), LogText.escape(why.reason()));
        px.metrics().responded(why.status().code(), 0);
        if (current != null) {
            current.clientClosed();
            current = null;
        }
        closing = true;
        ctx.channel().config().setAutoRead(false);
        LingeringClose.after(ctx.writeAndFlush(ErrorResponses.of(ctx.alloc(), why.status(), ErrorResponses.Connection.CLOSE, 0)));
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

    @Override
    public void exchangeEnded(boolean keepAlive, ChannelFuture lastWrite) {
        current = null;
        if (!keepAlive || lastResponse()) {
            closing = true;
            ctx.channel().config().setAutoRead(false);
            LingeringClose.after(lastWrite);
            return;
        }
        while (!waiting.isEmpty() && (current == null || !current.requestComplete()) && !closing) {
            dispatch(waiting.poll());
        }
        if (closing) {
            return; // a request dispatched just now was refused: the connection is on its way out
        }
        if (current == null || !current.requestComplete()) {
            ctx.channel().config().setAutoRead(waiting.isEmpty() && !ignoringInput);
        }
    }

    @Override
    public void exchangeAborted() {
        current = null;
        closing = true;
        // What the socket takes now goes out (the head, say), so the client sees a response cut short rather than
        // none; what it cannot take is dropped with the close, as a slow client must not hold the connection open.
        ctx.flush();
        ctx.close();
    }

    @Override
    public void becomeTunnel(Channel upstream) {
        current = null;
        if (!waiting.isEmpty()) {
            // The client sent more requests behind its upgrade, decoded as HTTP: they cannot go through a tunnel
            // as the bytes they were, and answering them would break the protocol it asked to switch to.
            log.info("closing {}: requests pipelined behind an upgrade", ctx.channel().remoteAddress());
            upstream.close();
            ctx.close();
            return;
        }
        // This handler leaves the pipeline: the tunnel's client side closing is this connection closing.
        ctx.channel().closeFuture().addListener(f -> px.metrics().activeConnections().decrementAndGet());
        Tunnel.join(ctx, upstream, px.protocol());
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        waiting.forEach(ReferenceCountUtil::release);
        waiting.clear();
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
