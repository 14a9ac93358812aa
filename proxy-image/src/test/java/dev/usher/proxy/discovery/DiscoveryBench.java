package dev.usher.proxy.discovery;

import dev.usher.proxy.ProxyServer;
import dev.usher.proxy.config.ConfigLoader;
import dev.usher.proxy.endpoints.Endpoint;
import dev.usher.proxy.endpoints.UpstreamPool;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Benchmark, not a test (run by {@code bench/discovery-bench.sh}): how fast an EndpointSlice change reaches the
 * proxy's pool, and what one pool update costs with 1,000 endpoints in the Service. The endpoints are 127.0.1.x
 * and 127.0.2.x addresses that nothing connects to: only the pool is measured, no traffic is sent.
 *
 * <pre>DiscoveryBench [--changes N] [--out FILE]</pre>
 */
public final class DiscoveryBench {
    private static final int WARMUP_CHANGES = 100;
    private static final int UPDATE_ITERATIONS = 2_000;

    private DiscoveryBench() {}

    public static void main(String[] args) throws Exception {
        int changes = 300;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--changes" -> changes = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        // First, while nothing else runs: the propagation runs leave client and server threads winding down.
        String update = updateCost();
        List<String> rows = new ArrayList<>();
        Path dir = Files.createTempDirectory("discovery-bench");
        try (MockApiServer api = new MockApiServer()) {
            rows.add(propagation(api, dir, "1 slice, 10 endpoints", 1, 10, changes));
        }
        try (MockApiServer api = new MockApiServer()) {
            rows.add(propagation(api, dir, "10 slices, 1,000 endpoints", 10, 100, changes));
        }

        String report = """
                # Discovery benchmark

                Measured by `%s` on %s (%d cores, Java %s).

                ## Propagation: EndpointSlice write to pool change

                The real proxy (`ProxyServer`, Kubernetes discovery) follows service `shop-backend` on fabric8's mock API
                server (CRUD mode, same machine, 127.0.0.1). Each change flips one endpoint between ready and not ready
                with a `PUT` of its slice; the bench thread then spins on the pool until the new snapshot is there.
                *accepted → pool*: from the API server's answer to the write arriving at the client, to the pool
                change (the watch event can beat the write's answer, so this can be below zero); *write → pool*: from
                sending the write. %d changes per row after %d unrecorded warm-up changes. Milliseconds.

                | service | changes | accepted → pool p50 | p99 | max | write → pool p50 | p99 | max |
                |---|---|---|---|---|---|---|---|
                %s

                ## Pool update cost with 1,000 endpoints

                One event's work, in process, without the API server: merge 10 slices of 100 endpoints (parse, resolve
                the port, dedupe, conditions) and apply the result to the pool (`UpstreamPool.update`, one snapshot
                swap), where one endpoint changed. %d iterations after as many unrecorded; the max includes
                young-GC pauses. Milliseconds.

                | step | p50 | p99 | max |
                |---|---|---|---|
                %s

                Targets (issue 4): propagation p99 under 50 ms on the mock API server; a 1,000-endpoint update under 5 ms.
                """.formatted(System.getProperty("bench.command", "DiscoveryBench"), Instant.now().toString().substring(0, 10),
                Runtime.getRuntime().availableProcessors(), Runtime.version(), changes, WARMUP_CHANGES,
                String.join("\n", rows), UPDATE_ITERATIONS, update);
        System.out.print(report);
        if (out != null) {
            Files.writeString(out, report);
        }
        System.exit(0);
    }

