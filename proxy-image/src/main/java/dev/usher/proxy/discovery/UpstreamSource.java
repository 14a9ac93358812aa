package dev.usher.proxy.discovery;

import dev.usher.proxy.endpoints.UpstreamPool;

/** Where the pool's members come from. A source pushes whole, current endpoint lists into the pool. */
public interface UpstreamSource extends AutoCloseable {

    /** Short name for the admin view, e.g. {@code static}. */
    String name();

    /**
     * Starts feeding {@code pool}. Throws {@link DiscoveryException} when the source can never work (e.g. the
     * API server forbids the watch); a source that is only not reachable yet keeps trying and reports
     * {@link SourceStatus#synced()} false meanwhile.
     */
    void start(UpstreamPool pool);

    /** What the admin port and readiness show. */
    SourceStatus status();

    @Override
    void close();
}
