package dev.usher.proxy.protocols;

import dev.usher.proxy.protocols.request.UpstreamHead;
import dev.usher.proxy.protocols.response.ResponseDecoder;
import io.netty.channel.ChannelPipeline;

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
        pipeline.addLast(ENCODER, new HttpRequestWriter(decoder));
    }

    /**
     * How backend responses are read, for every protocol that answers in HTTP. A head may be as large as the
     * client's limit allows a request's (a backend echoing headers should not fail), plus a status line.
     */
    public static ResponseDecoder responseDecoder(int maxHeaderSize) {
        return new ResponseDecoder(Math.max(maxHeaderSize, 8192) + 8192);
    }

    @Override
    public PreparedHead prepare(UpstreamHead request, ClientInfo client) {
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
}
