package dev.usher.operator;

import dev.usher.operator.admin.AdminServer;
import dev.usher.operator.admin.AdminServer.Probe;
import dev.usher.operator.autoscaling.Autoscaler;
import dev.usher.operator.autoscaling.DemandSource;
import dev.usher.operator.autoscaling.ProxyAdminProbe;
import dev.usher.operator.autoscaling.Targets;
import dev.usher.operator.config.OperatorConfig;
import dev.usher.operator.status.EventRecorder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The operator process without its command line: JOSDK, the reconciler, probes and metrics. */
public final class UsherOperator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UsherOperator.class);

    private final OperatorConfig config;
    private final KubernetesClient client;
    private final Operator operator;
    private final AdminServer admin;
    private final Autoscaler autoscaler;
    private final JvmGcMetrics gcMetrics = new JvmGcMetrics();
    private volatile boolean stopping;

    /**
     * @param onLostLeadership what to do when another replica took the Lease while this one was
     *                         leading: it must stop reconciling at once (the process exits, in Main)
     */
    public UsherOperator(OperatorConfig config, KubernetesClient client, Runnable onLostLeadership) {
        this(config, client, onLostLeadership, new ProxyAdminProbe());
    }

    /** @param demand where the autoscaler reads demand: the proxies' admin ports, or a stand-in in tests */
    public UsherOperator(OperatorConfig config, KubernetesClient client, Runnable onLostLeadership,
                         DemandSource demand) {
        this.config = config;
        this.client = client;
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        Targets targets = new Targets();
        autoscaler = new Autoscaler(targets, demand, client, new EventRecorder(config.identity()),
                Clock.systemUTC());
        operator = new Operator(o -> {
            o.withKubernetesClient(client)
                    .withCloseClientOnStop(false)
                    .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(registry))
                    // On by default, as JOSDK intends; off is an escape hatch (see docs/operator.md, "Server-side apply").
                    .withSSABasedCreateUpdateMatchForDependentResources(config.serverSideApply())
                    .withUseSSAToPatchPrimaryResource(config.serverSideApply())
                    .withReconciliationTerminationTimeout(Duration.ofSeconds(10));
            if (config.leaderElection()) {
                var leaderElection = LeaderElectionConfigurationBuilder
                        .aLeaderElectionConfiguration(OperatorConfig.LEASE_NAME)
                        .withIdentity(config.identity())
                        // JOSDK's own exit would also fire on a deliberate shutdown.
                        .withExitOnStopLeading(false)
                        .withLeaderCallbacks(new LeaderCallbacks(
                                () -> {
                                    LOG.info("leading as {}", config.identity());
                                    // Only the leader scales, as only it reconciles.
                                    autoscaler.start();
                                },
                                () -> {
                                    if (!stopping) {
                                        LOG.error("lost the Lease {}: stopping", OperatorConfig.LEASE_NAME);
                                        onLostLeadership.run();
                                    }
                                },
                                leader -> LOG.info("leader is {}", leader)));
                config.leaseNamespace().ifPresent(leaderElection::withLeaseNamespace);
                o.withLeaderElectionConfiguration(leaderElection.build());
            }
        });
        operator.register(new ProxiedAppReconciler(config, targets), c -> {
            if (config.namespaces().isEmpty()) {
                c.watchingAllNamespaces();
            } else {
                c.settingNamespaces(config.namespaces());
            }
            c.withReconciliationMaxInterval(config.resync());
        });
        admin = new AdminServer(config.http(), this::health, this::readiness, registry);
    }

    public void start() {
        admin.start();
        operator.start();
        if (!config.leaderElection()) {
            autoscaler.start();
        }
        LOG.info("started; probes and metrics on port {}", admin.port());
    }

    /** The port of /healthz, /readyz and /metrics (useful when configured as 0). */
    public int adminPort() {
        return admin.port();
    }

    private Probe health() {
        if (!operator.getRuntimeInfo().isStarted() || operator.getRuntimeInfo().allEventSourcesAreHealthy()) {
            return new Probe(true, "ok");
        }
        return new Probe(false, "unhealthy informers: " + operator.getRuntimeInfo().unhealthyEventSources());
    }

    private Probe readiness() {
        if (stopping || !operator.getRuntimeInfo().isStarted()) {
            return new Probe(false, stopping ? "stopping" : "starting");
        }
        return new Probe(true, "ok");
    }

    /** Finishes the reconciles in flight (for up to 10 s), hands the Lease over, then stops serving. */
    @Override
    public void close() {
        stopping = true;
        autoscaler.close();
        operator.stop();
        if (config.leaderElection()) {
            releaseLease();
        }
        admin.close();
        gcMetrics.close();
        LOG.info("stopped");
    }

    /**
     * JOSDK 5.2 never asks fabric8 to release the Lease when leading stops, so the next replica would
     * wait for it to expire (15 s). fabric8's own release does what client-go's ReleaseOnCancel does:
     * if this replica still holds the Lease, it clears the holder and cuts the duration to 1 s.
     */
    private void releaseLease() {
        String namespace = config.leaseNamespace().orElseGet(client::getNamespace);
        var lease = new LeaderElectionConfigBuilder()
                .withName(OperatorConfig.LEASE_NAME)
                .withLock(new LeaseLock(namespace, OperatorConfig.LEASE_NAME, config.identity()))
                // JOSDK's defaults; the elector is built only to release, these are never waited for.
                .withLeaseDuration(Duration.ofSeconds(15))
                .withRenewDeadline(Duration.ofSeconds(10))
                .withRetryPeriod(Duration.ofSeconds(2))
                .withLeaderCallbacks(new LeaderCallbacks(() -> { }, () -> { }, leader -> { }))
                .build();
        try {
            if (client.leaderElector().withConfig(lease).build().release()) {
                LOG.info("released the Lease {}", OperatorConfig.LEASE_NAME);
            }
        } catch (KubernetesClientException e) {
            LOG.warn("could not release the Lease {}: {}", OperatorConfig.LEASE_NAME, e.getMessage());
        }
    }
}
