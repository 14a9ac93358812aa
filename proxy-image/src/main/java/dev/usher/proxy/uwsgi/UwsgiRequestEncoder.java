package dev.usher.proxy.uwsgi;

import dev.usher.proxy.upstream.ClientInfo;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;

/**
 * Writes an HTTP request as a uwsgi packet. A body with a Content-Length streams straight after the vars; a
 * chunked body is collected first (uwsgi needs CONTENT_LENGTH up front, as nginx also does), bounded by the
 * proxy's body limit.
 */
final class UwsgiRequestEncoder extends MessageToMessageEncoder<HttpObject> {
    private final UwsgiSettings settings;
    private final UwsgiResponseDecoder decoder;
    private HttpRequest waitingForBody;
    private CompositeByteBuf body;

    UwsgiRequestEncoder(UwsgiSettings settings, UwsgiResponseDecoder decoder) {
        super(HttpObject.class);
        this.settings = settings;
        this.decoder = decoder;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, HttpObject msg, List<Object> out) {
        if (msg instanceof HttpRequest request) {
            decoder.expectResponseTo(request.method().equals(HttpMethod.HEAD));
            if (HttpUtil.isTransferEncodingChunked(request)) {
                waitingForBody = request;
                body = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
            } else {
                out.add(head(ctx, request, HttpUtil.getContentLength(request, -1L)));
            }
        }
        if (msg instanceof HttpContent content) {
            ByteBuf bytes = content.content();
            if (waitingForBody != null) {
                if (bytes.isReadable()) {
                    body.addComponent(true, bytes.retain());
                }
                if (content instanceof LastHttpContent) {
                    out.add(head(ctx, waitingForBody, body.readableBytes()));
                    out.add(body);
                    waitingForBody = null;
                    body = null;
                }
            } else {
                out.add(bytes.isReadable() ? bytes.retain() : Unpooled.EMPTY_BUFFER);
            }
        }
        if (out.isEmpty()) {
            out.add(Unpooled.EMPTY_BUFFER);
        }
    }

    private ByteBuf head(ChannelHandlerContext ctx, HttpRequest request, long contentLength) {
        ClientInfo client = ctx.channel().attr(ClientInfo.KEY).get();
        return new UwsgiVars(request, client, contentLength, settings.params()).encode(ctx.alloc(), settings.modifier1());
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (body != null) {
            body.release();
            body = null;
        }
    }
}
