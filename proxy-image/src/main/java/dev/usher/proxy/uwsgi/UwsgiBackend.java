package dev.usher.proxy.uwsgi;

import dev.usher.proxy.upstream.BackendProtocol;
import dev.usher.proxy.upstream.ClientInfo;
import dev.usher.proxy.upstream.HttpBackend;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;

/**
 * The uwsgi protocol, as nginx's {@code uwsgi_pass} speaks it to uWSGI: one request per connection (the
 * protocol has no keep-alive), the request as a vars packet plus raw body, the answer as plain HTTP.
 */
public final class UwsgiBackend implements BackendProtocol {
    private final UwsgiSettings settings;
    private final int maxHeaderSize;

    public UwsgiBackend(UwsgiSettings settings, int maxHeaderSize) {
        this.settings = settings;
        this.maxHeaderSize = maxHeaderSize;
    }

    @Override
    public void addCodec(ChannelPipeline pipeline) {
        UwsgiResponseDecoder decoder = new UwsgiResponseDecoder(HttpBackend.responseDecoderConfig(maxHeaderSize));
        pipeline.addLast("uwsgi-response-decoder", decoder);
        pipeline.addLast("uwsgi-request-encoder", new UwsgiRequestEncoder(settings, decoder));
    }

    @Override
    public String cannotEncode(HttpRequest request, ClientInfo client) {
        long length = HttpUtil.isTransferEncodingChunked(request) ? 0 : HttpUtil.getContentLength(request, -1L);
        int size = new UwsgiVars(request, client, length, settings.params()).size();
        int limit = Math.min(settings.bufferSize(), UwsgiVars.MAX_BLOCK);
        if (size <= limit) {
            return null;
        }
        if (size > UwsgiVars.MAX_BLOCK) {
            return "request headers make a uwsgi vars block of " + size
                    + " bytes; the protocol's limit is 65535";
        }
        return "request headers make a uwsgi vars block of " + size + " bytes, over upstream.uwsgi.bufferSize ("
                + settings.bufferSize() + "); raise it together with uWSGI's --buffer-size";
    }

    @Override
    public boolean supportsUpgrade() {
        return false;
    }

    @Override
    public boolean reusesConnections() {
        return false;
    }

    @Override
    public void removeCodecForTunnel(ChannelPipeline pipeline) {
        throw new UnsupportedOperationException("uwsgi connections cannot be upgraded");
    }
}
