package dev.usher.proxy.discovery;

import dev.usher.proxy.pool.UpstreamPool;

/** Where the pool's members come from. A source pushes whole, current endpoint lists into the pool. */
public interface UpstreamSource extends AutoCloseable {

    /** Short name for the admin view, e.g. {@code static}. */
    String name();

    /** Starts feeding {@code pool}; returns once the first full list has been applied. */
    void start(UpstreamPool pool);

    @Override
    void close();
}
