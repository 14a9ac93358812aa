package dev.usher.operator.autoscaling;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.usher.operator.autoscaling.DemandSource.ProxyEndpoint;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.testing.TestApps;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The probe against an HTTP server on 127.0.0.1 that answers what the proxy's /upstreams answers (the
 * document's shape is the proxy's AdminEndpointsTest's; the sandbox test reads real proxies).
 */
class ProxyAdminProbeTest {

    private static final String UPSTREAMS = """
            {
              "source" : "kubernetes", "synced" : true, "protocol" : "uwsgi", "queued" : 5,
              "upstreams" : [
                { "address" : "10.244.0.5:8000", "state" : "active", "inFlight" : 2, "concurrency" : 2 },
                { "address" : "10.244.0.6:8000", "state" : "draining", "inFlight" : 1, "concurrency" : 2 }
              ],
              "notInPool" : [ ]
            }
            """;
    private static final ProxiedApp APP = TestApps.app("ns", "a", "image: a");

    private HttpServer server;

    private int serve(int status, String body) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/upstreams", exchange -> {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        return server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void demandIsInFlightOverEveryUpstreamPlusTheQueue() throws Exception {
        assertThat(ProxyAdminProbe.parse(UPSTREAMS)).isEqualTo(8.0);
        assertThat(ProxyAdminProbe.parse("{\"upstreams\":[{\"inFlight\":3}]}")).isEqualTo(3.0);
    }

    @Test
    void sumsTheProxiesOverHttp() throws Exception {
        int port = serve(200, UPSTREAMS);
        ProxyAdminProbe probe = new ProxyAdminProbe(port);
        assertThat(probe.demand(APP, List.of(new ProxyEndpoint("127.0.0.1", true))).join())
                .isEqualTo(OptionalDouble.of(8.0));
    }

    @Test
    void aReadyProxyThatDoesNotAnswerLeavesNoSample() throws Exception {
        int port = serve(200, UPSTREAMS);
        ProxyAdminProbe probe = new ProxyAdminProbe(port);
        // 127.0.0.2 is loopback too, and nothing listens there on that port.
        assertThat(probe.demand(APP, List.of(new ProxyEndpoint("127.0.0.1", true),
                new ProxyEndpoint("127.0.0.2", true))).join()).isEmpty();
        // A proxy not ready yet (or stopping) may be silent: the others' sum stands.
        assertThat(probe.demand(APP, List.of(new ProxyEndpoint("127.0.0.1", true),
                new ProxyEndpoint("127.0.0.2", false))).join()).isEqualTo(OptionalDouble.of(8.0));
        assertThat(probe.demand(APP, List.of()).join()).isEmpty();
    }

    @Test
    void anErrorStatusLeavesNoSample() throws Exception {
        int port = serve(503, "draining\n");
        assertThat(new ProxyAdminProbe(port).demand(APP, List.of(new ProxyEndpoint("127.0.0.1", true))).join()).isEmpty();
    }
}
