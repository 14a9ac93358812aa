package dev.usher.proxy.protocols;

import java.net.InetSocketAddress;

/**
 * Who the client is and where it connected, for protocols that pass it on as variables (uwsgi's REMOTE_ADDR,
 * REMOTE_PORT, SERVER_PORT...). The address and ports as text are made once per connection, not once per request.
 */
public record ClientInfo(InetSocketAddress remote, InetSocketAddress local, String scheme, String remoteIp,
                         String remotePort, String localPort) {

    public ClientInfo(InetSocketAddress remote, InetSocketAddress local, String scheme) {
        this(remote, local, scheme, remote.getAddress().getHostAddress(), Integer.toString(remote.getPort()),
                Integer.toString(local.getPort()));
    }
}
