package dev.usher.proxy.discovery;

import dev.usher.proxy.config.UpstreamConfig;
import dev.usher.proxy.endpoints.UpstreamPool;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool follows the EndpointSlices of one Service, through a fabric8 informer: list, then watch, in one
 * namespace with the label selector {@code kubernetes.io/service-name=<service>}, nothing cluster-wide.
 *
 * <p>RBAC: the proxy's service account needs {@code get}, {@code list} and {@code watch} on
 * {@code endpointslices} (API group {@code discovery.k8s.io}) in that namespace: a Role and a RoleBinding.
 * Without them start-up stops with a message that says so.
 *
 * <p>When the watch fails (closed, 410 Gone, API server unreachable) the informer relists and re-watches with
 * exponential backoff while the pool keeps its last state; each change of connection state is logged once.
 */
public final class KubernetesSource implements UpstreamSource {
    public static final String SERVICE_LABEL = "kubernetes.io/service-name";

    private static final Logger log = LoggerFactory.getLogger(KubernetesSource.class);
    /** Long enough for the first list to answer, so a forbidden service account stops start-up; not longer. */
    private static final Duration FIRST_LIST_WAIT = Duration.ofSeconds(5);
    /** First retry delay; fabric8 doubles it per failure up to 32 times this (8 s). */
    private static final int RECONNECT_INTERVAL_MILLIS = 250;
    private static final long WATCH_CHECK_MILLIS = 200;

