package dev.usher.proxy.protocols;

import io.netty.channel.ChannelPipeline;
import dev.usher.proxy.protocols.request.UpstreamHead;

/**
 * How the proxy speaks to a backend. Whatever the wire format, a protocol's codec takes the head from
 * {@link #prepare} (made from the {@link UpstreamHead}) and Netty's {@code HttpContent} on write, and yields a {@code ResponseHead} then
 * {@code HttpContent} on read ({@code ResponseDecoder}: every protocol answers in HTTP/1.x), so pooling, balancing, health, retries, timeouts and metrics are the same for every protocol.
 */
public interface BackendProtocol {

    /** Adds the codec at the head of a new upstream connection's pipeline. */
    void addCodec(ChannelPipeline pipeline);

    /**
     * The request head as this protocol's codec writes it, built once from the head as it goes upstream (after the
     * proxy's rewrite), or why it cannot be put on the wire (answered 431). Called before any upstream is picked,
     * so a request that can never be sent is not retried; a retry writes the same head again.
     */
    PreparedHead prepare(UpstreamHead request, ClientInfo client);

    /**
     * The head for a body the proxy has read whole ({@code buffering.request}), whose length is now known; the
     * prepared head when nothing changes.
     */
    default Object withBodyLength(Object head, long length) {
        return head;
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

    /** A head ready for the codec, or the reason there is none. */
    record PreparedHead(Object message, String refusal) {
        public static PreparedHead of(Object message) {
            return new PreparedHead(message, null);
        }

        public static PreparedHead refused(String why) {
            return new PreparedHead(null, why);
        }
    }
}
