package dev.usher.proxy.admin;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;

/** Routes the admin endpoints. Read-only: nothing here changes the proxy. */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final AdminEndpoints endpoints;

    AdminHandler(AdminEndpoints endpoints) {
        this.endpoints = endpoints;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        FullHttpResponse response;
        if (!request.decoderResult().isSuccess()) {
            response = text(ctx, HttpResponseStatus.BAD_REQUEST, "bad request\n", "text/plain");
        } else if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
            response = text(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "GET only\n", "text/plain");
        } else {
            response = switch (new QueryStringDecoder(request.uri()).path()) {
                case "/healthz" -> text(ctx, HttpResponseStatus.OK, "ok\n", "text/plain");
                case "/readyz" -> endpoints.ready()
                        ? text(ctx, HttpResponseStatus.OK, "ready\n", "text/plain")
                        : text(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, endpoints.notReadyReason() + "\n", "text/plain");
                case "/metrics" -> text(ctx, HttpResponseStatus.OK, endpoints.metrics(), "text/plain; version=0.0.4; charset=utf-8");
                case "/upstreams" -> text(ctx, HttpResponseStatus.OK, endpoints.upstreamsJson(), "application/json");
                default -> text(ctx, HttpResponseStatus.NOT_FOUND,
                        "not found: try /healthz /readyz /metrics /upstreams\n", "text/plain");
            };
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpUtil.setKeepAlive(response, keepAlive);
        var f = ctx.writeAndFlush(response);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static FullHttpResponse text(ChannelHandlerContext ctx, HttpResponseStatus status, String body, String type) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ByteBuf buf = ctx.alloc().buffer(bytes.length).writeBytes(bytes);
        FullHttpResponse r = new DefaultFullHttpResponse(io.netty.handler.codec.http.HttpVersion.HTTP_1_1, status, buf);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type).setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        return r;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