    private static String propagation(MockApiServer api, Path dir, String label, int slices, int perSlice, int changes)
            throws Exception {
        List<List<Boolean>> readiness = new ArrayList<>();
        for (int s = 0; s < slices; s++) {
            readiness.add(new ArrayList<>(Collections.nCopies(perSlice, true)));
            Slices.put(api.client(), slice(s, readiness.get(s)));
        }
        ProxyServer proxy = ProxyServer.start(ConfigLoader.fromYaml("""
                listen: 127.0.0.1:0
                admin: 127.0.0.1:0
                eventLoops: 1
                upstream:
                  kubernetes: {namespace: %s, service: %s, port: http, kubeconfig: %s}
                """.formatted(Slices.NAMESPACE, Slices.SERVICE, MockApiServer.kubeconfig(dir, api.port()))));
        try {
            UpstreamPool pool = proxy.pool();
            waitFor(pool, p -> p.snapshot().ready().size() == slices * perSlice);
            double[] accepted = new double[changes];
            double[] sent = new double[changes];
            for (int i = 0; i < WARMUP_CHANGES + changes; i++) {
                int s = i % slices;
                int e = (i / slices) % perSlice;
                List<Boolean> r = readiness.get(s);
                r.set(e, !r.get(e));
                int expectedReady = (int) readiness.stream().flatMap(List::stream).filter(b -> b).count();
                UpstreamPool.Snapshot before = pool.snapshot();
                EndpointSlice next = slice(s, r);
                long t0 = System.nanoTime();
                Slices.put(api.client(), next);
                long t1 = System.nanoTime();
                waitFor(pool, p -> p.snapshot() != before && p.snapshot().ready().size() == expectedReady);
                long t2 = System.nanoTime();
                if (i >= WARMUP_CHANGES) {
                    accepted[i - WARMUP_CHANGES] = (t2 - t1) / 1e6;
                    sent[i - WARMUP_CHANGES] = (t2 - t0) / 1e6;
                }
            }
            return "| %s | %d | %s | %s |".formatted(label, changes, percentiles(accepted), percentiles(sent));
        } finally {
            proxy.shutdown();
        }
    }

    /** Spins: the point is to see the change the moment it lands, for at most 10 s. */
    private static void waitFor(UpstreamPool pool, Predicate<UpstreamPool> done) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!done.test(pool)) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("pool change not seen within 10 s");
            }
            Thread.onSpinWait();
        }
    }

    private static String updateCost() {
        SliceMerger merger = new SliceMerger(new ServicePort("http"));
        UpstreamPool pool = new UpstreamPool();
        List<List<Boolean>> readiness = new ArrayList<>();
        List<EndpointSlice> slices = new ArrayList<>();
        for (int s = 0; s < 10; s++) {
            readiness.add(new ArrayList<>(Collections.nCopies(100, true)));
            slices.add(slice(s, readiness.get(s)));
        }
        double[] merge = new double[UPDATE_ITERATIONS];
        double[] apply = new double[UPDATE_ITERATIONS];
        double[] both = new double[UPDATE_ITERATIONS];
        for (int i = 0; i < 2 * UPDATE_ITERATIONS; i++) {
            int s = i % 10;
            int e = (i / 10) % 100;
            readiness.get(s).set(e, !readiness.get(s).get(e));
            slices.set(s, slice(s, readiness.get(s)));
            long t0 = System.nanoTime();
            List<Endpoint> endpoints = merger.merge(slices).poolEndpoints();
            long t1 = System.nanoTime();
            if (!pool.update(endpoints) && i > 0) {
                throw new IllegalStateException("every iteration changes one endpoint");
            }
            long t2 = System.nanoTime();
            if (i >= UPDATE_ITERATIONS) {
                merge[i - UPDATE_ITERATIONS] = (t1 - t0) / 1e6;
                apply[i - UPDATE_ITERATIONS] = (t2 - t1) / 1e6;
                both[i - UPDATE_ITERATIONS] = (t2 - t0) / 1e6;
            }
        }
        return String.join("\n",
                "| merge 10 slices (1,000 endpoints) | " + percentiles(merge) + " |",
                "| apply to the pool | " + percentiles(apply) + " |",
                "| merge + apply | " + percentiles(both) + " |");
    }

    /** Slice {@code s}: endpoints 127.0.{s+1}.{e+1}, ready or not, on port 8000 named http. */
    private static EndpointSlice slice(int s, List<Boolean> readiness) {
        var endpoints = new io.fabric8.kubernetes.api.model.discovery.v1.Endpoint[readiness.size()];
        for (int e = 0; e < readiness.size(); e++) {
            String ip = "127.0." + (s + 1) + "." + (e + 1);
            endpoints[e] = readiness.get(e) ? Slices.ready(ip) : Slices.notReady(ip);
        }
        return Slices.slice(Slices.SERVICE + "-" + s, Slices.http(8000), endpoints);
    }

    private static String percentiles(double[] millis) {
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        return String.format(Locale.ROOT, "%.2f | %.2f | %.2f", at(sorted, 0.50), at(sorted, 0.99), sorted[sorted.length - 1]);
    }

    private static double at(double[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }
}
