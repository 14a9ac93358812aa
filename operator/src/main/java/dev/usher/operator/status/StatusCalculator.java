package dev.usher.operator.status;

import dev.usher.operator.autoscaling.Policy;
import dev.usher.operator.dependent.Labels;
import dev.usher.operator.dependent.Labels.Component;
import dev.usher.operator.dependent.Names;
import dev.usher.operator.resource.AutoscalingStatus;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.resource.ProxiedAppStatus;
import dev.usher.operator.resource.ProxiedAppStatus.ProxyStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The status of a ProxiedApp, from what the informers hold. A pure function, so that it is unit-tested alone. */
public final class StatusCalculator {

    public static final String BACKEND_READY = "BackendReady";
    public static final String PROXY_READY = "ProxyReady";
    public static final String READY = "Ready";
    public static final String AUTOSCALING = "Autoscaling";
    public static final String AUTOSCALING_CONFLICT = "AutoscalingConflict";
    public static final String INVALID_AUTOSCALING = "InvalidAutoscaling";

    /**
     * What is known about an app: the owned Deployments (null if absent), its EndpointSlices, its failures,
     * the HorizontalPodAutoscalers that target it, and the autoscaler's last decision (null if none).
     */
    public record Observed(Deployment backend, Deployment proxy, Collection<EndpointSlice> slices,
                           List<Failure> failures, List<String> horizontalPodAutoscalers,
                           AutoscalingStatus autoscaling) {

        public Observed(Deployment backend, Deployment proxy, Collection<EndpointSlice> slices,
                        List<Failure> failures) {
            this(backend, proxy, slices, failures, List.of(), null);
        }
    }

    private record Verdict(boolean ready, String reason, String message) {
    }

    private StatusCalculator() {
    }

    public static ProxiedAppStatus compute(ProxiedApp app, Observed observed, Instant now) {
        int wanted = app.getSpec().replicas();
        int upstreams = upstreams(app, observed.slices());
        Verdict backend = failure(observed, Component.BACKEND)
                .orElseGet(() -> wanted == 0
                        ? new Verdict(false, "ScaledToZero", "spec.replicas is 0")
                        : deployment(observed.backend(), wanted));
        Verdict proxy = failure(observed, Component.PROXY)
                .orElseGet(() -> deployment(observed.proxy(), app.getSpec().proxy().replicas()));
        String url = url(app);
        Verdict ready;
        if (!backend.ready()) {
            ready = new Verdict(false, backend.reason(), "backend: " + backend.message());
        } else if (!proxy.ready()) {
            ready = new Verdict(false, proxy.reason(), "proxy: " + proxy.message());
        } else if (upstreams == 0) {
            ready = new Verdict(false, "NoUpstreams",
                    "no ready endpoint in the EndpointSlices of " + Names.backendService(app) + " yet");
        } else {
            ready = new Verdict(true, "Serving", "serving at " + url + " through " + upstreams
                    + (upstreams == 1 ? " upstream" : " upstreams"));
        }
        long generation = Optional.ofNullable(app.getMetadata().getGeneration()).orElse(0L);
        List<Condition> previous = app.getStatus() == null ? List.of() : app.getStatus().conditions();
        DeploymentStatus backendStatus = status(observed.backend());
        DeploymentStatus proxyStatus = status(observed.proxy());
        List<Condition> conditions = new ArrayList<>(List.of(
                condition(BACKEND_READY, backend, previous, generation, now),
                condition(PROXY_READY, proxy, previous, generation, now),
                condition(READY, ready, previous, generation, now)));
        AutoscalingStatus autoscaling = null;
        if (app.getSpec().autoscaling() != null) {
            conditions.add(condition(AUTOSCALING, autoscaling(app, observed), previous, generation, now));
            // Until the autoscaler has decided (just after a start), what it last wrote stands.
            autoscaling = observed.autoscaling() != null ? observed.autoscaling()
                    : app.getStatus() == null ? null : app.getStatus().autoscaling();
        }
        return new ProxiedAppStatus(
                count(backendStatus.getReplicas()),
                count(backendStatus.getReadyReplicas()),
                Labels.selectorText(app, Component.BACKEND),
                new ProxyStatus(count(proxyStatus.getReplicas()), count(proxyStatus.getReadyReplicas())),
                upstreams,
                url,
                generation,
                autoscaling,
                conditions);
    }

    /**
     * Whether the autoscaler runs, and in which mode. An HPA on the same app would fight it over
     * spec.replicas, each undoing the other's writes, so the operator stands back while both exist.
     */
    private static Verdict autoscaling(ProxiedApp app, Observed observed) {
        Optional<String> problem = Policy.problem(app.getSpec());
        if (problem.isPresent()) {
            return new Verdict(false, INVALID_AUTOSCALING, problem.get());
        }
        if (!observed.horizontalPodAutoscalers().isEmpty()) {
            return new Verdict(false, AUTOSCALING_CONFLICT, "HorizontalPodAutoscaler "
                    + String.join(", ", observed.horizontalPodAutoscalers()) + " also scales this ProxiedApp:"
                    + " the operator does not scale it while both are set; delete the HPA or remove"
                    + " spec.autoscaling");
        }
        var a = app.getSpec().autoscaling();
        String range = " between " + a.minReplicas() + " and " + a.maxReplicas() + " replicas, "
                + app.getSpec().concurrency() + " x " + a.targetUtilization() + " requests per pod";
        if (observed.autoscaling() != null && "Panic".equals(observed.autoscaling().mode())) {
            return new Verdict(true, "Panic", "demand passed twice the capacity: scaling on the panic window ("
                    + a.panicWindow() + ") and not down," + range);
        }
        return new Verdict(true, "Stable", "scaling on the stable window (" + a.stableWindow() + ")," + range);
    }

