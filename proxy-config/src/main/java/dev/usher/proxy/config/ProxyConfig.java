package dev.usher.proxy.config;

import static dev.usher.proxy.config.ConfigOption.nonNegative;
import static dev.usher.proxy.config.ConfigOption.of;
import static dev.usher.proxy.config.ConfigOption.positive;
import static dev.usher.proxy.config.ConfigOption.range;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the proxy is told at start-up: the schema of its config file (YAML or JSON), which flags also set and
 * the operator renders into the proxy's ConfigMap. Each record's keys are {@link ConfigOption}s, which hold their
 * defaults, ranges and descriptions; {@link ProxyConfigYaml} reads and writes the file.
 */
public record ProxyConfig(
        HostPort listen,
        HostPort admin,
        Integer eventLoops,
        TransportKind transport,
        UpstreamConfig upstream,
        LoadBalancing loadBalancing,
        Duration slowStart,
        Limits limits,
        Timeouts timeouts,
        Retries retries,
        OutlierDetection outlierDetection,
        ConnectionPool connectionPool,
        Queue queue,
        Buffering buffering,
        Shutdown shutdown,
        Boolean accessLog,
        Readiness readiness,
        Warmup warmup) {

    static final ConfigOption<HostPort> LISTEN = of("listen", new HostPort("0.0.0.0", 8080),
            "the client-facing HTTP listener");
    static final ConfigOption<HostPort> ADMIN = of("admin", new HostPort("0.0.0.0", 9901),
            "/healthz /readyz /metrics /upstreams");
    static final ConfigOption<Integer> EVENT_LOOPS = range("eventLoops", 0, 0, 256, "I/O threads, 0 = one per core");
    static final ConfigOption<TransportKind> TRANSPORT = of("transport", TransportKind.AUTO,
            "auto (io_uring where the kernel and seccomp allow it, else epoll) | io_uring | epoll | nio");
    static final ConfigOption<LoadBalancing> LOAD_BALANCING = of("loadBalancing", LoadBalancing.LEAST_REQUEST,
            "least-request (the less busy of two upstreams picked at random) | round-robin");
    static final ConfigOption<Duration> SLOW_START = nonNegative("slowStart", Duration.ofSeconds(10),
            "ramp-up for upstreams added at run time (0s = off)");
    static final ConfigOption<Boolean> ACCESS_LOG = of("accessLog", false, "one structured line per request");

    public ProxyConfig {
        listen = LISTEN.of(listen);
        admin = ADMIN.of(admin);
        eventLoops = EVENT_LOOPS.of(eventLoops);
        transport = TRANSPORT.of(transport);
        upstream = upstream != null ? upstream : new UpstreamConfig(null, null, null, null, null);
        loadBalancing = LOAD_BALANCING.of(loadBalancing);
        slowStart = SLOW_START.of(slowStart);
        limits = limits != null ? limits : Limits.DEFAULTS;
        timeouts = timeouts != null ? timeouts : Timeouts.DEFAULTS;
        retries = retries != null ? retries : Retries.DEFAULTS;
        outlierDetection = outlierDetection != null ? outlierDetection : OutlierDetection.DEFAULTS;
        connectionPool = connectionPool != null ? connectionPool : ConnectionPool.DEFAULTS;
        queue = queue != null ? queue : Queue.DEFAULTS;
        buffering = (buffering != null ? buffering : Buffering.DEFAULTS).forProtocol(upstream.protocol());
        shutdown = shutdown != null ? shutdown : Shutdown.DEFAULTS;
        accessLog = ACCESS_LOG.of(accessLog);
        readiness = readiness != null ? readiness : Readiness.DEFAULTS;
        warmup = warmup != null ? warmup : Warmup.DEFAULTS;
    }

    public int maxIdlePerUpstream() {
        return connectionPool.maxIdlePerUpstream();
    }

    /** Limits enforced before anything reaches an upstream; sizes are Kubernetes quantities (16Ki, 10Mi). */
    public record Limits(
            @JsonSerialize(using = ProxyConfigYaml.SizeSerializer.class)
            @JsonDeserialize(using = ProxyConfigYaml.LongSizeDeserializer.class)
            Long maxBodySize,
            @JsonSerialize(using = ProxyConfigYaml.SizeSerializer.class)
            @JsonDeserialize(using = ProxyConfigYaml.IntSizeDeserializer.class)
            Integer maxHeaderSize,
            @JsonSerialize(using = ProxyConfigYaml.SizeSerializer.class)
            @JsonDeserialize(using = ProxyConfigYaml.IntSizeDeserializer.class)
            Integer maxInitialLineLength,
            Integer maxConnections,
            Integer maxRequestsPerConnection) {

        static final ConfigOption<Long> MAX_BODY_SIZE = of("limits.maxBodySize", 10L << 20,
                "a larger request body gets 413");
        static final ConfigOption<Integer> MAX_HEADER_SIZE = of("limits.maxHeaderSize", 16 << 10,
                "the request head's headers; larger gets 431");
        static final ConfigOption<Integer> MAX_INITIAL_LINE_LENGTH = of("limits.maxInitialLineLength", 8 << 10,
                "the request line; longer gets 414");
        static final ConfigOption<Integer> MAX_CONNECTIONS = range("limits.maxConnections", 10_000, 0,
                Integer.MAX_VALUE, "client connections open at once; at the limit the proxy stops accepting until"
                        + " one closes (0 = no limit)");
        static final ConfigOption<Integer> MAX_REQUESTS_PER_CONNECTION = range("limits.maxRequestsPerConnection",
                1000, 0, Integer.MAX_VALUE, "the response to the last one closes the connection, as nginx's"
                        + " keepalive_requests (0 = no limit)");
        static final Limits DEFAULTS = new Limits(null, null, null, null, null);

        public Limits {
            maxBodySize = MAX_BODY_SIZE.of(maxBodySize);
            maxHeaderSize = MAX_HEADER_SIZE.of(maxHeaderSize);
            maxInitialLineLength = MAX_INITIAL_LINE_LENGTH.of(maxInitialLineLength);
            maxConnections = MAX_CONNECTIONS.of(maxConnections);
            maxRequestsPerConnection = MAX_REQUESTS_PER_CONNECTION.of(maxRequestsPerConnection);
        }
    }

    public record Timeouts(Duration connect, Duration response, Duration idle, Duration upstreamIdle,
                           Duration requestHead) {

        static final ConfigOption<Duration> CONNECT = positive("timeouts.connect", Duration.ofSeconds(2),
                "TCP connect to an upstream");
        static final ConfigOption<Duration> RESPONSE = positive("timeouts.response", Duration.ofSeconds(60),
                "request sent to the first byte of the response; then 504");
        static final ConfigOption<Duration> IDLE = positive("timeouts.idle", Duration.ofSeconds(300),
                "a client connection with no traffic closes");
        static final ConfigOption<Duration> UPSTREAM_IDLE = positive("timeouts.upstreamIdle", Duration.ofSeconds(60),
                "an idle pooled upstream connection closes");
        static final ConfigOption<Duration> REQUEST_HEAD = positive("timeouts.requestHead", Duration.ofSeconds(60),
                "from the first byte of a request head (or the connection's opening) to its end; then 408");
        static final Timeouts DEFAULTS = new Timeouts(null, null, null, null, null);

        public Timeouts {
            connect = CONNECT.of(connect);
            response = RESPONSE.of(response);
            idle = IDLE.of(idle);
            upstreamIdle = UPSTREAM_IDLE.of(upstreamIdle);
            requestHead = REQUEST_HEAD.of(requestHead);
        }
    }

    public record Retries(Integer attempts, Double budgetRatio, Integer minRetriesPerSecond) {

        static final ConfigOption<Integer> ATTEMPTS = range("retries.attempts", 2, 1, 10,
                "tries per request counting the first: 2 means one retry");
        static final ConfigOption<Double> BUDGET_RATIO = range("retries.budgetRatio", 0.2, 0.0, 1.0,
                "retries as a share of requests, at most");
        static final ConfigOption<Integer> MIN_RETRIES_PER_SECOND = range("retries.minRetriesPerSecond", 10, 0,
                100_000, "retries allowed whatever the ratio");
        static final Retries DEFAULTS = new Retries(null, null, null);

        public Retries {
            attempts = ATTEMPTS.of(attempts);
            budgetRatio = BUDGET_RATIO.of(budgetRatio);
            minRetriesPerSecond = MIN_RETRIES_PER_SECOND.of(minRetriesPerSecond);
        }
    }

    /** Passive health: eject after consecutive failures, for base × 2^(n-1) up to max; never below the panic threshold. */
    public record OutlierDetection(Integer consecutiveFailures, Duration baseEjection, Duration maxEjection,
                                   Integer panicThresholdPercent) {

        static final ConfigOption<Integer> CONSECUTIVE_FAILURES = range("outlierDetection.consecutiveFailures", 5, 1,
                1000, "failures in a row that eject an upstream");
        static final ConfigOption<Duration> BASE_EJECTION = positive("outlierDetection.baseEjection",
                Duration.ofSeconds(10), "the first ejection; each next one of the same upstream doubles");
        static final ConfigOption<Duration> MAX_EJECTION = positive("outlierDetection.maxEjection",
                Duration.ofMinutes(5), "the longest ejection");
        static final ConfigOption<Integer> PANIC_THRESHOLD_PERCENT = range("outlierDetection.panicThresholdPercent",
                50, 0, 100, "below this share of upstreams left, none is ejected");
        static final OutlierDetection DEFAULTS = new OutlierDetection(null, null, null, null);

        public OutlierDetection {
            consecutiveFailures = CONSECUTIVE_FAILURES.of(consecutiveFailures);
            baseEjection = BASE_EJECTION.of(baseEjection);
            maxEjection = MAX_EJECTION.of(maxEjection);
            panicThresholdPercent = PANIC_THRESHOLD_PERCENT.of(panicThresholdPercent);
        }
    }

    public record ConnectionPool(Integer maxIdlePerUpstream) {

        static final ConfigOption<Integer> MAX_IDLE_PER_UPSTREAM = range("connectionPool.maxIdlePerUpstream", 256, 0,
                100_000, "idle connections kept per upstream and event loop");
        static final ConnectionPool DEFAULTS = new ConnectionPool(null);

        public ConnectionPool {
            maxIdlePerUpstream = MAX_IDLE_PER_UPSTREAM.of(maxIdlePerUpstream);
        }
    }

    /**
     * Where requests wait when every upstream has upstream.concurrency requests in flight: one FIFO for the proxy.
     * A full queue, or a wait over the timeout, is answered 503 with Retry-After.
     */
    public record Queue(Integer maxLength, Duration timeout) {

        static final ConfigOption<Integer> MAX_LENGTH = range("queue.maxLength", 1000, 0, 1_000_000,
                "requests waiting while every upstream is at its concurrency; more get 503");
        static final ConfigOption<Duration> TIMEOUT = positive("queue.timeout", Duration.ofSeconds(30),
                "the longest wait in the queue; then 503");
        static final Queue DEFAULTS = new Queue(null, null);

        public Queue {
            maxLength = MAX_LENGTH.of(maxLength);
            timeout = TIMEOUT.of(timeout);
        }
    }

    /**
     * What the proxy holds so that a slow client does not hold a backend. The request default depends on the
     * protocol, so {@link ProxyConfig} settles it: {@code request} is null only in a Buffering not yet in a config.
     */
    public record Buffering(
            Boolean request,
            @JsonSerialize(using = ProxyConfigYaml.SizeSerializer.class)
            @JsonDeserialize(using = ProxyConfigYaml.LongSizeDeserializer.class)
            Long memory,
            @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = OwnTemporaryFolder.class)
            Path directory,
            @JsonSerialize(using = ProxyConfigYaml.SizeSerializer.class)
            @JsonDeserialize(using = ProxyConfigYaml.LongSizeDeserializer.class)
            Long response) {

        static final ConfigOption<Boolean> REQUEST = of("buffering.request", null,
                "read a request's whole body before it takes an upstream, as nginx's uwsgi_request_buffering;"
                        + " unset: on for protocol uwsgi, whose workers serve one request each, off for http");
        static final ConfigOption<Long> MEMORY = of("buffering.memory", 16L << 10,
                "bytes of a buffered body held in memory; past that, an unlinked temporary file");
        static final ConfigOption<Path> DIRECTORY = of("buffering.directory",
                Path.of(System.getProperty("java.io.tmpdir")), "where those files go (default: java.io.tmpdir)");
        static final ConfigOption<Long> RESPONSE = of("buffering.response", 0L,
                "bytes of a response taken in while the client reads slowly, so the backend is free once it has"
                        + " answered; 0 streams with backpressure");
        static final Buffering DEFAULTS = new Buffering(null, null, null, null);

        public Buffering {
            request = REQUEST.of(request);
            memory = MEMORY.of(memory);
            directory = DIRECTORY.of(directory);
            response = RESPONSE.of(response);
        }

        /** Sizes as plain numbers of bytes. */
        public Buffering(boolean request, long memory, Path directory, long response) {
            this(Boolean.valueOf(request), Long.valueOf(memory), directory, Long.valueOf(response));
        }

        /**
         * The default folder is the JVM's own, so a file written by another JVM (the operator's) leaves it out
         * and the proxy uses its own. Jackson leaves a value out when this equals it.
         */
        static final class OwnTemporaryFolder {
            @Override
            public boolean equals(Object value) {
                return DIRECTORY.defaultValue().equals(value);
            }

            @Override
            public int hashCode() {
                return DIRECTORY.defaultValue().hashCode();
            }
        }

        Buffering forProtocol(UpstreamConfig.BackendProtocolName protocol) {
            return request != null ? this
                    : new Buffering(Boolean.valueOf(protocol == UpstreamConfig.BackendProtocolName.UWSGI), memory, directory,
                            response);
        }
    }

    public record Shutdown(Duration delay, Duration drainTimeout) {

        static final ConfigOption<Duration> DELAY = nonNegative("shutdown.delay", Duration.ZERO,
                "between /readyz failing and the listener closing, so load balancers stop sending first");
        static final ConfigOption<Duration> DRAIN_TIMEOUT = nonNegative("shutdown.drainTimeout", Duration.ofSeconds(30),
                "then requests in flight get this long to finish");
        static final Shutdown DEFAULTS = new Shutdown(null, null);

        public Shutdown {
            delay = DELAY.of(delay);
            drainTimeout = DRAIN_TIMEOUT.of(drainTimeout);
        }
    }

    public record Readiness(Boolean requireUpstream) {

        static final ConfigOption<Boolean> REQUIRE_UPSTREAM = of("readiness.requireUpstream", false,
                "/readyz also fails while no upstream is ready, so a proxy with nowhere to send gets no traffic");
        static final Readiness DEFAULTS = new Readiness(null);

        public Readiness {
            requireUpstream = REQUIRE_UPSTREAM.of(requireUpstream);
        }
    }

    /**
     * Before {@code /readyz} first answers 200, the proxy sends requests through its own code to a stub backend of
     * its own on 127.0.0.1, so that the JIT has compiled the request path before clients arrive. Nothing of it
     * reaches the upstreams, the metrics or the access log.
     */
    public record Warmup(Integer requests, Duration timeout) {

        static final ConfigOption<Integer> REQUESTS = range("warmup.requests", 20_000, 0, 1_000_000,
                "requests the proxy sends through itself to an in-process stub before it reports ready"
                        + " (0 = no warm-up)");
        static final ConfigOption<Duration> TIMEOUT = positive("warmup.timeout", Duration.ofSeconds(10),
                "the longest the warm-up holds readiness back; then the proxy is ready with what it has done");
        static final Warmup DEFAULTS = new Warmup(null, null);

        public Warmup {
            requests = REQUESTS.of(requests);
            timeout = TIMEOUT.of(timeout);
        }
    }
}
