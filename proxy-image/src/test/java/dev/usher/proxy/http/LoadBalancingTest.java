package dev.usher.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.TestBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LoadBalancingTest {
    private static final int CLIENTS = 16;
    private static final int REQUESTS_EACH = 25;

    @Test
    void leastRequestSendsLessToASlowUpstream() throws Exception {
        try (TestBackend fast = new TestBackend("fast");
             TestBackend slow = new TestBackend("slow", 40);
             ProxyFixture proxy = new ProxyFixture(List.of(fast.hostPort(), slow.hostPort()), "loadBalancing: least-request")) {
            runConcurrently(proxy);
            int total = fast.requests() + slow.requests();
            assertThat(total).isEqualTo(CLIENTS * REQUESTS_EACH);
            // Round-robin would give the slow one half; least-request should keep it well below a quarter.
            assertThat(slow.requests()).isLessThan(total / 4);
        }
    }

    @Test
    void roundRobinSpreadsEvenly() throws Exception {
        try (TestBackend a = new TestBackend("a");
             TestBackend b = new TestBackend("b");
             ProxyFixture proxy = new ProxyFixture(List.of(a.hostPort(), b.hostPort()), "loadBalancing: round-robin")) {
            for (int i = 0; i < 100; i++) {
                assertThat(Http.get(proxy.uri("/hello")).statusCode()).isEqualTo(200);
            }
            assertThat(a.requests()).isEqualTo(50);
            assertThat(b.requests()).isEqualTo(50);
        }
    }

    private static void runConcurrently(ProxyFixture proxy) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                results.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < REQUESTS_EACH; i++) {
                        if (Http.get(proxy.uri("/hello")).statusCode() == 200) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            for (Future<Integer> f : results) {
                assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(REQUESTS_EACH);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
