package dev.usher.proxy.upstream;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpRequest;

/**
 * How the proxy speaks to a backend. Whatever the wire format, a protocol's codec takes Netty's
 * {@code HttpRequest}/{@code HttpContent} on write and yields {@code HttpResponse}/{@code HttpContent} on read,
 * so pooling, balancing, health, retries, timeouts and metrics are the same for every protocol.
 */
public interface BackendProtocol {

    /** Adds the codec at the head of a new upstream connection's pipeline. */
    void addCodec(ChannelPipeline pipeline);

    /**
     * Why this request cannot be put on the wire in this protocol (answered with 431), or null when it can.
     * Checked before any upstream is picked, so a request that can never be sent is not retried.
     */
    default String cannotEncode(HttpRequest request, ClientInfo client) {
        return null;
    }

    /** Whether connections can be upgraded to a raw tunnel after {@code 101 Switching Protocols}. */
    default boolean supportsUpgrade() {
        return true;
    }

    /** Whether a connection can carry another request after a complete exchange. */
    boolean reusesConnections();

    /**
     * Removes the codec after a {@code 101 Switching Protocols}, so that bytes pass through raw from then on.
     * The encoder goes first: bytes the decoder still holds are fired on and must not be HTTP-encoded again.
     */
    void removeCodecForTunnel(ChannelPipeline pipeline);
}
