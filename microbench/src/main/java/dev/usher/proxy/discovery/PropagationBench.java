package dev.usher.proxy.discovery;

import dev.usher.proxy.ProxyServer;
import dev.usher.proxy.config.ConfigLoader;
import dev.usher.proxy.endpoints.UpstreamPool;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How fast an EndpointSlice write reaches the proxy's pool: the real proxy ({@link ProxyServer}, Kubernetes
 * discovery) follows a Service on fabric8's mock API server (CRUD mode, 127.0.0.1). Each operation flips one
 * endpoint's readiness with a PUT of its slice, then spins until the pool shows it: from sending the write to
 * the pool change. Only the pool is measured; nothing connects to the endpoints.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m", "-Dlogback.configurationFile=logback-bench.xml"})
@State(Scope.Benchmark)
public class PropagationBench {
    /** The mock logs every request at INFO through java.util.logging; held so the setting sticks. */
    private static final Logger MOCK_LOG = Logger.getLogger(MockWebServer.class.getName());

    /** 10 endpoints in one slice, or 1,000 in 10 slices of 100. */
    @Param({"10", "1000"})
    public int endpoints;

    private KubernetesMockServer server;
    private KubernetesClient client;
    private ProxyServer proxy;
    private Path dir;
    private boolean[][] ready;
    private int readyCount;
    private int change;

    @Setup
    public void setUp() throws IOException, InterruptedException {
        MOCK_LOG.setLevel(Level.WARNING);
        int slices = Math.max(1, endpoints / 100);
        ready = new boolean[slices][endpoints / slices];
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        String url = "http://127.0.0.1:" + server.getPort();
        client = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder(io.fabric8.kubernetes.client.Config.empty()).withMasterUrl(url).build())
                .build();
        for (int s = 0; s < slices; s++) {
            Arrays.fill(ready[s], true);
            put(s);
        }
        readyCount = endpoints;
        dir = Files.createTempDirectory("propagation-bench");
        Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters: [{name: mock, cluster: {server: "%s"}}]
                users: [{name: proxy, user: {token: bench}}]
                contexts: [{name: mock, context: {cluster: mock, user: proxy, namespace: default}}]
                current-context: mock
                """.formatted(url));
        proxy = ProxyServer.start(ConfigLoader.fromYaml("""
                listen: 127.0.0.1:0
                admin: 127.0.0.1:0
                eventLoops: 1
                upstream:
                  kubernetes: {namespace: %s, service: %s, port: http, kubeconfig: %s}
                """.formatted(BenchSlices.NAMESPACE, BenchSlices.SERVICE, kubeconfig)));
        awaitPool(null);
    }

    @Benchmark
    public void writeToPool() {
        int s = change % ready.length;
        int e = (change / ready.length) % ready[s].length;
        change++;
        ready[s][e] = !ready[s][e];
        readyCount += ready[s][e] ? 1 : -1;
        UpstreamPool.Snapshot before = proxy.pool().snapshot();
        put(s);
        awaitPool(before);
    }

    /** Spins, to see the change the moment it lands; for at most 10 s. */
    private void awaitPool(UpstreamPool.Snapshot before) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        UpstreamPool pool = proxy.pool();
        while (pool.snapshot() == before || pool.snapshot().ready().size() != readyCount) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the pool did not reach " + readyCount + " ready endpoints in 10 s");
            }
            Thread.onSpinWait();
        }
    }

    private void put(int s) {
        client.discovery().v1().endpointSlices().inNamespace(BenchSlices.NAMESPACE)
                .resource(BenchSlices.slice(s, ready[s])).createOr(NonDeletingOperation::update);
    }

    @TearDown
    public void tearDown() throws IOException {
        proxy.shutdown();
        client.close();
        server.destroy();
        Files.deleteIfExists(dir.resolve("kubeconfig"));
        Files.deleteIfExists(dir);
    }
}
