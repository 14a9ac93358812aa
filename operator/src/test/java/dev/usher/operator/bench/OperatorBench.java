package dev.usher.operator.bench;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.usher.kube.ControlPlane;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.testing.Cluster;
import dev.usher.operator.testing.TestApps;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reconcile throughput and footprint on a real control plane (never run by the test suite). This JVM
 * starts kube-local (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) on 127.0.0.1,
 * with an audit log of the operator's writes; the operator runs as its shaded jar in a child JVM, as
 * in production, with a ServiceAccount token. Measured:
 * <ol>
 * <li>the time from the first create until every owned object of every app exists (8 per app), and
 * until every app has a status;</li>
 * <li>the operator's writes per app while it does that (creates, applies, status patches, Events);</li>
 * <li>the operator's heap in use after a full GC ({@code jcmd GC.run}, then {@code GC.heap_info}),
 * and its RSS;</li>
 * <li>the writes while the operator reconciles every app once more in a periodic resync, with nothing
 * changed.</li>
 * </ol>
 * The writes come from the API server's audit log, so they are the operator's own and none of the
 * controllers'. There is no kubelet, so no pod runs: each app ends "Progressing", the steady state
 * resynced. Prints a Markdown report on stdout. Every wait is bounded; every process stops on exit.
 */
public final class OperatorBench {

    private static final String ACCOUNT = "usher-operator";
    private static final String USER = "system:serviceaccount:usher-system:" + ACCOUNT;
    private static final Set<String> OWNED = Set.of("deployments", "services", "serviceaccounts", "roles",
            "rolebindings", "configmaps");
    private static final Pattern USED = Pattern.compile("used (\\d+)K");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CREATORS = 4;

    /** One write in the audit log. */
    private record Write(String verb, String resource, String subresource, String namespace, String name, int code) {
    }

