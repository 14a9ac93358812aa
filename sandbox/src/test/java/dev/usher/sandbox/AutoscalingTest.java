package dev.usher.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's autoscaler on the sandbox's real cluster: Flask on uWSGI (2 workers a pod, so
 * concurrency 2) autoscaling from 1 to 5 pods. Clients that each wait for a 200 ms page keep 6 requests
 * in flight or queued, which at a target of 0.75 (1.5 requests a pod) needs 4 pods; sleeping workers
 * keep the CPU out of it on 2 cores. The operator reads the proxies' load from their admin ports at the
 * pod IPs, inside the sandbox's network namespace, and writes the ProxiedApp's scale subresource. Short
 * windows (stable 20 s, panic 6 s, scale-down delay 10 s) keep the test within a few minutes.
 */
class AutoscalingTest {

    private static final String NS = "default";
    private static final String APP = "flask-auto";
    private static final Duration PANIC_WINDOW = Duration.ofSeconds(6);
    /** Two rounds of the autoscaler (2 s each) for the samples to reach the panic threshold, and one to write. */
    private static final Duration SCALE_UP_BOUND = PANIC_WINDOW.plusSeconds(6);

    @TempDir
    static Path work;
    static Sandbox sandbox;
    static KubernetesClient client;

    @BeforeAll
    static void up() throws Exception {
        sandbox = Sandbox.up(new Sandbox.Settings(work.resolve("sandbox"), Sandbox.root(), List.of()));
        client = sandbox.client();
    }

    @AfterAll
    static void down() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    void scalesOneToFourInPanicUnderLoadAndBackToOneWithoutAFailedRequest() throws Exception {
        Path manifest = Files.writeString(work.resolve("flask-auto.yaml"), """
                apiVersion: usher.dev/v1alpha1
                kind: ProxiedApp
                metadata: {name: %s, namespace: %s}
                spec:
                  image: usher-examples/flask-uwsgi:1.0
                  protocol: uwsgi
                  port: 8000
                  concurrency: 2
                  replicas: 1
                  autoscaling: {minReplicas: 1, maxReplicas: 5, targetUtilization: 0.75, stableWindow: 20s,
                                panicWindow: 6s, scaleDownDelay: 10s}
                """.formatted(APP, NS));
        sandbox.kubectl("apply", "-f", manifest.toString());
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                .until(() -> upstreams() == 1 && sandbox.port(NS, APP, 80).isPresent());
        int port = sandbox.port(NS, APP, 80).getAsInt();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> Http.get(port, "/").status() == 200);
        // Idle for a whole panic window first, so that the window holds no-load samples when the load begins,
        // as it would for an app that has been running.
        await().during(PANIC_WINDOW).atMost(PANIC_WINDOW.plusSeconds(2)).until(() -> app().getSpec().replicas() == 1);

        long started;
        int served;
        Duration toReplicas;
        Duration toReady;
        try (Load heavy = new Load(port, "/sleep?ms=200", 6, 20_000, 150)) {
            started = System.nanoTime();
            await().atMost(SCALE_UP_BOUND).pollInterval(Duration.ofMillis(100))
                    .until(() -> app().getSpec().replicas() >= 4);
            toReplicas = since(started);
            assertThat(app().getSpec().replicas()).as("6 requests at 1.5 a pod").isEqualTo(4);
            assertThat(sandbox.kubectl("get", "papp", APP)).containsPattern(APP + "\\s+\\S+\\s+4\\s");
            await().atMost(Duration.ofSeconds(5)).until(() -> "Panic".equals(app().getStatus().autoscaling().mode()));
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() -> upstreams() == 4);
            toReady = since(started);
            // Held at 4 while the load lasts: not up to 5, not down.
            await().during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(12))
                    .until(() -> app().getSpec().replicas() == 4);
            heavy.stop();
            assertThat(heavy.failures()).isEmpty();
            assertThat(heavy.ok()).isGreaterThan(100);
            served = heavy.ok();
        }
        assertThat(events("SuccessfulRescale")).anySatisfy(e -> assertThat(e.getMessage())
                .startsWith("New size: ").contains("panic demand"));

        // One client goes on through the scale-down: one pod's worth, so the pods drain under traffic.
        long stopped = System.nanoTime();
        Duration toOne;
        try (Load light = new Load(port, "/sleep?ms=200", 1, 5_000, 150)) {
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                    .until(() -> app().getSpec().replicas() == 1);
            toOne = since(stopped);
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() -> upstreams() == 1
                    && client.pods().inNamespace(NS).withLabel("usher.dev/app", APP)
                            .withLabel("usher.dev/component", "backend").list().getItems().size() == 1);
            int before = light.ok();
            await().atMost(Duration.ofSeconds(10)).until(() -> light.ok() > before + 10);
            light.stop();
            assertThat(light.failures()).isEmpty();
            served += light.ok();
        }
        assertThat(app().getStatus().autoscaling().mode()).isEqualTo("Stable");
        System.out.printf("autoscaling in the sandbox: spec.replicas 1 -> 4 %.1f s after the load started, 4 upstreams"
                        + " after %.1f s; back to 1 %.1f s after it stopped; %d requests, none failed%n", seconds(toReplicas),
                seconds(toReady), seconds(toOne), served);
        sandbox.kubectl("delete", "-f", manifest.toString());
    }

    private static ProxiedApp app() {
        return client.resources(ProxiedApp.class).inNamespace(NS).withName(APP).get();
    }

    private static int upstreams() {
        ProxiedApp app = app();
        return app == null || app.getStatus() == null || app.getStatus().upstreams() == null ? 0
                : app.getStatus().upstreams();
    }

    private static List<Event> events(String reason) {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> APP.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason())).toList();
    }

    private static Duration since(long nanos) {
        return Duration.ofNanos(System.nanoTime() - nanos);
    }

    private static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }
}
