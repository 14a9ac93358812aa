package dev.usher.proxy.upstream;

import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;

/**
 * Who the client is and where it connected, for protocols that pass it on as variables (uwsgi's REMOTE_ADDR,
 * SERVER_PORT...). Set on the upstream connection before each request is written.
 */
public record ClientInfo(InetSocketAddress remote, InetSocketAddress local, String scheme) {
    public static final AttributeKey<ClientInfo> KEY = AttributeKey.valueOf("usher.client");
}
