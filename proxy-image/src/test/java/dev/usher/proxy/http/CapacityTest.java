package dev.usher.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.usher.proxy.endpoints.Endpoint;
import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.TestBackend;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * upstream.concurrency and the wait queue: a backend never has more requests in flight than it can serve, the
 * excess waits in the proxy in arrival order, and an overload the queue cannot absorb is 503 with Retry-After.
 */
class CapacityTest {

    @Test
    void noBackendGetsMoreThanItsConcurrencyAndEveryRequestIsServed() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(12);
        try (TestBackend a = new TestBackend("a", 100);
             TestBackend b = new TestBackend("b", 100);
             ProxyFixture proxy = new ProxyFixture(List.of(a.hostPort(), b.hostPort()),
                     "upstream: {concurrency: 2}\nqueue: {maxLength: 100, timeout: 30s}\nslowStart: 0s")) {
            List<CompletableFuture<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
                answers.add(CompletableFuture.supplyAsync(() -> get(proxy, "/hello").statusCode(), clients));
            }
            for (CompletableFuture<Integer> answer : answers) {
                assertThat(answer.get(60, TimeUnit.SECONDS)).isEqualTo(200);
            }
            assertThat(a.maxInFlight()).as("most in flight at backend a").isLessThanOrEqualTo(2);
            assertThat(b.maxInFlight()).as("most in flight at backend b").isLessThanOrEqualTo(2);
            assertThat(a.requests() + b.requests()).isEqualTo(48);
            String metrics = Http.get(proxy.adminUri("/metrics")).body();
            assertThat(metrics).contains("usher_queue_length 0.0").contains("usher_queue_wait_seconds_count");
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void aFullQueueIs503WithRetryAfter() throws Exception {
        try (TestBackend slow = new TestBackend("slow");
             ProxyFixture proxy = new ProxyFixture(List.of(slow.hostPort()),
                     "upstream: {concurrency: 1}\nqueue: {maxLength: 1, timeout: 30s}");
             RawHttp busy = new RawHttp(proxy.port());
             RawHttp waiting = new RawHttp(proxy.port());
             RawHttp turnedAway = new RawHttp(proxy.port())) {
            busy.send("GET /slow?ms=1500 HTTP/1.1\r\nHost: a\r\n\r\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> slow.inFlight() == 1);
            waiting.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.server().metrics().contains("usher_queue_length 1.0"));
            String response = turnedAway.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
            assertThat(response).startsWith("HTTP/1.1 503 ").containsIgnoringCase("retry-after: 1");
            assertThat(busy.readResponse()).startsWith("HTTP/1.1 200 ");
            assertThat(waiting.readResponse()).as("the waiting request is served once the slot frees").startsWith("HTTP/1.1 200 ");
            assertThat(proxy.server().metrics()).contains("usher_queue_rejected_total{reason=\"full\"} 1.0");
        }
    }

    @Test
    void aWaitOverTheTimeoutIs503AndAClientThatLeavesLeavesTheQueue() throws Exception {
        try (TestBackend slow = new TestBackend("slow");
             ProxyFixture proxy = new ProxyFixture(List.of(slow.hostPort()),
                     "upstream: {concurrency: 1}\nqueue: {maxLength: 10, timeout: 300ms}");
             RawHttp busy = new RawHttp(proxy.port())) {
            busy.send("GET /slow?ms=3000 HTTP/1.1\r\nHost: a\r\n\r\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> slow.inFlight() == 1);
            try (RawHttp leaving = new RawHttp(proxy.port())) {
                leaving.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
                await().atMost(Duration.ofSeconds(5)).until(() -> proxy.server().metrics().contains("usher_queue_length 1.0"));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.server().metrics().contains("usher_queue_length 0.0"));
            try (RawHttp late = new RawHttp(proxy.port())) {
                assertThat(late.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n").readResponse())
                        .startsWith("HTTP/1.1 503 ").containsIgnoringCase("retry-after: 1");
            }
            assertThat(proxy.server().metrics()).contains("usher_queue_rejected_total{reason=\"timeout\"} 1.0");
            assertThat(slow.requests("/hello")).as("nothing that waited reached the backend").isZero();
        }
    }

    @Test
    void anEjectedUpstreamWithRoomDoesNotStopTheQueue() throws Exception {
        int deadPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        try (TestBackend live = new TestBackend("live");
             ProxyFixture proxy = new ProxyFixture(List.of(live.hostPort(), "127.0.0.1:" + deadPort), """
                     upstream: {concurrency: 1}
                     loadBalancing: round-robin
                     retries: {attempts: 1}
                     outlierDetection: {consecutiveFailures: 1, baseEjection: 60s}
                     slowStart: 0s
                     """);
             RawHttp busy = new RawHttp(proxy.port());
             RawHttp waiting = new RawHttp(proxy.port())) {
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                get(proxy, "/hello");
                return Http.get(proxy.adminUri("/upstreams")).body().contains("\"ejected\" : true");
            });
            busy.send("GET /slow?ms=1000 HTTP/1.1\r\nHost: a\r\n\r\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> live.inFlight() == 1);
            waiting.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(busy.readResponse()).startsWith("HTTP/1.1 200 ");
            assertThat(waiting.readResponse()).as("served by the live upstream once it has room").startsWith("HTTP/1.1 200 ");
        }
    }

    /** A scale-up: requests already waiting go to the new pod at once, not when the busy one frees its slot. */
    @Test
    void waitingRequestsTakeAnUpstreamThatJoinsThePool() throws Exception {
        try (TestBackend busy = new TestBackend("busy");
             TestBackend joining = new TestBackend("joining");
             ProxyFixture proxy = new ProxyFixture(List.of(busy.hostPort()),
                     "upstream: {concurrency: 1}\nqueue: {maxLength: 10, timeout: 30s}\nslowStart: 0s");
             RawHttp slow = new RawHttp(proxy.port());
             RawHttp first = new RawHttp(proxy.port());
             RawHttp second = new RawHttp(proxy.port())) {
            slow.send("GET /slow?ms=8000 HTTP/1.1\r\nHost: a\r\n\r\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> busy.inFlight() == 1);
            first.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
            second.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.server().metrics().contains("usher_queue_length 2.0"));

            proxy.server().pool().update(List.of(ready(busy), ready(joining)));

            assertThat(first.readResponse()).startsWith("HTTP/1.1 200 ");
            assertThat(second.readResponse()).startsWith("HTTP/1.1 200 ");
            assertThat(joining.requests("/hello")).isEqualTo(2);
            assertThat(busy.inFlight()).as("the slow request, still running when both were answered").isEqualTo(1);
        }
    }

    private static Endpoint ready(TestBackend backend) {
        return new Endpoint(new InetSocketAddress("127.0.0.1", backend.port()), true);
    }

    private static HttpResponse<String> get(ProxyFixture proxy, String path) {
        try {
            return Http.get(proxy.uri(path));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
