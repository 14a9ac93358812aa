package dev.usher.proxy.discovery;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Map;

/**
 * A source's view for readiness and {@code /upstreams}. {@code synced}: its first full list is in the pool;
 * {@code connected}: it is receiving changes now; {@code lastSync}: when it last heard from its origin (null
 * before the first list); {@code conditions}: every endpoint it knows, including those kept out of the pool.
 */
public record SourceStatus(boolean synced, boolean connected, Instant lastSync,
                           Map<InetSocketAddress, EndpointCondition> conditions) {

    public SourceStatus {
        conditions = Map.copyOf(conditions);
    }
}
