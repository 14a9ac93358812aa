package dev.usher.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.operator.dependent.Labels.Component;
import dev.usher.operator.resource.AutoscalingStatus;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.resource.ProxiedAppStatus;
import dev.usher.operator.status.StatusCalculator.Observed;
import dev.usher.operator.testing.TestApps;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusCalculatorTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant T1 = Instant.parse("2026-01-01T00:05:00Z");
    private final ProxiedApp shop = TestApps.stored("prod", "shop", "image: a\nreplicas: 3");

    static Deployment deployment(String name, int ready, int wanted) {
        return new DeploymentBuilder()
                .withNewMetadata().withName(name).withGeneration(4L).endMetadata()
                .withNewStatus()
                    .withObservedGeneration(4L)
                    .withReplicas(wanted)
                    .withUpdatedReplicas(wanted)
                    .withReadyReplicas(ready)
                .endStatus()
                .build();
    }

    static EndpointSlice slice(String service, Boolean... ready) {
        var builder = new EndpointSliceBuilder()
                .withNewMetadata().withName(service + "-x").addToLabels("kubernetes.io/service-name", service).endMetadata()
                .withAddressType("IPv4");
        for (int i = 0; i < ready.length; i++) {
            builder.addNewEndpoint()
                    .withAddresses("10.0.0." + i)
                    .withNewTargetRef().withKind("Pod").withName("pod-" + i).endTargetRef()
                    .withNewConditions().withReady(ready[i]).endConditions()
                    .endEndpoint();
        }
        return builder.build();
    }

    private ProxiedAppStatus compute(Observed observed, Instant now) {
        return StatusCalculator.compute(shop, observed, now);
    }

    private static Condition condition(ProxiedAppStatus status, String type) {
        return status.conditions().stream().filter(c -> c.getType().equals(type)).findFirst().orElseThrow();
    }

    @Test
    void readyWhenBothDeploymentsAreReadyAndTheProxyHasUpstreams() {
        var status = compute(new Observed(deployment("shop", 3, 3), deployment("shop-proxy", 2, 2),
                List.of(slice("shop-backend", true, null, false)), List.of()), T0);
        assertThat(status.replicas()).isEqualTo(3);
        assertThat(status.readyReplicas()).isEqualTo(3);
        assertThat(status.proxy()).isEqualTo(new ProxiedAppStatus.ProxyStatus(2, 2));
        assertThat(status.upstreams()).as("unset ready counts as ready; false does not").isEqualTo(2);
        assertThat(status.selector()).isEqualTo("usher.dev/app=shop,usher.dev/component=backend");
        assertThat(status.url()).isEqualTo("http://shop.prod.svc:80");
        assertThat(status.observedGeneration()).isEqualTo(1L);
        assertThat(status.conditions()).extracting(Condition::getType, Condition::getStatus, Condition::getReason)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("BackendReady", "True", "ReplicasReady"),
                        org.assertj.core.groups.Tuple.tuple("ProxyReady", "True", "ReplicasReady"),
                        org.assertj.core.groups.Tuple.tuple("Ready", "True", "Serving"));
        assertThat(condition(status, "Ready").getMessage()).isEqualTo("serving at http://shop.prod.svc:80 through 2 upstreams");
    }

    @Test
    void countsEachPodOnceAndOnlyTheBackendServicesSlices() {
        var status = compute(new Observed(deployment("shop", 3, 3), deployment("shop-proxy", 2, 2), List.of(
                slice("shop-backend", true, true), slice("shop-backend", true), slice("shop", true, true, true)),
                List.of()), T0);
        assertThat(status.upstreams()).isEqualTo(2);
    }

    @Test
    void notReadyWhileReplicasAreMissing() {
        var status = compute(new Observed(deployment("shop", 1, 3), deployment("shop-proxy", 2, 2),
                List.of(slice("shop-backend", true)), List.of()), T0);
        assertThat(condition(status, "BackendReady").getReason()).isEqualTo("Progressing");
        assertThat(condition(status, "BackendReady").getMessage()).isEqualTo("1 of 3 replicas ready");
        assertThat(condition(status, "Ready").getStatus()).isEqualTo("False");
        assertThat(condition(status, "Ready").getMessage()).isEqualTo("backend: 1 of 3 replicas ready");
    }

    @Test
    void aDeploymentThatHasNotSeenItsSpecIsNotReady() {
        Deployment stale = deployment("shop", 3, 3);
        stale.getMetadata().setGeneration(5L);
        var status = compute(new Observed(stale, deployment("shop-proxy", 2, 2), List.of(), List.of()), T0);
        assertThat(condition(status, "BackendReady").getStatus()).isEqualTo("False");
    }

    @Test
    void noUpstreamsMeansNotReady() {
        var status = compute(new Observed(deployment("shop", 3, 3), deployment("shop-proxy", 2, 2), List.of(),
                List.of()), T0);
        assertThat(condition(status, "Ready").getReason()).isEqualTo("NoUpstreams");
    }

    @Test
    void aSliceWithoutEndpointsHasNoUpstreams() {
        EndpointSlice empty = slice("shop-backend");
        empty.setEndpoints(null); // what the EndpointSlice controller writes for a Service with no ready pod
        empty.setPorts(null);
        var status = compute(new Observed(deployment("shop", 3, 3), deployment("shop-proxy", 2, 2), List.of(empty),
                List.of()), T0);
        assertThat(status.upstreams()).isZero();
        assertThat(condition(status, "Ready").getReason()).isEqualTo("NoUpstreams");
    }

    @Test
    void aDeploymentPastItsDeadlineIsAFailure() {
        Deployment stuck = new DeploymentBuilder(deployment("shop", 0, 3))
                .editStatus().addNewCondition().withType("Progressing").withStatus("False")
                .withReason("ProgressDeadlineExceeded").withMessage("ReplicaSet \"shop-1\" has timed out progressing.")
                .endCondition().endStatus().build();
        var status = compute(new Observed(stuck, deployment("shop-proxy", 2, 2), List.of(), List.of()), T0);
        assertThat(condition(status, "BackendReady").getReason()).isEqualTo("ProgressDeadlineExceeded");
        assertThat(condition(status, "BackendReady").getMessage()).isEqualTo("shop: ReplicaSet \"shop-1\" has timed out progressing.");
        assertThat(condition(status, "Ready").getReason()).isEqualTo("ProgressDeadlineExceeded");
    }

    @Test
    void failuresShowOnTheirComponent() {
        var failure = new Failure(Component.PROXY, "NameInUse", "ConfigMap shop-proxy already exists", false);
        var status = compute(new Observed(deployment("shop", 3, 3), null, List.of(), List.of(failure)), T0);
        assertThat(condition(status, "BackendReady").getStatus()).isEqualTo("True");
        assertThat(condition(status, "ProxyReady").getReason()).isEqualTo("NameInUse");
        assertThat(condition(status, "Ready").getMessage()).isEqualTo("proxy: ConfigMap shop-proxy already exists");
    }

    @Test
    void scaledToZeroIsNotReady() {
        var app = TestApps.stored("prod", "idle", "image: a\nreplicas: 0");
        var status = StatusCalculator.compute(app, new Observed(deployment("idle", 0, 0),
                deployment("idle-proxy", 2, 2), List.of(), List.of()), T0);
        assertThat(condition(status, "BackendReady").getReason()).isEqualTo("ScaledToZero");
    }

    @Test
    void transitionTimeChangesOnlyWithTheStatus() {
        var first = compute(new Observed(deployment("shop", 1, 3), null, List.of(), List.of()), T0);
        shop.setStatus(first);
        var second = compute(new Observed(deployment("shop", 2, 3), null, List.of(), List.of()), T1);
        assertThat(condition(second, "BackendReady").getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
        var third = compute(new Observed(deployment("shop", 3, 3), null, List.of(), List.of()), T1);
        assertThat(condition(third, "BackendReady").getLastTransitionTime()).isEqualTo("2026-01-01T00:05:00Z");
        shop.setStatus(third);
        assertThat(compute(new Observed(deployment("shop", 3, 3), null, List.of(), List.of()), T1.plusSeconds(60)))
                .as("nothing changed, so the status is equal and not written").isEqualTo(third);
    }

    @Test
    void autoscalingConditionTellsTheModeAConflictWithAnHpaAndAnInvalidSetting() {
        ProxiedApp app = TestApps.stored("prod", "shop", "image: a\nreplicas: 3\nconcurrency: 2\n"
                + "autoscaling: {maxReplicas: 5}");
        Deployment backend = deployment("shop", 3, 3);
        Deployment proxy = deployment("shop-proxy", 2, 2);
        var panic = new AutoscalingStatus("Panic", 3, 7.5, "2026-01-01T00:00:00Z");
        var status = StatusCalculator.compute(app, new Observed(backend, proxy, List.of(), List.of(), List.of(), panic), T0);
        assertThat(condition(status, "Autoscaling")).extracting(Condition::getStatus, Condition::getReason)
                .containsExactly("True", "Panic");
        assertThat(status.autoscaling()).isEqualTo(panic);

        status = StatusCalculator.compute(app, new Observed(backend, proxy, List.of(), List.of(), List.of("cpu"), null), T0);
        assertThat(condition(status, "Autoscaling")).extracting(Condition::getStatus, Condition::getReason)
                .containsExactly("False", "AutoscalingConflict");
        assertThat(condition(status, "Autoscaling").getMessage()).contains("HorizontalPodAutoscaler cpu");
        assertThat(Notice.between(List.of(), status.conditions())).extracting(Notice::reason)
                .contains("AutoscalingConflict");

        ProxiedApp noConcurrency = TestApps.stored("prod", "shop", "image: a\nautoscaling: {maxReplicas: 5}");
        status = StatusCalculator.compute(noConcurrency, new Observed(backend, proxy, List.of(), List.of()), T0);
        assertThat(condition(status, "Autoscaling")).extracting(Condition::getStatus, Condition::getReason)
                .containsExactly("False", "InvalidAutoscaling");
        // Ready is about serving, which goes on at the current replicas.
        assertThat(condition(status, "Ready").getStatus()).isEqualTo("False");
        assertThat(condition(status, "Ready").getReason()).isEqualTo("NoUpstreams");
    }

    @Test
    void theAutoscalersLastStatusStandsUntilItDecidesAgainAndGoesWithSpecAutoscaling() {
        ProxiedApp app = TestApps.stored("prod", "shop", "image: a\nconcurrency: 2\nautoscaling: {maxReplicas: 5}");
        var written = new AutoscalingStatus("Stable", 2, 1.5, "2026-01-01T00:00:00Z");
        app.setStatus(new ProxiedAppStatus(null, null, null, null, null, null, 1L, written, List.of()));
        var status = StatusCalculator.compute(app, new Observed(null, null, List.of(), List.of()), T0);
        assertThat(status.autoscaling()).isEqualTo(written);
        assertThat(status.conditions()).extracting(Condition::getType).contains("Autoscaling");

        shop.setStatus(app.getStatus());
        status = compute(new Observed(null, null, List.of(), List.of()), T0);
        assertThat(status.autoscaling()).isNull();
        assertThat(status.conditions()).extracting(Condition::getType).doesNotContain("Autoscaling");
    }
}