    private final UpstreamConfig.Kubernetes target;
    private final KubernetesClient client;
    private final SliceMerger merger;
    /** The first list's outcome: null on success, else the error. */
    private final CompletableFuture<Throwable> firstAttempt = new CompletableFuture<>();
    private final ScheduledExecutorService watchCheck = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "usher-discovery-watch-check");
        t.setDaemon(true);
        return t;
    });
    private SharedIndexInformer<EndpointSlice> informer;
    private UpstreamPool pool;
    /** The last merge the pool was made to match; guarded by {@code this}. */
    private SliceMerger.Merged applied;
    private volatile boolean synced;
    private volatile Instant lastSync;
    private volatile Map<InetSocketAddress, EndpointCondition> conditions = Map.of();
    private volatile Throwable lastError;
    /** Only the watch-check thread reads and writes this. */
    private boolean watching;

    public KubernetesSource(UpstreamConfig.Kubernetes target) {
        this.target = target;
        this.client = client(target);
        this.merger = new SliceMerger(new ServicePort(target.port()));
    }

    private static KubernetesClient client(UpstreamConfig.Kubernetes target) {
        Config base;
        try {
            base = target.kubeconfig() != null ? Config.fromKubeconfig(target.kubeconfig().toFile()) : Config.autoConfigure(null);
        } catch (RuntimeException e) {
            throw new DiscoveryException("cannot load the Kubernetes client configuration"
                    + (target.kubeconfig() != null ? " from " + target.kubeconfig() : "") + ": " + e.getMessage(), e);
        }
        // One retry loop, the informer's (relist, re-watch, exponential backoff). fabric8's own per-request retries
        // would only delay the first list's outcome, and with it a clear start-up failure.
        Config config = new ConfigBuilder(base)
                .withWatchReconnectInterval(RECONNECT_INTERVAL_MILLIS)
                .withRequestRetryBackoffLimit(0)
                .build();
        // The JDK HttpClient, not fabric8's default Vert.x client: that one brings Netty 4.1, the proxy runs 4.2.
        return new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory()).build();
    }

    @Override
    public String name() {
        return "kubernetes";
    }

    @Override
    public void start(UpstreamPool pool) {
        this.pool = pool;
        log.info("kubernetes discovery: EndpointSlices of service {}/{} (port {}) from {}", target.namespace(),
                target.service(), target.port() == null ? "its only one" : target.port(), client.getMasterUrl());
        informer = client.discovery().v1().endpointSlices()
                .inNamespace(target.namespace())
                .withLabel(SERVICE_LABEL, target.service())
                .runnableInformer(0);
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(EndpointSlice slice) {
                apply();
            }

            @Override
            public void onUpdate(EndpointSlice before, EndpointSlice after) {
                apply();
            }

            @Override
            public void onDelete(EndpointSlice slice, boolean finalStateUnknown) {
                apply();
            }
        });
        informer.exceptionHandler((started, error) -> retryAfter(error));
        informer.start().whenComplete((ok, error) -> {
            if (error == null) {
                apply();
                firstAttempt.complete(null);
            }
        });
        awaitFirstList();
        watchCheck.scheduleWithFixedDelay(this::checkWatch, WATCH_CHECK_MILLIS, WATCH_CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Stops start-up only when the API server refuses the proxy; down or slow, the proxy starts not ready. */
    private void awaitFirstList() {
        Throwable first;
        try {
            first = firstAttempt.get(FIRST_LIST_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("kubernetes discovery: no list from the API server within {} s; not ready until it answers",
                    FIRST_LIST_WAIT.toSeconds());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new DiscoveryException("interrupted while listing EndpointSlices", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
        if (first == null) {
            return;
        }
        if (refusal(first) != null) {
            close();
            throw new DiscoveryException(refusalMessage(refusal(first)), first);
        }
        log.warn("kubernetes discovery: cannot list EndpointSlices yet ({}); not ready, retrying with backoff",
                describe(first));
    }

    /** fabric8 asks this on every failed list or watch: retry always, except when refused at start-up. */
    private boolean retryAfter(Throwable error) {
        lastError = error;
        if (!firstAttempt.isDone()) {
            firstAttempt.complete(error);
            return refusal(error) == null;
        }
        return true;
    }

    /**
     * Makes the pool match the informer's store. Called for every event and once the first list is complete;
     * synchronized so that a later store state is never overtaken by an earlier one.
     */
    private synchronized void apply() {
        // Until the first list is complete the store may hold part of it; a partial first pool would make the
        // rest of the endpoints look new, and slow-start them.
        if (!informer.hasSynced()) {
            return;
        }
        SliceMerger.Merged merged = merger.merge(informer.getStore().list());
        lastSync = Instant.now();
        if (applied == null || !merged.problems().equals(applied.problems())) {
            merged.problems().forEach(p -> log.warn("kubernetes discovery: EndpointSlice {}: skipped", p));
        }
        if (applied == null || !merged.endpoints().equals(applied.endpoints())) {
            pool.update(merged.poolEndpoints());
            conditions = Map.copyOf(merged.endpoints());
        }
        applied = merged;
        if (!synced) {
            synced = true;
            log.info("kubernetes discovery: first list applied, {} endpoints", merged.endpoints().size());
        }
    }

    /** Logs each change of the watch's state once; fabric8 retries on its own and reports nothing per attempt. */
    private void checkWatch() {
        boolean now = informer.isWatching();
        if (now == watching) {
            return;
        }
        watching = now;
        if (now) {
            log.info("kubernetes discovery: watching EndpointSlices of {}/{}", target.namespace(), target.service());
        } else {
            Throwable error = lastError;
            log.warn("kubernetes discovery: watch lost{}; serving the last pool ({} ready) while relisting with backoff",
                    error == null ? "" : " (" + describe(error) + ")", pool.snapshot().ready().size());
        }
    }

    @Override
    public SourceStatus status() {
        return new SourceStatus(synced, informer != null && informer.isWatching(), lastSync, conditions);
    }

    @Override
    public void close() {
        watchCheck.shutdownNow();
        if (informer != null) {
            informer.close();
        }
        client.close();
    }

    /** The API server's 401 or 403 in {@code error}'s causes, else null. */
    private static KubernetesClientException refusal(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof KubernetesClientException k && (k.getCode() == 401 || k.getCode() == 403)) {
                return k;
            }
        }
        return null;
    }

    private String refusalMessage(KubernetesClientException e) {
        if (e.getCode() == 401) {
            return "the Kubernetes API server did not accept the proxy's credentials (HTTP 401): check the service "
                    + "account token, or --kubeconfig";
        }
        return "forbidden (HTTP 403): the proxy may not list and watch EndpointSlices in namespace " + target.namespace()
                + ". Its service account needs a Role in that namespace granting get, list and watch on endpointslices"
                + " (apiGroups: discovery.k8s.io), bound by a RoleBinding. The API server said: " + e.getMessage();
    }

    private static String describe(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == error ? error.toString() : error.getMessage() + ": " + root;
    }
}
