package dev.usher.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.TestBackend;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The load that /upstreams shows, which the operator's autoscaler reads from every proxy (its
 * ProxyAdminProbe sums each upstream's inFlight and the queued count): a request at a backend counts
 * as in flight there, one waiting for a slot as queued, and both go back to 0 when they are answered.
 */
class UpstreamsLoadTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void inFlightAndQueuedCountTheRequestsAtTheBackendAndWaitingForIt() throws Exception {
        try (TestBackend slow = new TestBackend("slow");
             ProxyFixture proxy = new ProxyFixture(List.of(slow.hostPort()),
                     "upstream: {concurrency: 1}\nqueue: {maxLength: 10, timeout: 30s}\nslowStart: 0s");
             RawHttp busy = new RawHttp(proxy.port());
             RawHttp first = new RawHttp(proxy.port());
             RawHttp second = new RawHttp(proxy.port())) {
            busy.send("GET /slow?ms=8000 HTTP/1.1\r\nHost: a\r\n\r\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> slow.inFlight() == 1);
            first.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
            second.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                JsonNode upstreams = upstreams(proxy);
                assertThat(upstreams.get("queued").asInt()).isEqualTo(2);
                assertThat(upstreams.get("upstreams")).singleElement()
                        .satisfies(u -> assertThat(u.get("inFlight").asInt()).isEqualTo(1));
            });
            assertThat(busy.readResponse()).startsWith("HTTP/1.1 200 ");
            assertThat(first.readResponse()).startsWith("HTTP/1.1 200 ");
            assertThat(second.readResponse()).startsWith("HTTP/1.1 200 ");
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                JsonNode upstreams = upstreams(proxy);
                assertThat(upstreams.get("queued").asInt()).isZero();
                assertThat(upstreams.get("upstreams").get(0).get("inFlight").asInt()).isZero();
            });
        }
    }

    private static JsonNode upstreams(ProxyFixture proxy) throws Exception {
        return JSON.readTree(Http.get(proxy.adminUri("/upstreams")).body());
    }
}
