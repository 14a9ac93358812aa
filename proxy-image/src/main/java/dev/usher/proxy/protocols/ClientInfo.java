package dev.usher.proxy.protocols;

import java.net.InetSocketAddress;

/**
 * Who the client is and where it connected, for protocols that pass it on as variables (uwsgi's REMOTE_ADDR,
 * SERVER_PORT...).
 */
public record ClientInfo(InetSocketAddress remote, InetSocketAddress local, String scheme) {}
