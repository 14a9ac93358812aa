package dev.usher.operator.bench;

import static org.awaitility.Awaitility.await;

import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.testing.MockApiServer;
import dev.usher.operator.testing.TestApps;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reconcile throughput and footprint (run by bench/operator-bench.sh, never by the test suite). This
 * JVM runs fabric8's mock API server on 127.0.0.1; the operator runs as its shaded jar in a child
 * JVM, as in production, pointed at the mock. Measured:
 * <ol>
 * <li>the time from the first create until every owned object of every app exists (8 per app), and
 * until every app has a status;</li>
 * <li>the operator's heap in use after a full GC ({@code jcmd GC.run}, then {@code GC.heap_info}),
 * and its RSS;</li>
 * <li>the writes (POST, PUT, PATCH, DELETE; the Lease's renewals aside) while the operator
 * reconciles every app once more in a periodic resync, with nothing changed.</li>
 * </ol>
 * Prints a Markdown report on stdout. Every wait is bounded.
 */
public final class OperatorBench {

    private static final List<Class<? extends HasMetadata>> OWNED = List.of(Deployment.class, Service.class,
            ServiceAccount.class, Role.class, RoleBinding.class, ConfigMap.class);
    private static final Pattern USED = Pattern.compile("used (\\d+)K");

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

        try (MockApiServer api = new MockApiServer()) {
            NamespacedKubernetesClient client = api.client();
            int adminPort = freePort();
            List<String> command = new ArrayList<>(List.of("java"));
            command.addAll(List.of(opts.get("--java-opts").split(" ")));
            command.addAll(List.of("-jar", opts.get("--jar"), "--http", "127.0.0.1:" + adminPort,
                    "--resync", opts.get("--resync"), "--lease-namespace", "usher-system", "--identity", "bench"));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(Path.of(opts.get("--log")).toFile());
            builder.environment().put("KUBERNETES_MASTER", "http://127.0.0.1:" + api.port());
            builder.environment().put("KUBERNETES_AUTH_TRYKUBECONFIG", "false");
            builder.environment().put("KUBERNETES_AUTH_TRYSERVICEACCOUNT", "false");
            builder.environment().put("USHER_LOG_FORMAT", "text");
            builder.environment().put("USHER_LOG_LEVEL", "WARN");
            Process operator = builder.start();
            try {
                awaitTrue("operator ready", Duration.ofSeconds(60),
                        () -> get(adminPort, "/readyz").startsWith("ok"));
                int writesAtStart = api.writes().size();

                long start = System.nanoTime();
                for (int i = 0; i < apps; i++) {
                    client.resource(TestApps.app("bench-%02d".formatted(i % namespaces), "app-%03d".formatted(i),
                            "image: registry.test/shop:1\nreplicas: 2")).create();
                }
                double createdSeconds = seconds(start);
                awaitTrue("every owned object", Duration.ofSeconds(300), () -> ownedPosts(api) >= 8L * apps);
                double ownedSeconds = seconds(start);
                awaitTrue("every status", Duration.ofSeconds(300), () -> statusPatches(api) >= apps);
                double statusSeconds = seconds(start);
                long owned = OWNED.stream().mapToLong(t -> client.resources(t).inAnyNamespace().list().getItems().size())
                        .sum();
                long withStatus = client.resources(ProxiedApp.class).inAnyNamespace().list().getItems().stream()
                        .filter(a -> a.getStatus() != null).count();
                int creationWrites = api.writes().size() - writesAtStart - apps;

                double reconcilesBefore = successfulReconciles(adminPort);
                int writesBefore = api.writes().size();
                awaitTrue("a full resync", resync.plusSeconds(120),
                        () -> successfulReconciles(adminPort) >= reconcilesBefore + apps);
                double resyncReconciles = successfulReconciles(adminPort) - reconcilesBefore;
                List<String> resyncWrites = api.writes().subList(writesBefore, api.writes().size());

                long pid = operator.pid();
                run("jcmd", Long.toString(pid), "GC.run");
                long heapKiB = heapUsedKiB(run("jcmd", Long.toString(pid), "GC.heap_info"));
                long rssKiB = rssKiB(pid);

                System.out.printf("""
                        | measure | value | target |
                        |---|---:|---|
                        | ProxiedApps created (in %d namespaces) | %d in %.1f s | |
                        | every owned object exists (%d objects, counted: %d) | %.1f s after the first create | < 60 s |
                        | ... of which after the last create (the creates, one at a time, set the pace) | %.1f s | |
                        | every ProxiedApp has a status (counted: %d) | %.1f s after the first create | |
                        | operator writes while creating (8 creates + 1 status patch per app expected) | %d | |
                        | operator heap in use after a full GC | %.1f MiB | < 256 MiB |
                        | operator RSS (JVM with %s) | %.1f MiB | |
                        | reconciles in the steady-state resync window | %.0f | >= %d |
                        | writes during that resync | %d | 0 |
                        """, namespaces, apps, createdSeconds, 8 * apps, owned, ownedSeconds, ownedSeconds - createdSeconds, withStatus, statusSeconds,
                        creationWrites, heapKiB / 1024.0, opts.get("--java-opts"), rssKiB / 1024.0, resyncReconciles,
                        apps, resyncWrites.size());
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

    private static long ownedPosts(MockApiServer api) {
        return api.writes().stream().filter(w -> w.startsWith("POST ") && !w.contains("/proxiedapps")
                && !w.contains("/events")).count();
    }

    private static long statusPatches(MockApiServer api) {
        return api.writes().stream().filter(w -> w.startsWith("PATCH ") && w.endsWith("/status")).count();
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
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
