package dev.usher.proxy.protocols;

import java.net.InetSocketAddress;

/**
 * Who the client is and where it connected, for protocols that pass it on as variables (uwsgi's REMOTE_ADDR,
 * SERVER_PORT...). The remote address as text is made once per connection, not once per request.
 */
public record ClientInfo(InetSocketAddress remote, InetSocketAddress local, String scheme, String remoteIp) {

    public ClientInfo(InetSocketAddress remote, InetSocketAddress local, String scheme) {
        this(remote, local, scheme, remote.getAddress().getHostAddress());
    }
}
