package dev.usher.proxy.upstream;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;

/** HTTP/1.1 to the backend, with keep-alive. */
public final class HttpBackend implements BackendProtocol {
    private static final String CODEC = "http-client-codec";

    private final int maxHeaderSize;

    public HttpBackend(int maxHeaderSize) {
        this.maxHeaderSize = maxHeaderSize;
    }

    @Override
    public void addCodec(ChannelPipeline pipeline) {
        HttpDecoderConfig decoder = new HttpDecoderConfig()
                .setMaxHeaderSize(Math.max(maxHeaderSize, 8192))
                .setMaxInitialLineLength(8192)
                .setMaxChunkSize(64 * 1024);
        pipeline.addLast(CODEC, new HttpClientCodec(decoder, false, false));
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
