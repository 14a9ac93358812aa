package dev.usher.proxy.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the proxy is told at start-up. The same schema is read from a file (YAML or JSON), set by
 * flags, and rendered by the operator into the proxy's ConfigMap; {@link ConfigLoader} documents the keys.
 */
public record ProxyConfig(
        HostPort listen,
        HostPort admin,
        int eventLoops,
        UpstreamConfig upstream,
        LoadBalancing loadBalancing,
        Duration slowStart,
        Limits limits,
        Timeouts timeouts,
        Retries retries,
        OutlierDetection outlierDetection,
        int maxIdlePerUpstream,
        Queue queue,
        Buffering buffering,
        Shutdown shutdown,
        boolean accessLog,
        Readiness readiness) {

    /**
     * Request limits enforced before anything reaches an upstream. maxConnections: client connections open at once
     * (at the limit the proxy stops accepting until one closes); maxRequestsPerConnection: the response to the last
     * one closes the connection, as nginx's keepalive_requests. 0 means no limit for both.
     */
    public record Limits(long maxBodySize, int maxHeaderSize, int maxInitialLineLength, int maxConnections,
                         int maxRequestsPerConnection) {}

    /**
     * connect: TCP connect to an upstream; response: request sent to first response byte; idle: no traffic on a
     * connection; requestHead: from the first byte of a request head (or a connection's opening) to its end.
     */
    public record Timeouts(Duration connect, Duration response, Duration idle, Duration upstreamIdle, Duration requestHead) {}

    /** attempts counts the first try: 2 means one retry. budgetRatio caps retries as a share of requests. */
    public record Retries(int attempts, double budgetRatio, int minRetriesPerSecond) {}

    /** Passive health: eject after consecutive failures, for base × 2^(n-1) up to max; never below the panic threshold. */
    public record OutlierDetection(int consecutiveFailures, Duration baseEjection, Duration maxEjection, int panicThresholdPercent) {}

    /** requireUpstream: /readyz also fails while the pool has no ready upstream, so a proxy with nowhere to send gets no traffic. */
    public record Readiness(boolean requireUpstream) {}

    /**
     * Where requests wait when every upstream has upstream.concurrency requests in flight: one FIFO for the proxy.
     * A full queue, or a wait over the timeout, is answered 503 with Retry-After.
     */
    public record Queue(int maxLength, Duration timeout) {}

    /**
     * What the proxy holds so that a slow client does not hold a backend. request: read a request's whole body before
     * it takes an upstream (on by default for protocol uwsgi, whose workers serve one request at a time; off for http,
     * which streams), in memory up to {@code memory} bytes and past that in a temporary file under {@code directory}.
     * response: bytes of a response the proxy takes in while the client reads slowly, so the backend is free once it
     * has written its answer; 0 (the default) streams with backpressure.
     */
    public record Buffering(boolean request, long memory, Path directory, long response) {}

    /** delay: time between readiness going false and the listener closing, so load balancers stop sending first. */
    public record Shutdown(Duration delay, Duration drainTimeout) {}
}
