package dev.usher.proxy.metrics;

import dev.usher.proxy.balancing.WaitQueue;
import dev.usher.proxy.endpoints.UpstreamPool;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The proxy's meters, resolved once at start-up so the per-request path only increments. Exposed in the
 * Prometheus text format on the admin port.
 */
public final class ProxyMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter[] responsesByClass = new Counter[6];
    private final Timer latency;
    private final Counter retries;
    private final Counter ejections;
    private final Counter connectionLimitReached;
    private final Timer queueWait;
    private final Counter queueFull;
    private final Counter queueTimedOut;
    private final Counter bodiesSpilled;
    private final AtomicInteger activeConnections = new AtomicInteger();
    private final AtomicInteger activeRequests = new AtomicInteger();

    public ProxyMetrics(UpstreamPool pool, WaitQueue queue) {
        this(pool, queue, true);
    }

    /**
     * The proxy's meters without the JVM's, in a registry of their own that nothing scrapes: the warm-up's, whose
     * requests are not the users'. The JVM's binders are left out because they would stay registered for good.
     */
    public static ProxyMetrics detached(UpstreamPool pool, WaitQueue queue) {
        return new ProxyMetrics(pool, queue, false);
    }

    private ProxyMetrics(UpstreamPool pool, WaitQueue queue, boolean jvm) {
        for (int c = 1; c <= 5; c++) {
            responsesByClass[c] = Counter.builder("usher_requests")
                    .description("Requests answered, by status class of the response sent to the client")
                    .tag("status_class", c + "xx")
                    .register(registry);
        }
        latency = Timer.builder("usher_request_duration")
                .description("Time from request head received to response complete")
                .serviceLevelObjectives(ms(1), ms(2), ms(5), ms(10), ms(25), ms(50), ms(100), ms(250), ms(500),
                        ms(1000), ms(2500), ms(5000), ms(10000), ms(30000))
                .register(registry);
        retries = Counter.builder("usher_retries").description("Attempts repeated on another upstream").register(registry);
        ejections = Counter.builder("usher_ejections").description("Upstreams ejected by passive health").register(registry);
        connectionLimitReached = Counter.builder("usher_connection_limit_reached")
                .description("Times the proxy stopped accepting because limits.maxConnections were open").register(registry);
        queueWait = Timer.builder("usher_queue_wait")
                .description("Time requests waited for a free upstream slot (upstream.concurrency)")
                .serviceLevelObjectives(ms(1), ms(10), ms(50), ms(100), ms(250), ms(500), ms(1000), ms(2500), ms(5000),
                        ms(10000), ms(30000))
                .register(registry);
        queueFull = Counter.builder("usher_queue_rejected").tag("reason", "full")
                .description("Requests answered 503 because the wait queue was full, or their wait timed out")
                .register(registry);
        queueTimedOut = Counter.builder("usher_queue_rejected").tag("reason", "timeout")
                .description("Requests answered 503 because the wait queue was full, or their wait timed out")
                .register(registry);
        bodiesSpilled = Counter.builder("usher_request_bodies_spilled")
                .description("Request bodies buffered past buffering.memory into a temporary file").register(registry);
        Gauge.builder("usher_queue_length", queue, WaitQueue::length)
                .description("Requests waiting for a free upstream slot").register(registry);
        Gauge.builder("usher_upstreams", pool, p -> p.snapshot().ready().size())
                .description("Upstreams taking new requests").register(registry);
        Gauge.builder("usher_upstreams_fenced", pool, p -> p.snapshot().all().size() - p.snapshot().ready().size())
                .description("Upstreams finishing in-flight requests, taking no new ones").register(registry);
        Gauge.builder("usher_client_connections", activeConnections, AtomicInteger::get)
                .description("Open client connections").register(registry);
        Gauge.builder("usher_requests_in_flight", activeRequests, AtomicInteger::get)
                .description("Requests being proxied").register(registry);
        if (jvm) {
            new JvmMemoryMetrics().bindTo(registry);
            new JvmGcMetrics().bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
        }
    }

    /**
     * The socket transport the event loops run on, as a gauge of 1 tagged with its name: {@code transport: auto} can
     * fall back from io_uring to epoll (a container's seccomp profile), which costs CPU per request and is otherwise
     * only in the start-up log.
     */
    public void transportInUse(String name) {
        Gauge.builder("usher_transport", () -> 1)
                .description("The socket transport the event loops use (io_uring, epoll or nio), 1 for the one in use")
                .tag("transport", name)
                .register(registry);
    }

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }

    public void responded(int status, long durationNanos) {
        int statusClass = status / 100;
        if (statusClass >= 1 && statusClass <= 5) {
            responsesByClass[statusClass].increment();
        }
        latency.record(durationNanos, TimeUnit.NANOSECONDS);
    }

    public void retried() {
        retries.increment();
    }

    public void waited(long nanos) {
        queueWait.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void queueFull() {
        queueFull.increment();
    }

    public void queueTimedOut() {
        queueTimedOut.increment();
    }

    public void requestBodySpilled() {
        bodiesSpilled.increment();
    }

    public void connectionLimitReached() {
        connectionLimitReached.increment();
    }

    public void ejected() {
        ejections.increment();
    }

    public AtomicInteger activeConnections() {
        return activeConnections;
    }

    public AtomicInteger activeRequests() {
        return activeRequests;
    }

    public String scrape() {
        return registry.scrape();
    }
}
