package dev.usher.proxy.http;

import dev.usher.proxy.protocols.ClientInfo;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;

/**
 * What an exchange may ask of its client connection, as {@code UpstreamListener} is what an upstream connection
 * tells it: the exchange writes its response to the client's channel and, when it ends, says how.
 */
interface ClientSide {

    ClientInfo info();

    /** Whether the response being written must be the last on this connection (draining, or the request limit). */
    boolean lastResponse();

    /** The exchange wrote its last message; the connection carries on with the next request, or closes. */
    void exchangeEnded(boolean keepAlive, ChannelFuture lastWrite);

    /** The response was cut short after it started: only closing the connection can tell the client. */
    void exchangeAborted();

    /** After a valid 101: the connection becomes a raw relay to {@code upstream}. */
    void becomeTunnel(Channel upstream);
}
