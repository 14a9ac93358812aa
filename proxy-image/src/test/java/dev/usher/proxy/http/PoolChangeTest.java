package dev.usher.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.usher.proxy.endpoints.Endpoint;
import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.TestBackend;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The pool changes under load and no request notices; a removed upstream finishes its work, then is let go. */
class PoolChangeTest {

    private static Endpoint ready(TestBackend b) {
        return new Endpoint(new InetSocketAddress("127.0.0.1", b.port()), true);
    }

    @Test
    void removedUpstreamFinishesInFlightRequestsThenItsConnectionsClose() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b");
             ProxyFixture proxy = new ProxyFixture(a)) {
            CompletableFuture<HttpResponse<String>> inFlight = Http.CLIENT.sendAsync(
                    // Long enough that the five requests below end before it does, on a loaded machine too.
                    java.net.http.HttpRequest.newBuilder(proxy.uri("/slow?ms=3000")).build(),
                    HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(5)).until(() -> a.inFlight() == 1);

            proxy.server().pool().update(List.of(ready(b)));

            for (int i = 0; i < 5; i++) {
                assertThat(Http.get(proxy.uri("/hello")).body()).as("new requests go to the new pool").isEqualTo("b");
            }
            assertThat(a.openConnections()).as("the busy connection is not cut").isGreaterThan(0);
            HttpResponse<String> r = inFlight.get(10, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("a");
            await().atMost(Duration.ofSeconds(5)).until(() -> a.openConnections() == 0);
        }
    }

    @Test
    void fencedUpstreamTakesNoNewRequests() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b");
             ProxyFixture proxy = new ProxyFixture(a, b)) {
            proxy.server().pool().update(List.of(new Endpoint(new InetSocketAddress("127.0.0.1", a.port()), false), ready(b)));
            int before = a.requests();
            for (int i = 0; i < 20; i++) {
                assertThat(Http.get(proxy.uri("/hello")).body()).isEqualTo("b");
            }
            assertThat(a.requests()).isEqualTo(before);
        }
    }

    @Test
    void poolChangesUnderConcurrentLoadFailNoRequest() throws Exception {
        List<TestBackend> backends = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            backends.add(new TestBackend("b" + i));
        }
        ExecutorService clients = Executors.newFixedThreadPool(16);
        try (ProxyFixture proxy = new ProxyFixture(backends.get(0), backends.get(1))) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger completed = new AtomicInteger();
            AtomicReference<String> firstFailure = new AtomicReference<>();
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < 16; c++) {
                running.add(clients.submit(() -> {
                    for (int i = 0; i < 2000 && !stop.get(); i++) {
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
            // Each step waits for traffic to flow through the previous pool before changing it again.
            int[][] steps = {{0, 1, 2}, {0, 1, 2, 3, 4, 5}, {3, 4, 5}, {5}, {1, 2}, {0, 1, 2, 3}};
            for (int[] step : steps) {
                List<Endpoint> endpoints = new ArrayList<>();
                for (int i : step) {
                    endpoints.add(ready(backends.get(i)));
                }
                proxy.server().pool().update(endpoints);
                int target = completed.get() + 300;
                await().atMost(Duration.ofSeconds(30)).until(() -> completed.get() >= target || firstFailure.get() != null);
            }
            stop.set(true);
            for (Future<?> f : running) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertThat(firstFailure.get()).as("first failed request").isNull();
            assertThat(completed.get()).isGreaterThanOrEqualTo(1800);
            await().atMost(Duration.ofSeconds(5)).until(() -> backends.get(4).openConnections() == 0);
        } finally {
            clients.shutdownNow();
            backends.forEach(TestBackend::close);
        }
    }
}
