package dev.usher.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox as a user drives it: Usher installed by helm on the real control plane, examples
 * applied, scaled and deleted with the real kubectl, pods run by the node agent, traffic through
 * the Services' 127.0.0.1 ports. Every look at a pod address goes through nsenter into the sandbox's
 * network namespace.
 */
@TestMethodOrder(OrderAnnotation.class)
class SandboxEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NS = "default";
    private static final String OPERATOR = "system:serviceaccount:" + Sandbox.OPERATOR_NAMESPACE + ":" + Sandbox.RELEASE;

    @TempDir
    static Path work;
    static Sandbox sandbox;
    static KubernetesClient client;
    static int port;

    @BeforeAll
    static void up() throws Exception {
        sandbox = Sandbox.up(new Sandbox.Settings(work, Sandbox.root(), List.of(Sandbox.root().resolve("examples/hello"))));
        client = sandbox.client();
        await().atMost(Duration.ofSeconds(90)).until(() -> sandbox.port(NS, "hello", 80).isPresent());
        port = sandbox.port(NS, "hello", 80).getAsInt();
    }

    @AfterAll
    static void down() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    @Order(1)
    void helloComesUpAndEveryPodAnswers() throws Exception {
        awaitSettled(2);
        assertThat(sandbox.kubectl("get", "nodes")).containsPattern("sandbox\\s+Ready");
        assertThat(sandbox.kubectl("get", "papp", "hello")).containsPattern("hello\\s+\\S+\\s+2\\s+2\\s+2");
        // through the API server to the host side's kubelet port, which reads the pod's log file
        assertThat(sandbox.kubectl("logs", "-n", Sandbox.OPERATOR_NAMESPACE, "deploy/" + Sandbox.RELEASE, "--tail=5"))
                .isNotBlank();
        // A new upstream ramps up over the proxy's slowStart (10 s): the second pod may get few requests at first.
        Set<String> answered = new HashSet<>();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
            Http.Response r = Http.get(port, "/");
            assertThat(r.status()).isEqualTo(200);
            answered.add(r.body().trim().replace("Hostname: ", ""));
            return answered.size() == 2;
        });
        assertThat(answered).containsExactlyInAnyOrderElementsOf(podNames("backend"));
    }

    @Test
    @Order(2)
    void scalesTwoToSixToOneWithKubectlUnderLoadWithoutAFailedRequest() throws Exception {
        awaitSettled(2);
        try (Load load = new Load(port, 20, 30_000, 150)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> load.ok() > 100);
            sandbox.kubectl("scale", "papp", "hello", "--replicas=6");
            awaitSettled(6);
            sandbox.kubectl("scale", "papp", "hello", "--replicas=1");
            awaitSettled(1);
            load.stop();
            assertThat(load.failures()).isEmpty();
            assertThat(load.ok()).isGreaterThan(500);
        }
        sandbox.kubectl("scale", "papp", "hello", "--replicas=2");
        awaitSettled(2);
    }

    @Test
    @Order(3)
    void aKilledBackendIsRestartedByTheNodeWhileRequestsKeepSucceeding() throws Exception {
        awaitSettled(2);
        String victim = podNames("backend").get(0);
        ProcessHandle process = ProcessHandle.current().descendants()
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains(victim)).orElse(false))
                .findFirst().orElseThrow();
        try (Load load = new Load(port, 10, 10_000, 90)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> load.ok() > 50);
            process.destroyForcibly();
            await().atMost(Duration.ofSeconds(30)).until(() -> restarts(victim) == 1);
            awaitSettled(2);
            int before = load.ok();
            await().atMost(Duration.ofSeconds(10)).until(() -> load.ok() > before + 50);
            load.stop();
            assertThat(load.failures()).isEmpty();
        }
    }

    @Test
    @Order(4)
    void aProxyConfigChangeRollsTheProxiesWithoutAFailedRequest() throws Exception {
        awaitSettled(2);
        List<String> before = podNames("proxy");
        try (Load load = new Load(port, 10, 20_000, 150)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> load.ok() > 50);
            sandbox.kubectl("patch", "papp", "hello", "--type=merge", "-p", "{\"spec\":{\"proxy\":{\"maxBodySize\":\"2Mi\"}}}");
            await().atMost(Duration.ofSeconds(120)).until(() -> podNames("proxy").stream().noneMatch(before::contains));
            awaitSettled(2);
            load.stop();
            assertThat(load.failures()).isEmpty();
        }
    }

    @Test
    @Order(5)
    void theOperatorPodDeletedIsRecreatedWithTrafficUntouchedAndWritesNothing() throws Exception {
        awaitSettled(2);
        String old = operatorPods().get(0);
        try (Load load = new Load(port, 10, 20_000, 120)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> load.ok() > 50);
            long from = Files.size(sandbox.auditLog());
            sandbox.kubectl("delete", "pod", "-n", Sandbox.OPERATOR_NAMESPACE, old);
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                List<Pod> pods = client.pods().inNamespace(Sandbox.OPERATOR_NAMESPACE).list().getItems();
                return pods.size() == 1 && !pods.get(0).getMetadata().getName().equals(old) && ready(pods.get(0));
            });
            // Nothing changed while it was away: its start-up reconcile writes nothing but its Lease.
            await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(15))
                    .untilAsserted(() -> assertThat(operatorWrites(from)).isEmpty());
            load.stop();
            assertThat(load.failures()).isEmpty();
        }
        awaitSettled(2);
    }

    @Test
    @Order(6)
    void aPodOfAnUnmappedImageStaysPendingWithTheReasonInItsStatus() throws Exception {
        sandbox.kubectl("create", "deployment", "unmapped", "--image=example/unmapped:1");
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
            Pod pod = client.pods().inNamespace(NS).withLabel("app", "unmapped").list().getItems().get(0);
            assertThat(pod.getStatus().getPhase()).isEqualTo("Pending");
            var waiting = pod.getStatus().getContainerStatuses().get(0).getState().getWaiting();
            assertThat(waiting.getReason()).isEqualTo("ErrImageNotMapped");
            assertThat(waiting.getMessage()).contains("example/unmapped:1", "sandbox.images");
        });
        sandbox.kubectl("delete", "deployment", "unmapped");
    }

    @Test
    @Order(7)
    void flaskOnUwsgiAnswersThroughTheProxyOverTheUwsgiProtocol() throws Exception {
        sandbox.apply(Sandbox.root().resolve("examples/flask-uwsgi"));
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() -> {
            ProxiedApp app = client.resources(ProxiedApp.class).inNamespace(NS).withName("flask").get();
            return app != null && app.getStatus() != null && app.getStatus().upstreams() != null
                    && app.getStatus().upstreams() == 3 && sandbox.port(NS, "flask", 80).isPresent();
        });
        int flask = sandbox.port(NS, "flask", 80).getAsInt();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> Http.get(flask, "/").status() == 200);
        assertThat(Http.get(flask, "/").body()).startsWith("Hello from Flask on ");
        Http.Response request = Http.get(flask, "/request?x=1");
        assertThat(request.status()).isEqualTo(200);
        assertThat(request.body()).contains("\"path\":\"/request?x=1\"").contains("\"forwarded_proto\":\"http\"");
        sandbox.kubectl("delete", "-f", Sandbox.root().resolve("examples/flask-uwsgi").toString());
    }

    @Test
    @Order(8)
    void kubectlDeletePappRemovesEverythingThroughTheGarbageCollector() throws Exception {
        sandbox.kubectl("delete", "papp", "hello");
        await().atMost(Duration.ofSeconds(120)).until(() -> pods("backend").isEmpty() && pods("proxy").isEmpty()
                && client.apps().deployments().inNamespace(NS).withLabel("usher.dev/app", "hello").list().getItems().isEmpty()
                && client.services().inNamespace(NS).withLabel("usher.dev/app", "hello").list().getItems().isEmpty()
                && client.configMaps().inNamespace(NS).withLabel("usher.dev/app", "hello").list().getItems().isEmpty()
                && sandbox.port(NS, "hello", 80).isEmpty());
        // and their processes are gone
        await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.current().descendants()
                .noneMatch(p -> p.info().arguments().map(a -> String.join(" ", a).contains("hello-")).orElse(false)));
    }

    /**
     * Writes by the operator's ServiceAccount since the audit log had this many bytes: its Lease, its
     * Events and its permission checks (a SelfSubjectRulesReview is a create that changes nothing) aside.
     */
    private static List<String> operatorWrites(long from) throws IOException {
        List<String> writes = new ArrayList<>();
        byte[] all = Files.readAllBytes(sandbox.auditLog());
        for (String line : new String(all, (int) from, all.length - (int) from).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode event = JSON.readTree(line);
            String resource = event.path("objectRef").path("resource").asText();
            if ("ResponseComplete".equals(event.path("stage").asText())
                    && OPERATOR.equals(event.path("user").path("username").asText())
                    && !List.of("leases", "events", "selfsubjectrulesreviews", "selfsubjectaccessreviews").contains(resource)) {
                writes.add(event.path("verb").asText() + " " + event.path("requestURI").asText());
            }
        }
        return writes;
    }

    private static List<String> operatorPods() {
        return client.pods().inNamespace(Sandbox.OPERATOR_NAMESPACE).list().getItems().stream()
                .map(p -> p.getMetadata().getName()).toList();
    }

    private static List<Pod> pods(String component) {
        return client.pods().inNamespace(NS).withLabel("usher.dev/app", "hello").withLabel("usher.dev/component", component)
                .list().getItems();
    }

    private static List<String> podNames(String component) {
        return pods(component).stream().map(p -> p.getMetadata().getName()).toList();
    }

    private static int restarts(String pod) {
        return client.pods().inNamespace(NS).withName(pod).get().getStatus().getContainerStatuses().get(0).getRestartCount();
    }

    private static boolean ready(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /**
     * hello Ready with this many backends, no pod terminating, every proxy's pool (read from its admin
     * port inside the sandbox's namespace) exactly the ready backends, and the Service answering.
     */
    private static void awaitSettled(int replicas) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
            ProxiedApp app = client.resources(ProxiedApp.class).inNamespace(NS).withName("hello").get();
            if (app.getStatus().readyReplicas() != replicas || app.getStatus().upstreams() != replicas) {
                return false;
            }
            List<Pod> backends = pods("backend");
            List<Pod> proxies = pods("proxy");
            if (backends.size() != replicas || proxies.size() != 2 || !backends.stream().allMatch(SandboxEndToEndTest::ready)
                    || !proxies.stream().allMatch(SandboxEndToEndTest::ready)
                    || backends.stream().anyMatch(p -> p.getMetadata().getDeletionTimestamp() != null)
                    || proxies.stream().anyMatch(p -> p.getMetadata().getDeletionTimestamp() != null)) {
                return false;
            }
            Set<String> ready = new HashSet<>();
            backends.forEach(p -> ready.add(p.getStatus().getPodIP() + ":8000"));
            for (Pod proxy : proxies) {
                if (!ready.equals(pool(proxy))) {
                    return false;
                }
            }
            return Http.get(port, "/").status() == 200;
        });
    }

    /** The upstreams a proxy sends new requests to, from its admin port, inside the sandbox's namespace. */
    private static Set<String> pool(Pod proxy) throws Exception {
        String body = sandbox.inNamespace("curl", "-sf", "http://" + proxy.getStatus().getPodIP() + ":9901/upstreams");
        Set<String> out = new HashSet<>();
        StreamSupport.stream(JSON.readTree(body).path("upstreams").spliterator(), false)
                .filter(u -> "ready".equals(u.path("condition").asText()))
                .forEach(u -> out.add(u.path("address").asText()));
        return out;
    }
}
