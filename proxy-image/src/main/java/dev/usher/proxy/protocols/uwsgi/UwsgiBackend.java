package dev.usher.proxy.protocols.uwsgi;

import dev.usher.proxy.config.UwsgiSettings;
import dev.usher.proxy.protocols.BackendProtocol;
import dev.usher.proxy.protocols.ClientInfo;
import dev.usher.proxy.protocols.HttpBackend;
import dev.usher.proxy.protocols.response.ResponseDecoder;
import io.netty.channel.ChannelPipeline;
import dev.usher.proxy.protocols.request.UpstreamHead;

/**
 * The uwsgi protocol, as nginx's {@code uwsgi_pass} speaks it to uWSGI: one request per connection (the
 * protocol has no keep-alive), the request as a vars packet plus raw body, the answer as plain HTTP.
 */
public final class UwsgiBackend implements BackendProtocol {
    private final UwsgiSettings settings;
    private final int maxHeaderSize;
    private final long maxBodySize;
    private final byte[] params;

    public UwsgiBackend(UwsgiSettings settings, int maxHeaderSize, long maxBodySize) {
        this.settings = settings;
        this.maxHeaderSize = maxHeaderSize;
        this.maxBodySize = maxBodySize;
        this.params = UwsgiVars.encodeParams(settings.params());
    }

    @Override
    public void addCodec(ChannelPipeline pipeline) {
        ResponseDecoder decoder = HttpBackend.responseDecoder(maxHeaderSize);
        pipeline.addLast("uwsgi-response-decoder", decoder);
        pipeline.addLast("uwsgi-request-encoder", new UwsgiRequestEncoder(settings, decoder));
    }

    /**
     * The vars block, checked against uWSGI's buffer. A chunked body's length is known only at its end, so its
     * block is sized with the longest CONTENT_LENGTH the body limit allows: a block that passes here fits then.
     */
    @Override
    public PreparedHead prepare(UpstreamHead request, ClientInfo client) {
        boolean chunked = request.request().chunked();
        UwsgiVars vars = new UwsgiVars(request, client, chunked ? maxBodySize : request.request().contentLength(),
                params, chunked);
        int size = vars.size();
        int limit = Math.min(settings.bufferSize(), UwsgiVars.MAX_BLOCK);
        if (size <= limit) {
            return PreparedHead.of(vars);
        }
        if (size > UwsgiVars.MAX_BLOCK) {
            return PreparedHead.refused("request headers make a uwsgi vars block of " + size
                    + " bytes; the protocol's limit is 65535");
        }
        return PreparedHead.refused("request headers make a uwsgi vars block of " + size
                + " bytes, over upstream.uwsgi.bufferSize (" + settings.bufferSize()
                + "); raise it together with uWSGI's --buffer-size");
    }

    /** A chunked body read whole: its vars get the CONTENT_LENGTH now, so the body streams instead of being collected. */
    @Override
    public Object withBodyLength(Object head, long length) {
        return head instanceof UwsgiVars vars && vars.collectsBody() ? vars.withContentLength(length) : head;
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
