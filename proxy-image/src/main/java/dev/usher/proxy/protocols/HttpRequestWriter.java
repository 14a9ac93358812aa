package dev.usher.proxy.protocols;

import dev.usher.proxy.protocols.request.UpstreamHead;
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
 * Writes a request to an HTTP backend: the {@link UpstreamHead}'s bytes, then the body's data as it is (framed by
 * Content-Length) or in chunks of its own (when the head says chunked), ending in a last chunk. It also tells the
 * response decoder when the answer is to a HEAD request and so has no body.
 */
final class HttpRequestWriter extends MessageToMessageEncoder<Object> {
    private final ResponseDecoder decoder;
    /** Whether the body of the request being written goes in chunks. */
    private boolean chunked;

    HttpRequestWriter(ResponseDecoder decoder) {
        this.decoder = decoder;
    }

    @Override
    public boolean acceptOutboundMessage(Object msg) {
        return msg instanceof UpstreamHead || msg instanceof HttpContent;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) {
        if (msg instanceof UpstreamHead head) {
            decoder.expectResponseTo(head.request().method().equals(HttpMethod.HEAD));
            chunked = head.request().chunked();
            out.add(head.encode(ctx.alloc()));
            return;
        }
        HttpContent content = (HttpContent) msg;
        ByteBuf data = content.content();
        boolean last = content instanceof LastHttpContent;
        if (!chunked) {
            out.add(data.isReadable() ? data.retain() : Unpooled.EMPTY_BUFFER);
            return;
        }
        if (data.isReadable()) {
            // An empty chunk would end the body: only data makes a chunk.
            out.add(Chunks.sizeLine(ctx.alloc(), data.readableBytes()));
            out.add(data.retain());
            out.add(Chunks.dataEnd());
        }
        if (last) {
            out.add(Chunks.last());
        } else if (out.isEmpty()) {
            out.add(Unpooled.EMPTY_BUFFER);
        }
    }
}
