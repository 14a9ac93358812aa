package dev.usher.proxy.protocols.uwsgi;

import dev.usher.proxy.config.UwsgiSettings;
import dev.usher.proxy.protocols.response.ResponseDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;

/**
 * Writes a request as a uwsgi packet: the vars block {@link UwsgiBackend#prepare} built, then the body. A body with a
 * Content-Length streams straight after the vars; a chunked body is collected first (uwsgi needs CONTENT_LENGTH up
 * front, as nginx also does), bounded by the proxy's body limit.
 */
final class UwsgiRequestEncoder extends MessageToMessageEncoder<Object> {
    private final UwsgiSettings settings;
    private final ResponseDecoder decoder;
    private UwsgiVars waitingForBody;
    private ByteBuf body;

    UwsgiRequestEncoder(UwsgiSettings settings, ResponseDecoder decoder) {
        this.settings = settings;
        this.decoder = decoder;
    }

    @Override
    public boolean acceptOutboundMessage(Object msg) {
        return msg instanceof UwsgiVars || msg instanceof HttpContent;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) {
        if (msg instanceof UwsgiVars vars) {
            decoder.expectResponseTo(vars.request().request().method().equals(HttpMethod.HEAD));
            if (vars.collectsBody()) {
                waitingForBody = vars;
                // One growing buffer, not a composite of the pieces: a body sent in one-byte chunks would make
                // millions of components (about 100 bytes of heap each) within limits.maxBodySize.
                body = ctx.alloc().buffer();
            } else {
                out.add(vars.encode(ctx.alloc(), settings.modifier1()));
            }
        }
        if (msg instanceof HttpContent content) {
            ByteBuf bytes = content.content();
            if (waitingForBody != null) {
                body.writeBytes(bytes);
                if (content instanceof LastHttpContent) {
                    out.add(waitingForBody.withContentLength(body.readableBytes()).encode(ctx.alloc(), settings.modifier1()));
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

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (body != null) {
            body.release();
            body = null;
        }
    }
}
