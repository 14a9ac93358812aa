package dev.usher.proxy.testing;

import dev.usher.proxy.http.validation.RequestDecoder;
import dev.usher.proxy.protocols.request.RequestHead;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Request heads made the way the proxy makes them: raw bytes through its own decoder. */
public final class RequestHeads {
    private RequestHeads() {}

    /** The head of {@code raw}, which must be a whole request head the decoder accepts. */
    public static RequestHead parse(String raw) {
        EmbeddedChannel channel = new EmbeddedChannel(new RequestDecoder(1 << 20, 1 << 20, Duration.ofMinutes(1)));
        try {
            channel.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
            Object head = channel.readInbound();
            if (!(head instanceof RequestHead h)) {
                throw new IllegalArgumentException("not a request head the proxy accepts: " + head);
            }
            return h;
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
