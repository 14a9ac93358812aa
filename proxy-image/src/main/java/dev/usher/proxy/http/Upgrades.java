package dev.usher.proxy.http;

import dev.usher.proxy.protocols.request.RequestField;
import dev.usher.proxy.protocols.request.RequestHead;
import dev.usher.proxy.protocols.response.FieldKind;
import dev.usher.proxy.protocols.response.ResponseHead;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Whether a backend's {@code 101 Switching Protocols} may turn the client connection into a tunnel. After a 101
 * the proxy stops reading HTTP, so a 101 the client will not accept would leave its bytes going nowhere: such a
 * switch is answered 502 instead.
 */
final class Upgrades {
    /** RFC 6455 4.2.2: the key's accept value is base64(SHA-1(key + this GUID)). */
    private static final String WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private Upgrades() {}

    /** Null when the 101 answers what the request asked for, else what is wrong with it. */
    static String invalidSwitch(RequestHead request, ResponseHead response) {
        String asked = request.value(RequestField.UPGRADE);
        if (asked == null) {
            return "101 to a request that asked for no upgrade";
        }
        String to = response.value(FieldKind.UPGRADE);
        if (to == null) {
            return "101 without Upgrade";
        }
        if (!asked.trim().equalsIgnoreCase(HttpHeaderValues.WEBSOCKET.toString())) {
            return null;
        }
        if (!to.trim().equalsIgnoreCase(HttpHeaderValues.WEBSOCKET.toString())) {
            return "101 to a WebSocket request upgrades to " + to;
        }
        String key = request.value(RequestField.SEC_WEBSOCKET_KEY);
        String accept = response.value(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT);
        if (key == null || accept == null || !accept.trim().equals(acceptFor(key.trim()))) {
            return "101 to a WebSocket request without the matching Sec-WebSocket-Accept";
        }
        return null;
    }

    static String acceptFor(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1")
                    .digest((key + WEBSOCKET_GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-1", e);
        }
    }
}
