package dev.usher.proxy.protocols;

import dev.usher.proxy.protocols.response.ResponseDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;

/** HTTP/1.1 to the backend, with keep-alive. */
public final class HttpBackend implements BackendProtocol {
    private static final String DECODER = "http-response-decoder";
    private static final String ENCODER = "http-request-encoder";

    private final int maxHeaderSize;

    public HttpBackend(int maxHeaderSize) {
        this.maxHeaderSize = maxHeaderSize;
    }

    @Override
    public void addCodec(ChannelPipeline pipeline) {
        ResponseDecoder decoder = responseDecoder(maxHeaderSize);
        pipeline.addLast(DECODER, decoder);
        pipeline.addLast(ENCODER, new RequestEncoder(decoder));
    }

    /**
     * How backend responses are read, for every protocol that answers in HTTP. A head may be as large as the
     * client's limit allows a request's (a backend echoing headers should not fail), plus a status line.
     */
    public static ResponseDecoder responseDecoder(int maxHeaderSize) {
        return new ResponseDecoder(Math.max(maxHeaderSize, 8192) + 8192);
    }

    @Override
    public PreparedHead prepare(HttpRequest request, ClientInfo client) {
        return PreparedHead.of(request);
    }

    @Override
    public boolean reusesConnections() {
        return true;
    }

    @Override
    public void removeCodecForTunnel(ChannelPipeline pipeline) {
        pipeline.remove(ENCODER);
        pipeline.remove(DECODER);
    }

    /** Netty's encoder, which also tells the decoder when the answer is to a HEAD request and so has no body. */
    private static final class RequestEncoder extends HttpRequestEncoder {
        private final ResponseDecoder decoder;

        RequestEncoder(ResponseDecoder decoder) {
            this.decoder = decoder;
        }

        @Override
        protected void encodeInitialLine(ByteBuf buf, HttpRequest request) throws Exception {
            decoder.expectResponseTo(request.method().equals(HttpMethod.HEAD));
            super.encodeInitialLine(buf, request);
        }
    }
}
