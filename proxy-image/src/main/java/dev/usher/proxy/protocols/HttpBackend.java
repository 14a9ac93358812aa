package dev.usher.proxy.protocols;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;

/** HTTP/1.1 to the backend, with keep-alive. */
public final class HttpBackend implements BackendProtocol {
    private static final String CODEC = "http-client-codec";

    private final int maxHeaderSize;

    public HttpBackend(int maxHeaderSize) {
        this.maxHeaderSize = maxHeaderSize;
    }

    @Override
    public void addCodec(ChannelPipeline pipeline) {
        pipeline.addLast(CODEC, new HttpClientCodec(responseDecoderConfig(maxHeaderSize), false, false));
    }

    /**
     * How backend responses are parsed, for every protocol that answers in HTTP. Headers may be as large as
     * the client's limit (a backend echoing them should not fail), and chunks up to 64 KiB keep large bodies
     * moving in few pieces.
     */
    public static HttpDecoderConfig responseDecoderConfig(int maxHeaderSize) {
        return new HttpDecoderConfig()
                .setMaxHeaderSize(Math.max(maxHeaderSize, 8192))
                .setMaxInitialLineLength(8192)
                .setMaxChunkSize(64 * 1024);
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
        HttpClientCodec codec = (HttpClientCodec) pipeline.get(CODEC);
        codec.removeOutboundHandler();
        pipeline.remove(codec);
    }
}
