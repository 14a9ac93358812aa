package dev.usher.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.usher.proxy.endpoints.Endpoint;
import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.TestBackend;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class AdminEndpointsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void healthReadinessMetricsAndUpstreams() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b");
             ProxyFixture proxy = new ProxyFixture(a, b)) {
            assertThat(Http.get(proxy.adminUri("/healthz")).statusCode()).isEqualTo(200);
            assertThat(Http.get(proxy.adminUri("/readyz")).statusCode()).isEqualTo(200);
            for (int i = 0; i < 4; i++) {
                Http.get(proxy.uri("/hello"));
            }
            Http.get(proxy.uri("/status?code=503"));

            String metrics = Http.get(proxy.adminUri("/metrics")).body();
            assertThat(metrics)
                    .contains("usher_requests_total{status_class=\"2xx\"} 4.0")
                    .contains("usher_requests_total{status_class=\"5xx\"} 1.0")
                    .contains("usher_request_duration_seconds_count 5")
                    .contains("usher_upstreams 2.0")
                    .contains("usher_retries_total 0.0")
                    .contains("usher_client_connections");

            proxy.server().pool().update(List.of(
                    new Endpoint(new InetSocketAddress("127.0.0.1", a.port()), true),
                    new Endpoint(new InetSocketAddress("127.0.0.1", b.port()), false)));
            JsonNode upstreams = JSON.readTree(Http.get(proxy.adminUri("/upstreams")).body());
            assertThat(upstreams.get("source").asText()).isEqualTo("static");
            assertThat(upstreams.get("upstreams")).hasSize(2);
            assertThat(upstreams.get("upstreams").get(0).get("address").asText()).isEqualTo(a.hostPort());
            assertThat(upstreams.get("upstreams").get(0).get("state").asText()).isEqualTo("active");
            assertThat(upstreams.get("upstreams").get(1).get("state").asText()).isEqualTo("draining");
            assertThat(upstreams.get("upstreams").get(1).get("ejected").asBoolean()).isFalse();
            assertThat(Http.get(proxy.adminUri("/nope")).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void accessLogWritesOneJsonLinePerRequest() throws Exception {
        Logger access = (Logger) LoggerFactory.getLogger("usher.access");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        access.addAppender(lines);
        access.setLevel(ch.qos.logback.classic.Level.INFO);
        access.setAdditive(false); // into the list only, not the build's output
        try (TestBackend a = new TestBackend("a");
             ProxyFixture proxy = new ProxyFixture(List.of(a.hostPort()), "accessLog: true")) {
            Http.CLIENT.send(java.net.http.HttpRequest.newBuilder(proxy.uri("/status?code=201"))
                    .header("X-Request-Id", "rid-1").build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            // The line is written as the response goes out, so it may land just after the client has it.
            await().atMost(Duration.ofSeconds(5)).until(() -> lines.list.size() == 1);
            JsonNode line = JSON.readTree(lines.list.get(0).getFormattedMessage());
            assertThat(line.get("method").asText()).isEqualTo("GET");
            assertThat(line.get("uri").asText()).isEqualTo("/status?code=201");
            assertThat(line.get("status").asInt()).isEqualTo(201);
            assertThat(line.get("upstream").asText()).isEqualTo(a.hostPort());
            assertThat(line.get("request_id").asText()).isEqualTo("rid-1");
            assertThat(line.get("client").asText()).isEqualTo("127.0.0.1");
        } finally {
            access.detachAppender(lines);
            access.setAdditive(true);
            access.setLevel(null);
        }
    }
}