    private OperatorBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>(Map.of("--apps", "500", "--namespaces", "10",
                "--jar", "target/usher-operator.jar", "--resync", "30s", "--java-opts", "-Xmx512m",
                "--log", "target/operator-bench.log"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!opts.containsKey(args[i])) {
                throw new IllegalArgumentException("unknown option " + args[i]);
            }
            opts.put(args[i], args[i + 1]);
        }
        int apps = Integer.parseInt(opts.get("--apps"));
        int namespaces = Integer.parseInt(opts.get("--namespaces"));
        Duration resync = Duration.ofSeconds(Long.parseLong(opts.get("--resync").replace("s", "")));

        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "operator-bench-")
                .toAbsolutePath();
        Path auditFile = dir.resolve("audit.log");
        AuditLog audit = new AuditLog(auditFile);
        Path policy = Files.writeString(dir.resolve("audit-policy.yaml"), """
                apiVersion: audit.k8s.io/v1
                kind: Policy
                omitStages: [RequestReceived]
                rules:
                - level: Metadata
                  users: ["%s"]
                  verbs: [create, update, patch, delete]
                - level: None
                """.formatted(USER));
        ControlPlane.Settings settings = ControlPlane.Settings.defaults(dir)
                .withApiServerFlags("--audit-policy-file", policy.toString(), "--audit-log-path", auditFile.toString());
        try (ControlPlane plane = ControlPlane.start(settings)) {
            KubernetesClient client = plane.admin();
            Cluster.installCrd(plane);
            List<String> names = new ArrayList<>(List.of("usher-system"));
            for (int i = 0; i < namespaces; i++) {
                names.add("bench-%02d".formatted(i));
            }
            Cluster.namespaces(client, names.toArray(String[]::new));
            client.resource(new ServiceAccountBuilder().withNewMetadata().withName(ACCOUNT)
                    .withNamespace("usher-system").endMetadata().build()).create();
            client.resource(new ClusterRoleBindingBuilder().withNewMetadata().withName(ACCOUNT).endMetadata()
                    .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole")
                    .withName("cluster-admin").endRoleRef()
                    .addNewSubject().withKind("ServiceAccount").withName(ACCOUNT).withNamespace("usher-system")
                    .endSubject().build()).create();
            Path kubeconfig = Files.writeString(dir.resolve("operator.kubeconfig"), """
                    apiVersion: v1
                    kind: Config
                    clusters: [{name: local, cluster: {server: "%s", certificate-authority: "%s"}}]
                    users: [{name: operator, user: {token: "%s"}}]
                    contexts: [{name: local, context: {cluster: local, user: operator, namespace: usher-system}}]
                    current-context: local
                    """.formatted(plane.url(), dir.resolve("pki/ca.crt"),
                    plane.configFor("usher-system", ACCOUNT).getOauthToken()));

            int adminPort = freePort();
            List<String> command = new ArrayList<>(List.of("java"));
            command.addAll(List.of(opts.get("--java-opts").split(" ")));
            command.addAll(List.of("-jar", opts.get("--jar"), "--http", "127.0.0.1:" + adminPort,
                    "--resync", opts.get("--resync"), "--identity", "bench"));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(Path.of(opts.get("--log")).toFile());
            builder.environment().put("KUBECONFIG", kubeconfig.toString());
            builder.environment().put("KUBERNETES_AUTH_TRYSERVICEACCOUNT", "false");
            builder.environment().put("USHER_LOG_FORMAT", "text");
            builder.environment().put("USHER_LOG_LEVEL", "WARN");
            Process operator = builder.start();
            try {
                awaitTrue("operator ready", Duration.ofSeconds(60),
                        () -> get(adminPort, "/readyz").startsWith("ok"));
                int writesAtStart = audit.writes().size();

                long start = System.nanoTime();
                // As a deployment tool would apply them: a few at a time.
                ExecutorService creators = Executors.newFixedThreadPool(CREATORS);
                List<Future<?>> creates = new ArrayList<>();
                for (int i = 0; i < apps; i++) {
                    ProxiedApp app = TestApps.app("bench-%02d".formatted(i % namespaces), "app-%03d".formatted(i),
                            "image: registry.test/shop:1\nreplicas: 2");
                    creates.add(creators.submit(() -> client.resource(app).create()));
                }
                for (Future<?> create : creates) {
                    create.get();
                }
                creators.shutdown();
                double createdSeconds = seconds(start);
                awaitTrue("every owned object", Duration.ofSeconds(300), () -> created(audit) >= 8L * apps);
                double ownedSeconds = seconds(start);
                awaitTrue("every status", Duration.ofSeconds(300), () -> withStatus(audit) >= apps);
                double statusSeconds = seconds(start);
                long withStatus = client.resources(ProxiedApp.class).inAnyNamespace().list().getItems().stream()
                        .filter(a -> a.getStatus() != null).count();

                // Settled: the controllers have made every pod (slowly, on a loaded machine), the statuses
                // count them, and no write for 10 s.
                await("every status counting its pods").atMost(Duration.ofSeconds(480))
                        .pollInterval(Duration.ofSeconds(2))
                        .until(() -> client.resources(ProxiedApp.class).inAnyNamespace().list().getItems().stream()
                                .filter(a -> a.getStatus() != null && a.getStatus().proxy() != null
                                        && Objects.equals(a.getStatus().replicas(), 2)
                                        && Objects.equals(a.getStatus().proxy().replicas(), 2))
                                .count() >= apps);
                long[] lastChange = {-1, System.nanoTime()};
                awaitTrue("the writes to stop", Duration.ofSeconds(300), () -> {
                    int count = audit.writes().size();
                    if (count != lastChange[0]) {
                        lastChange[0] = count;
                        lastChange[1] = System.nanoTime();
                    }
                    return System.nanoTime() - lastChange[1] > Duration.ofSeconds(10).toNanos();
                });
                List<Write> creation = audit.writes().subList(writesAtStart, audit.writes().size());
                double settledSeconds = seconds(start) - 10;

                double reconcilesBefore = successfulReconciles(adminPort);
                int writesBefore = audit.writes().size();
                awaitTrue("a full resync", resync.plusSeconds(180),
                        () -> successfulReconciles(adminPort) >= reconcilesBefore + apps);
                double resyncReconciles = successfulReconciles(adminPort) - reconcilesBefore;
                List<Write> all = audit.writes();
                List<Write> resyncWrites = all.subList(writesBefore, all.size());

                long pid = operator.pid();
                run("jcmd", Long.toString(pid), "GC.run");
                long heapKiB = heapUsedKiB(run("jcmd", Long.toString(pid), "GC.heap_info"));
                long rssKiB = rssKiB(pid);

                System.out.printf("""
                        | measure | value | target |
                        |---|---:|---|
                        | ProxiedApps created (in %d namespaces, %d at a time) | %d in %.1f s | |
                        | every owned object exists (%d objects) | %.1f s after the first create | < 60 s |
                        | every ProxiedApp has a status (counted: %d) | %.1f s after the first create | < 60 s |
                        | operator writes until settled (%.0f s), per app | %.1f (%s) | |
                        | operator heap in use after a full GC | %.1f MiB | < 256 MiB |
                        | operator RSS (JVM with %s) | %.1f MiB | |
                        | reconciles in the steady-state resync window | %.0f | >= %d |
                        | writes during that resync | %d | 0 |
                        """, namespaces, CREATORS, apps, createdSeconds, 8 * apps, ownedSeconds, withStatus, statusSeconds,
                        settledSeconds, creation.size() / (double) apps, breakdown(creation), heapKiB / 1024.0,
                        opts.get("--java-opts"), rssKiB / 1024.0, resyncReconciles, apps, resyncWrites.size());
                if (!resyncWrites.isEmpty()) {
                    System.out.println("\nWrites during the resync (first 10): " + resyncWrites.subList(0,
                            Math.min(10, resyncWrites.size())));
                }
            } finally {
                operator.destroy();
                operator.waitFor();
            }
        }
    }

    /**
     * The operator's writes, in order, from the audit log; the Lease's renewals and leader election's
     * review left out. Read on from where the last call stopped, whole lines only, so that polling it
     * costs little beside the processes measured.
     */
    private static final class AuditLog {

        private final Path file;
        private final List<Write> writes = new ArrayList<>();
        private long offset;

        AuditLog(Path file) {
            this.file = file;
        }

        synchronized List<Write> writes() {
            if (!Files.exists(file)) {
                return List.copyOf(writes);
            }
            try (var channel = java.nio.channels.FileChannel.open(file)) {
                long size = channel.size();
                if (size > offset) {
                    var buffer = java.nio.ByteBuffer.allocate((int) (size - offset));
                    channel.read(buffer, offset);
                    String text = new String(buffer.array(), java.nio.charset.StandardCharsets.UTF_8);
                    int end = text.lastIndexOf('\n') + 1;
                    offset += text.substring(0, end).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
                    for (String line : text.substring(0, end).split("\n")) {
                        if (!line.isBlank()) {
                            add(JSON.readTree(line));
                        }
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return List.copyOf(writes);
        }

        private void add(JsonNode event) {
            JsonNode ref = event.path("objectRef");
            String resource = ref.path("resource").asText();
            if (!resource.equals("leases") && !resource.endsWith("reviews")) {
                writes.add(new Write(event.path("verb").asText(), resource, ref.path("subresource").asText(""),
                        ref.path("namespace").asText(), ref.path("name").asText(),
                        event.path("responseStatus").path("code").asInt()));
            }
        }
    }

    private static long created(AuditLog audit) {
        return audit.writes().stream().filter(w -> w.code() == 201 && OWNED.contains(w.resource())).count();
    }

    private static long withStatus(AuditLog audit) {
        Set<String> apps = new HashSet<>();
        audit.writes().stream().filter(w -> w.resource().equals("proxiedapps") && w.subresource().equals("status")
                && w.code() < 300).forEach(w -> apps.add(w.namespace() + "/" + w.name()));
        return apps.size();
    }

    /** "applies 8.0, creates 1.0, ...": writes per app by verb and resource. */
    private static String breakdown(List<Write> writes) {
        Map<String, Long> counts = new java.util.TreeMap<>();
        writes.forEach(w -> counts.merge(w.verb() + " " + w.resource()
                + (w.subresource().isEmpty() ? "" : "/" + w.subresource()), 1L, Long::sum));
        List<String> parts = new ArrayList<>();
        counts.forEach((k, v) -> parts.add(k + " " + v));
        return String.join(", ", parts);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static void awaitTrue(String what, Duration limit, BooleanSupplier condition) {
        await(what).atMost(limit).pollInterval(Duration.ofMillis(100)).until(condition::getAsBoolean);
    }

    private static String get(int port, String path) {
        try {
            return HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static double successfulReconciles(int port) {
        return get(port, "/metrics").lines()
                .filter(l -> l.startsWith("operator_sdk_reconciliations_success_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    /** Heap in use as G1 (the default collector) reports it: "garbage-first heap total …K, used …K". */
    private static long heapUsedKiB(String heapInfo) {
        return heapInfo.lines()
                .filter(l -> l.contains(" heap "))
                .map(USED::matcher)
                .filter(Matcher::find)
                .mapToLong(m -> Long.parseLong(m.group(1)))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no heap size in: " + heapInfo));
    }

    private static long rssKiB(long pid) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                .filter(l -> l.startsWith("VmRSS:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")))
                .findFirst().orElse(-1);
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
