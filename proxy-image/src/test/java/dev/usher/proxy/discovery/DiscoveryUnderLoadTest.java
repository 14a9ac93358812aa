package dev.usher.proxy.discovery;

import static dev.usher.proxy.discovery.DiscoveryFixtures.awaitReady;
import static dev.usher.proxy.discovery.DiscoveryFixtures.proxy;
import static dev.usher.proxy.discovery.Slices.http;
import static dev.usher.proxy.discovery.Slices.notReady;
import static dev.usher.proxy.discovery.Slices.put;
import static dev.usher.proxy.discovery.Slices.ready;
import static dev.usher.proxy.discovery.Slices.slice;
import static dev.usher.proxy.discovery.Slices.terminating;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.TestBackend;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 16 clients send requests while the Service scales 2 → 8 → 1 the way Kubernetes does it, through updates of one
 * EndpointSlice: new pods appear not ready, then ready; leaving pods turn terminating, then disappear. Pods are
 * backends on 127.0.0.2-127.0.0.9 sharing one port, as pods share a container port. No request may fail.
 */
class DiscoveryUnderLoadTest {
    private static final int CLIENTS = 16;
    private static final int MAX_REQUESTS_PER_CLIENT = 3000;

    @TempDir
    Path dir;

    @Test
    void scaling2To8To1ThroughSliceUpdatesFailsNoRequest() throws Exception {
        List<TestBackend> pods = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try (MockApiServer api = new MockApiServer()) {
            pods.add(new TestBackend("pod-2", "127.0.0.2", 0));
            int port = pods.get(0).port();
            for (int i = 3; i <= 9; i++) {
                pods.add(new TestBackend("pod-" + i, "127.0.0." + i, port));
            }
            IntFunction<String> ip = i -> "127.0.0." + (i + 2);
            put(api.client(), slice("shop-backend-x", http(port), ready(ip.apply(0)), ready(ip.apply(1))));
            try (ProxyFixture proxy = proxy(dir, api.port(), "")) {
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger completed = new AtomicInteger();
                AtomicReference<String> firstFailure = new AtomicReference<>();
                List<Future<?>> running = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    running.add(clients.submit(() -> {
                        for (int i = 0; i < MAX_REQUESTS_PER_CLIENT && !stop.get(); i++) {
                            try {
                                HttpResponse<String> r = Http.get(proxy.uri("/hello"));
                                if (r.statusCode() != 200) {
                                    firstFailure.compareAndSet(null, "status " + r.statusCode() + ": " + r.body());
                                }
                            } catch (Exception e) {
                                firstFailure.compareAndSet(null, e.toString());
                            }
                            completed.incrementAndGet();
                        }
                    }));
                }
                List<List<Endpoint>> steps = List.of(
                        endpoints(8, i -> i < 2 ? ready(ip.apply(i)) : notReady(ip.apply(i))),
                        endpoints(8, i -> ready(ip.apply(i))),
                        endpoints(8, i -> i < 7 ? terminating(ip.apply(i)) : ready(ip.apply(i))),
                        endpoints(8, i -> i < 7 ? null : ready(ip.apply(i))));
                List<String[]> readyAfter = List.of(
                        hostPorts(port, ip, 0, 1), hostPorts(port, ip, 0, 7), hostPorts(port, ip, 7, 7), hostPorts(port, ip, 7, 7));
                for (int s = 0; s < steps.size(); s++) {
                    put(api.client(), slice("shop-backend-x", http(port), steps.get(s).toArray(Endpoint[]::new)));
                    awaitReady(proxy, readyAfter.get(s));
                    // Traffic flows through each pool before the next change.
                    int target = completed.get() + 400;
                    await().atMost(Duration.ofSeconds(30)).until(() -> completed.get() >= target || firstFailure.get() != null);
                }
                stop.set(true);
                for (Future<?> f : running) {
                    f.get(30, TimeUnit.SECONDS);
                }
                assertThat(firstFailure.get()).as("first failed request").isNull();
                assertThat(completed.get()).isGreaterThanOrEqualTo(1600);
                assertThat(proxy.server().pool().snapshot().all()).hasSize(1);
                for (TestBackend pod : pods) {
                    assertThat(pod.requests()).as(pod.name() + " served while it was in the pool").isPositive();
                }
            }
        } finally {
            clients.shutdownNow();
            pods.forEach(TestBackend::close);
        }
    }

    private static List<Endpoint> endpoints(int n, IntFunction<Endpoint> endpoint) {
        List<Endpoint> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Endpoint e = endpoint.apply(i);
            if (e != null) {
                out.add(e);
            }
        }
        return out;
    }

    private static String[] hostPorts(int port, IntFunction<String> ip, int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            out.add(ip.apply(i) + ":" + port);
        }
        return out.toArray(String[]::new);
    }
}
