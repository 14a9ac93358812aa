package dev.usher.proxy.warmup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.LogCapture;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.ProxyProcess;
import dev.usher.proxy.testing.RecordingBackend;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The warm-up users rely on: {@code /readyz} answers 200 only after it, it sends nothing to their upstreams and
 * leaves their meters and access log alone, it speaks the configured protocol, and its timeout bounds the wait.
 */
class WarmupTest {

    @ParameterizedTest
    @EnumSource(RecordingBackend.Protocol.class)
    void readyAfterTheWarmupWhichTheUpstreamMetricsAndAccessLogNeverSee(RecordingBackend.Protocol protocol)
            throws Exception {
        String name = protocol.name().toLowerCase(Locale.ROOT);
        try (RecordingBackend upstream = new RecordingBackend(protocol);
             LogCapture log = new LogCapture();
             LogCapture access = new LogCapture("usher.access");
             ProxyFixture proxy = new ProxyFixture(List.of(upstream.hostPort()), """
                     upstream: {protocol: %s}
                     accessLog: true
                     warmup: {requests: 2000, timeout: 60s}
                     """.formatted(name))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> Http.get(proxy.adminUri("/readyz")).statusCode() == 200);

            // Ready only once it has ended: the line is logged before readiness turns.
            assertThat(log.lines()).anyMatch(l -> l.matches(
                    "INFO warm-up: 2000 of 2000 requests through " + name + " on 2 event loops in \\d+ ms"));
            assertThat(upstream.seen()).isEmpty();
            String metrics = Http.get(proxy.adminUri("/metrics")).body();
            assertThat(metrics).contains("usher_requests_total{status_class=\"2xx\"} 0.0", "usher_client_connections 0.0");
            assertThat(access.lines()).isEmpty();

            // The same meters, log and upstream see a user's request: what was looked at above can show one.
            assertThat(Http.get(proxy.uri("/after")).statusCode()).isEqualTo(200);
            assertThat(upstream.seen()).singleElement().extracting(RecordingBackend.Seen::target).isEqualTo("/after");
            await().atMost(Duration.ofSeconds(5)).until(() -> access.lines().size() == 1);
            assertThat(Http.get(proxy.adminUri("/metrics")).body())
                    .contains("usher_requests_total{status_class=\"2xx\"} 1.0");
        }
    }

    @Test
    void theTimeoutBoundsTheWaitForReadiness() throws Exception {
        try (RecordingBackend upstream = new RecordingBackend(RecordingBackend.Protocol.HTTP);
             LogCapture log = new LogCapture();
             ProxyFixture proxy = new ProxyFixture(List.of(upstream.hostPort()),
                     "warmup: {requests: 1000000, timeout: 2s}")) {
            HttpResponse<String> first = Http.get(proxy.adminUri("/readyz"));
            assertThat(first.statusCode()).isEqualTo(503);
            assertThat(first.body()).startsWith("warming up: ").endsWith(" of 1000000 requests\n");

            await().atMost(Duration.ofSeconds(20)).until(() -> Http.get(proxy.adminUri("/readyz")).statusCode() == 200);

            assertThat(log.warnings()).isEmpty();
            assertThat(log.lines()).anyMatch(l -> l.matches("INFO warm-up: \\d+ of 1000000 requests through http on 2"
                    + " event loops in \\d+ ms; timed out after 2000 ms, ready all the same"));
            assertThat(upstream.seen()).isEmpty();
            assertThat(Http.get(proxy.uri("/after")).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void zeroRequestsIsNoWarmup() throws Exception {
        try (RecordingBackend upstream = new RecordingBackend(RecordingBackend.Protocol.HTTP);
             LogCapture log = new LogCapture();
             ProxyFixture proxy = new ProxyFixture(List.of(upstream.hostPort()), "warmup: {requests: 0}")) {
            assertThat(Http.get(proxy.adminUri("/readyz")).statusCode()).isEqualTo(200);
            assertThat(log.lines()).noneMatch(l -> l.contains("warm-up"));
        }
    }

    /** Requests the user's config refuses (a vars block over upstream.uwsgi.bufferSize gets 431) end it early. */
    @Test
    void aWarmupThatFailsIsOneWarningAndTheProxyIsReadyAllTheSame() throws Exception {
        try (RecordingBackend upstream = new RecordingBackend(RecordingBackend.Protocol.UWSGI);
             LogCapture log = new LogCapture();
             ProxyFixture proxy = new ProxyFixture(List.of(upstream.hostPort()), """
                     upstream: {protocol: uwsgi, uwsgi: {bufferSize: 512, params: {PADDING: "%s"}}}
                     warmup: {requests: 2000, timeout: 60s}
                     """.formatted("x".repeat(600)))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> Http.get(proxy.adminUri("/readyz")).statusCode() == 200);

            assertThat(log.warnings()).singleElement().asString()
                    .startsWith("WARN warm-up failed, ready all the same: a request failed: status 431 from the proxy; ");
            assertThat(upstream.seen()).isEmpty();
        }
    }

    @Test
    void aShutdownDuringTheWarmupEndsIt() throws Exception {
        try (RecordingBackend upstream = new RecordingBackend(RecordingBackend.Protocol.HTTP);
             LogCapture log = new LogCapture()) {
            ProxyFixture proxy = new ProxyFixture(List.of(upstream.hostPort()),
                    "warmup: {requests: 1000000, timeout: 60s}");
            assertThat(Http.get(proxy.adminUri("/readyz")).body()).startsWith("warming up: ");

            proxy.close();

            assertThat(log.lines()).contains("INFO stopped").anyMatch(l -> l.startsWith("INFO warm-up: ")
                    && l.endsWith("; stopped: the proxy is shutting down, ready all the same"));
            assertThat(log.warnings()).isEmpty();
            assertThat(upstream.seen()).isEmpty();
        }
    }

    /** As Kubernetes stops a pod that is still starting: the production default (warm-up on), SIGTERM, exit 0. */
    @Test
    void sigtermDuringTheWarmupExitsCleanly() throws Exception {
        try (RecordingBackend upstream = new RecordingBackend(RecordingBackend.Protocol.HTTP);
             ProxyProcess proxy = new ProxyProcess(List.of("-Xmx128m"),
                     List.of("--upstream", upstream.hostPort(), "--warmup-requests", "1000000"))) {
            URI readyz = URI.create("http://127.0.0.1:" + proxy.adminPort() + "/readyz");
            await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(readyz).body().startsWith("warming up: "));

            proxy.terminate();

            assertThat(proxy.process().waitFor(20, TimeUnit.SECONDS)).as("exited; output %s", proxy.output()).isTrue();
            assertThat(proxy.process().exitValue()).isZero();
            assertThat(upstream.seen()).isEmpty();
        }
    }
}
