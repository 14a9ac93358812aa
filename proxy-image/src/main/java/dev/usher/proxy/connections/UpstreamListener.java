package dev.usher.proxy.connections;

/** What an upstream connection reports to the request it currently carries. Called on the connection's event loop. */
public interface UpstreamListener {

    /**
     * A piece of the response, as the protocol's decoder yields it (a head, then the body's pieces); the listener
     * owns it (and must release or pass it on).
     */
    void onResponse(Object msg);

    /** The end of one read batch: the moment to flush what was forwarded. */
    void onResponseBatchComplete();

    void onUpstreamWritabilityChanged(boolean writable);

    /** The connection closed or failed before the exchange ended. */
    void onUpstreamClosed(Throwable cause);

    /** Nothing moved on the connection for the idle timeout. */
    void onUpstreamIdle();
}
