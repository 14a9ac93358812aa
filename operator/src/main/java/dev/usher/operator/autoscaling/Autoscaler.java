package dev.usher.operator.autoscaling;

import dev.usher.operator.autoscaling.Decision.Mode;
import dev.usher.operator.autoscaling.Decision.Outcome;
import dev.usher.operator.resource.AutoscalingStatus;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.status.EventRecorder;
import dev.usher.operator.status.Notice;
import io.fabric8.kubernetes.api.model.autoscaling.v1.Scale;
import io.fabric8.kubernetes.api.model.autoscaling.v1.ScaleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop: every {@link #PERIOD}, for each app with spec.autoscaling, one demand sample, one decision, and
 * when the replicas change, a write of the app's scale subresource (as a HorizontalPodAutoscaler writes
 * it, so the reconciler scales the Deployment and {@code kubectl get papp} shows it) and an Event. It runs
 * only on the leader ({@link #start} is called when this replica starts leading), on one thread of its own,
 * so that slow proxies never hold up a reconcile.
 */
public final class Autoscaler implements AutoCloseable {

    /** As Knative's autoscaler ticks: a 6 s panic window holds 3 samples. */
    public static final Duration PERIOD = Duration.ofSeconds(2);
    public static final String RESCALED = "SuccessfulRescale";

    private static final Logger LOG = LoggerFactory.getLogger(Autoscaler.class);

    private final Targets targets;
    private final DemandSource demand;
    private final KubernetesClient client;
    private final EventRecorder events;
    private final Clock clock;
    /** Touched by the loop's thread only. */
    private final Map<ResourceID, Tracked> tracked = new HashMap<>();
    private ScheduledExecutorService loop;

    /**
     * One app's decision, and the app's resourceVersion when the loop last wrote its scale, so that it does not
     * write the same again before its own write has reached the cache.
     */
    private static final class Tracked {
        Decision decision;
        String writtenOver;

        Tracked(Decision decision) {
            this.decision = decision;
        }
    }

    public Autoscaler(Targets targets, DemandSource demand, KubernetesClient client, EventRecorder events,
                      Clock clock) {
        this.targets = targets;
        this.demand = demand;
        this.client = client;
        this.events = events;
        this.clock = clock;
    }

    public synchronized void start() {
        if (loop != null) {
            return;
        }
        loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "usher-autoscaler");
            t.setDaemon(true);
            return t;
        });
        loop.scheduleWithFixedDelay(this::tickLogged, PERIOD.toMillis(), PERIOD.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("autoscaler started: every {} ms", PERIOD.toMillis());
    }

    @Override
    public synchronized void close() {
        if (loop != null) {
            loop.shutdownNow();
            loop = null;
        }
    }

    /** A failed round must not end the schedule: the next one starts from the caches again. */
    private void tickLogged() {
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.warn("autoscaler round failed: {}", e.toString(), e);
        }
    }

    /** One round over every autoscaled app: every app's proxies are asked at once, then each app decides. */
    void tick() {
        Instant now = clock.instant();
        Map<ResourceID, Round> rounds = new LinkedHashMap<>();
        for (ProxiedApp app : targets.autoscaled()) {
            Policy policy;
            try {
                policy = Policy.of(app.getSpec());
            } catch (IllegalArgumentException e) {
                continue; // the status says why (StatusCalculator)
            }
            if (!targets.horizontalPodAutoscalers(app).isEmpty()) {
                continue; // refused together: the status says so, and an HPA's writes are left alone
            }
            rounds.put(ResourceID.fromResource(app), new Round(app, policy, demand.demand(app, targets.proxies(app))));
        }
        rounds.forEach((id, round) -> {
            Tracked t = tracked.computeIfAbsent(id, k -> new Tracked(new Decision(round.policy())));
            if (!t.decision.policy().equals(round.policy())) {
                t.decision = new Decision(round.policy());
            }
            OptionalDouble sample;
            try {
                sample = round.demand().join();
            } catch (RuntimeException e) {
                LOG.debug("{}: no demand this round: {}", id, e.toString());
                sample = OptionalDouble.empty();
            }
            if (sample.isPresent()) {
                t.decision.record(now, sample.getAsDouble());
            }
            step(round.app(), t, now);
        });
        tracked.keySet().retainAll(rounds.keySet());
        targets.retain(rounds.keySet());
    }

    private record Round(ProxiedApp app, Policy policy, CompletableFuture<OptionalDouble> demand) {
    }

    private void step(ProxiedApp app, Tracked t, Instant now) {
        int current = app.getSpec().replicas();
        Outcome outcome = t.decision.decide(now, current);
        String version = app.getMetadata().getResourceVersion();
        boolean scaled = false;
        if (outcome.replicas() != current && !Objects.equals(version, t.writtenOver)) {
            scaled = scale(app, current, outcome, t.decision.policy());
            if (scaled) {
                t.writtenOver = version;
            }
        }
        String mode = outcome.mode() == Mode.PANIC ? "Panic" : "Stable";
        double demand = Math.round(outcome.demand() * 100) / 100.0;
        AutoscalingStatus last = targets.decision(app)
                .orElse(app.getStatus() == null ? null : app.getStatus().autoscaling());
        AutoscalingStatus next;
        if (scaled) {
            String at = now.truncatedTo(ChronoUnit.SECONDS).toString();
            next = new AutoscalingStatus(mode, outcome.replicas(), demand, at);
        } else if (last == null) {
            next = new AutoscalingStatus(mode, current, demand, null);
        } else if (!mode.equals(last.mode())) {
            next = new AutoscalingStatus(mode, last.desiredReplicas(), demand, last.lastScaleTime());
        } else {
            return; // nothing worth a status write: the demand alone changes every round
        }
        targets.publish(app, next);
    }

    /** Writes spec.replicas through the scale subresource, as an HPA does; false if the write failed. */
    private boolean scale(ProxiedApp app, int from, Outcome outcome, Policy policy) {
        String ns = app.getMetadata().getNamespace();
        String name = app.getMetadata().getName();
        Scale scale = new ScaleBuilder()
                .withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                .withNewSpec().withReplicas(outcome.replicas()).endSpec()
                .build();
        try {
            client.resources(ProxiedApp.class).inNamespace(ns).withName(name).scale(scale);
        } catch (KubernetesClientException e) {
            LOG.warn("{}/{}: could not scale to {}: {}", ns, name, outcome.replicas(), e.getMessage());
            return false;
        }
        String message = String.format(Locale.ROOT, "New size: %d (was %d); %s demand %.1f requests, %.1f"
                        + " per pod (concurrency %d x target %.2f)", outcome.replicas(), from,
                outcome.mode() == Mode.PANIC ? "panic" : "stable", outcome.demand(), policy.capacityPerPod(),
                policy.concurrency(), policy.targetUtilization());
        LOG.info("{}/{}: {}", ns, name, message);
        events.record(client, app, new Notice(Notice.NORMAL, RESCALED, message));
        return true;
    }
}