    /** The status of an app that the operator refuses to reconcile, e.g. for a name it cannot use. */
    public static ProxiedAppStatus rejected(ProxiedApp app, String reason, String message, Instant now) {
        long generation = Optional.ofNullable(app.getMetadata().getGeneration()).orElse(0L);
        List<Condition> previous = app.getStatus() == null ? List.of() : app.getStatus().conditions();
        Verdict verdict = new Verdict(false, reason, message);
        return new ProxiedAppStatus(null, null, null, null, null, null, generation, null, List.of(
                condition(BACKEND_READY, verdict, previous, generation, now),
                condition(PROXY_READY, verdict, previous, generation, now),
                condition(READY, verdict, previous, generation, now)));
    }

    public static String url(ProxiedApp app) {
        return "http://" + Names.proxyService(app) + "." + app.getMetadata().getNamespace() + ".svc:"
                + app.getSpec().proxy().port();
    }

    private static Optional<Verdict> failure(Observed observed, Component component) {
        return observed.failures().stream()
                .filter(f -> f.component() == component)
                .findFirst()
                .map(f -> new Verdict(false, f.reason(), f.message()));
    }

    private static Verdict deployment(Deployment deployment, int wanted) {
        if (deployment == null) {
            return new Verdict(false, "Creating", "the Deployment does not exist yet");
        }
        DeploymentStatus status = status(deployment);
        for (DeploymentCondition c : Optional.ofNullable(status.getConditions()).orElse(List.of())) {
            if ("Progressing".equals(c.getType()) && "False".equals(c.getStatus())
                    && "ProgressDeadlineExceeded".equals(c.getReason())) {
                return new Verdict(false, "ProgressDeadlineExceeded", deployment.getMetadata().getName() + ": "
                        + c.getMessage());
            }
            if ("ReplicaFailure".equals(c.getType()) && "True".equals(c.getStatus())) {
                return new Verdict(false, "ReplicaFailure", deployment.getMetadata().getName() + ": "
                        + c.getMessage());
            }
        }
        int ready = count(status.getReadyReplicas());
        int updated = count(status.getUpdatedReplicas());
        boolean seen = Objects.equals(status.getObservedGeneration(), deployment.getMetadata().getGeneration());
        String message = ready + " of " + wanted + (wanted == 1 ? " replica" : " replicas") + " ready";
        if (seen && ready >= wanted && updated >= wanted) {
            return new Verdict(true, "ReplicasReady", message);
        }
        return new Verdict(false, "Progressing", message);
    }

    /**
     * Ready endpoints of the backend Service, each pod once: a dual-stack Service lists a pod in one
     * EndpointSlice per address family. An endpoint whose ready condition is unset counts as ready, as
     * the EndpointSlice API defines.
     */
    private static int upstreams(ProxiedApp app, Collection<EndpointSlice> slices) {
        String service = Names.backendService(app);
        return slices.stream()
                .filter(s -> s.getMetadata().getLabels() != null
                        && service.equals(s.getMetadata().getLabels().get(Labels.SERVICE_NAME)))
                // The EndpointSlice controller writes "endpoints: null" for a Service with no ready pod.
                .flatMap(s -> s.getEndpoints() == null ? Stream.<Endpoint>empty() : s.getEndpoints().stream())
                .filter(e -> e.getConditions() == null || !Boolean.FALSE.equals(e.getConditions().getReady()))
                .map(StatusCalculator::identity)
                .collect(Collectors.toSet())
                .size();
    }

    private static String identity(Endpoint e) {
        if (e.getTargetRef() != null && e.getTargetRef().getName() != null) {
            return e.getTargetRef().getName();
        }
        return e.getAddresses() == null ? "" : String.join(",", e.getAddresses());
    }

    private static Condition condition(String type, Verdict verdict, List<Condition> previous, long generation,
                                       Instant now) {
        String status = verdict.ready() ? "True" : "False";
        String since = previous.stream()
                .filter(c -> type.equals(c.getType()) && status.equals(c.getStatus()))
                .map(Condition::getLastTransitionTime)
                .filter(Objects::nonNull)
                .findFirst()
                .orElse(now.truncatedTo(ChronoUnit.SECONDS).toString());
        return new ConditionBuilder()
                .withType(type)
                .withStatus(status)
                .withReason(verdict.reason())
                .withMessage(verdict.message())
                .withObservedGeneration(generation)
                .withLastTransitionTime(since)
                .build();
    }

    private static DeploymentStatus status(Deployment deployment) {
        return deployment == null || deployment.getStatus() == null ? new DeploymentStatus() : deployment.getStatus();
    }

    private static int count(Integer n) {
        return n == null ? 0 : n;
    }
}
