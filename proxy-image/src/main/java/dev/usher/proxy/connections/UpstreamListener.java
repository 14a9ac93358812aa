package dev.usher.proxy.connections;

import io.netty.handler.codec.http.HttpObject;

/** What an upstream connection reports to the request it currently carries. Called on the connection's event loop. */
public interface UpstreamListener {

    /** A piece of the response; the listener owns it (and must release or pass it on). */
    void onResponse(HttpObject msg);

    /** The end of one read batch: the moment to flush what was forwarded. */
    void onResponseBatchComplete();

    void onUpstreamWritabilityChanged(boolean writable);

    /** The connection closed or failed before the exchange ended. */
    void onUpstreamClosed(Throwable cause);

    /** Nothing moved on the connection for the idle timeout. */
    void onUpstreamIdle();
}
