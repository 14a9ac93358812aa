package dev.usher.proxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP/1.1 backend on 127.0.0.1 for proxy tests, with routes that misbehave on purpose:
 * <ul>
 *   <li>{@code /hello} answers with the backend's name (after a delay, for a slow backend)</li>
 *   <li>{@code /headers} answers with the request headers it received, one {@code name: value} per line</li>
 *   <li>{@code /echo} streams the request body back as it arrives (chunked)</li>
 *   <li>{@code /upload} reads the body and answers with the byte count</li>
 *   <li>{@code /download?bytes=N} streams N bytes, respecting backpressure</li>
 *   <li>{@code /slow?ms=N} answers after N ms</li>
 *   <li>{@code /status?code=N} answers with that status</li>
 *   <li>{@code /cut} sends a head and part of the body, then closes the connection</li>
 *   <li>{@code /close-on-request} closes the connection as soon as the request head arrives</li>
 *   <li>{@code /ws} is a WebSocket echo</li>
 * </ul>
 */
public final class TestBackend implements AutoCloseable {
    private static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());

    private final String name;
    private final int helloDelayMillis;
    private final Channel server;
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicInteger connectionsAccepted = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final Map<String, AtomicInteger> requestsByPath = new ConcurrentHashMap<>();

    public TestBackend(String name) {
        this(name, 0);
    }

    /** A backend whose {@code /hello} takes {@code helloDelayMillis} to answer: a slow upstream. */
    public TestBackend(String name, int helloDelayMillis) {
        this(name, helloDelayMillis, "127.0.0.1", 0);
    }

    /** A backend on a given loopback address and port, e.g. several pods' addresses sharing one port. */
    public TestBackend(String name, String host, int port) {
        this(name, 0, host, port);
    }

    private TestBackend(String name, int helloDelayMillis, String host, int port) {
        this.name = name;
        this.helloDelayMillis = helloDelayMillis;
        this.server = new ServerBootstrap()
                .group(GROUP)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        connectionsAccepted.incrementAndGet();
                        ch.pipeline().addLast(new HttpServerCodec()).addLast(new Routes());
                    }
                })
                .bind(host, port)
                .syncUninterruptibly()
                .channel();
    }

    public String name() {
        return name;
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    public String hostPort() {
        InetSocketAddress a = (InetSocketAddress) server.localAddress();
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    public int connectionsAccepted() {
        return connectionsAccepted.get();
    }

    public int openConnections() {
        return connections.size();
    }

    public int requests() {
        return requests.get();
    }

    public int requests(String path) {
        AtomicInteger n = requestsByPath.get(path);
        return n == null ? 0 : n.get();
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** The most requests this backend has had in flight at once. */
    public int maxInFlight() {
        return maxInFlight.get();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        connections.close().awaitUninterruptibly();
    }

    private final class Routes extends ChannelInboundHandlerAdapter {
        private String path;
        private boolean echoing;
        private long uploaded;
        private boolean discardBody;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest request) {
                onHead(ctx, request);
                return;
            }
            if (msg instanceof HttpContent content) {
                if (echoing) {
                    ctx.write(content);
                    if (content instanceof LastHttpContent) {
                        ctx.flush();
                        finished();
                    }
                    return;
                }
                uploaded += content.content().readableBytes();
                content.release();
                if (content instanceof LastHttpContent && !discardBody) {
                    onComplete(ctx);
                }
                return;
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (echoing) {
                ctx.flush();
            }
        }

        private void onHead(ChannelHandlerContext ctx, HttpRequest request) {
            QueryStringDecoder q = new QueryStringDecoder(request.uri());
            path = q.path();
            requests.incrementAndGet();
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            requestsByPath.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            uploaded = 0;
            discardBody = false;
            echoing = false;
            switch (path) {
                case "/ws" -> {
                    inFlight.decrementAndGet();
                    ctx.pipeline().addAfter(ctx.name(), "agg", new HttpObjectAggregator(65536));
                    ctx.pipeline().addAfter("agg", "ws", new WebSocketServerProtocolHandler("/ws"));
                    ctx.pipeline().addAfter("ws", "echo", new WebSocketEcho());
                    ctx.fireChannelRead(request);
                    ctx.pipeline().remove(this);
                }
                case "/echo" -> {
                    echoing = true;
                    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    HttpUtil.setTransferEncodingChunked(head, true);
                    ctx.write(head);
                }
                case "/close-on-request" -> {
                    discardBody = true;
                    inFlight.decrementAndGet();
                    ctx.close();
                }
                default -> {
                    pending = request;
                    pendingQuery = q;
                }
            }
        }

        private HttpRequest pending;
        private QueryStringDecoder pendingQuery;

        private void onComplete(ChannelHandlerContext ctx) {
            HttpRequest request = pending;
            QueryStringDecoder q = pendingQuery;
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            switch (path) {
                case "/hello" -> {
                    if (helloDelayMillis > 0) {
                        ctx.executor().schedule(() -> respond(ctx, keepAlive, HttpResponseStatus.OK, name),
                                helloDelayMillis, TimeUnit.MILLISECONDS);
                    } else {
                        respond(ctx, keepAlive, HttpResponseStatus.OK, name);
                    }
                }
                case "/headers" -> {
                    StringBuilder b = new StringBuilder();
                    request.headers().forEach(h -> b.append(h.getKey().toLowerCase()).append(": ").append(h.getValue()).append('\n'));
                    respond(ctx, keepAlive, HttpResponseStatus.OK, b.toString());
                }
                case "/upload" -> respond(ctx, keepAlive, HttpResponseStatus.OK, "received=" + uploaded);
                case "/status" -> respond(ctx, keepAlive, HttpResponseStatus.valueOf(intParam(q, "code", 200)), name);
                case "/slow" -> ctx.executor().schedule(
                        () -> respond(ctx, keepAlive, HttpResponseStatus.OK, name), intParam(q, "ms", 100), TimeUnit.MILLISECONDS);
                case "/download" -> download(ctx, keepAlive, Long.parseLong(q.parameters().get("bytes").get(0)));
                case "/cut" -> {
                    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    HttpUtil.setContentLength(head, 1_000_000);
                    ctx.write(head);
                    ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[10_000])))
                            .addListener(ChannelFutureListener.CLOSE);
                    finished();
                }
                default -> respond(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, "no route " + path);
            }
        }

        private void download(ChannelHandlerContext ctx, boolean keepAlive, long bytes) {
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            HttpUtil.setContentLength(head, bytes);
            HttpUtil.setKeepAlive(head, keepAlive);
            ctx.write(head);
            new Object() {
                long left = bytes;

                void pump() {
                    while (left > 0 && ctx.channel().isWritable()) {
                        int n = (int) Math.min(64 * 1024, left);
                        left -= n;
                        ByteBuf chunk = ctx.alloc().buffer(n);
                        chunk.writerIndex(n);
                        ctx.write(new DefaultHttpContent(chunk));
                    }
                    if (left == 0) {
                        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                        finished();
                        return;
                    }
                    ChannelFuture f = ctx.writeAndFlush(Unpooled.EMPTY_BUFFER);
                    f.addListener(x -> {
                        if (x.isSuccess()) {
                            ctx.executor().execute(this::pump);
                        }
                    });
                }
            }.pump();
        }

        private void respond(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, String body) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN).setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            r.headers().set("x-backend", name);
            HttpUtil.setKeepAlive(r, keepAlive);
            // Done before the bytes leave: the proxy may send the next request on another connection (another
            // thread here) as soon as it has them, and it must not be counted as overlapping this one.
            finished();
            ChannelFuture f = ctx.writeAndFlush(r);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        private void finished() {
            inFlight.decrementAndGet();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static int intParam(QueryStringDecoder q, String name, int fallback) {
        var v = q.parameters().get(name);
        return v == null ? fallback : Integer.parseInt(v.get(0));
    }

    private static final class WebSocketEcho extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof TextWebSocketFrame frame) {
                String text = frame.text();
                frame.release();
                ctx.writeAndFlush(new TextWebSocketFrame("echo: " + text));
            } else {
                ReferenceCountUtil.release(msg);
            }
        }
    }
}
