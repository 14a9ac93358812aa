package dev.usher.proxy.discovery;

import static dev.usher.proxy.discovery.DiscoveryFixtures.answers;
import static dev.usher.proxy.discovery.DiscoveryFixtures.awaitReady;
import static dev.usher.proxy.discovery.DiscoveryFixtures.proxy;
import static dev.usher.proxy.discovery.DiscoveryFixtures.upstreams;
import static dev.usher.proxy.discovery.DiscoveryFixtures.upstreamsJson;
import static dev.usher.proxy.discovery.Slices.delete;
import static dev.usher.proxy.discovery.Slices.http;
import static dev.usher.proxy.discovery.Slices.notReady;
import static dev.usher.proxy.discovery.Slices.port;
import static dev.usher.proxy.discovery.Slices.put;
import static dev.usher.proxy.discovery.Slices.ready;
import static dev.usher.proxy.discovery.Slices.slice;
import static dev.usher.proxy.discovery.Slices.terminating;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.usher.proxy.endpoints.Upstream;
import dev.usher.proxy.endpoints.UpstreamPool;
import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.TestBackend;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real proxy following EndpointSlices on fabric8's mock API server, in front of real backends. */
class KubernetesDiscoveryTest {
    @TempDir
    Path dir;

    private MockApiServer api;

    @BeforeEach
    void startApiServer() {
        api = new MockApiServer();
    }

    @AfterEach
    void stopApiServer() {
        api.close();
    }

    @Test
    void poolFollowsCreateUpdateAndDeleteOfASlice() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b");
             ProxyFixture proxy = proxy(dir, api.port(), "readiness: {requireUpstream: true}")) {
            assertThat(Http.get(proxy.adminUri("/readyz")).body()).isEqualTo("no ready upstream\n");

            put(api.client(), slice("shop-backend-1", http(a.port()), ready("127.0.0.1")));
            awaitReady(proxy, a.hostPort());
            assertThat(answers(proxy, 5)).containsExactly("a");
            assertThat(Http.get(proxy.adminUri("/readyz")).statusCode()).isEqualTo(200);

            put(api.client(), slice("shop-backend-1", http(b.port()), ready("127.0.0.1")));
            awaitReady(proxy, b.hostPort());
            assertThat(answers(proxy, 5)).containsExactly("b");

            delete(api.client(), "shop-backend-1");
            awaitReady(proxy);
            assertThat(proxy.server().pool().snapshot().all()).isEmpty();
            assertThat(answers(proxy, 1)).containsExactly("status 503");
            assertThat(Http.get(proxy.adminUri("/readyz")).statusCode()).isEqualTo(503);
        }
    }

    @Test
    void severalSlicesAreMergedAndAnEndpointInTwoSlicesCountsOnce() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b"); TestBackend c = new TestBackend("c")) {
            put(api.client(), slice("shop-backend-1", http(a.port()), ready("127.0.0.1")));
            put(api.client(), slice("shop-backend-2", http(b.port()), ready("127.0.0.1")));
            // Mid-rebalance, the controller can list an endpoint in two slices: the better condition wins.
            put(api.client(), slice("shop-backend-3", http(a.port()), terminating("127.0.0.1")));
            put(api.client(), slice("shop-backend-4", http(c.port()), ready("127.0.0.1")));
            try (ProxyFixture proxy = proxy(dir, api.port(), "loadBalancing: round-robin")) {
                assertThat(upstreams(proxy, Upstream.State.ACTIVE)).containsExactlyInAnyOrder(a.hostPort(), b.hostPort(), c.hostPort());
                assertThat(proxy.server().pool().snapshot().all()).hasSize(3);
                assertThat(answers(proxy, 6)).containsExactly("a", "b", "c");
            }
        }
    }

    @Test
    void readyThenTerminatingThenGoneFinishesTheRequestInFlight() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b")) {
            put(api.client(), slice("shop-backend-a", http(a.port()), ready("127.0.0.1")));
            put(api.client(), slice("shop-backend-b", http(b.port()), notReady("127.0.0.1")));
            try (ProxyFixture proxy = proxy(dir, api.port(), "")) {
                JsonNode view = upstreamsJson(proxy);
                assertThat(view.get("source").asText()).isEqualTo("kubernetes");
                assertThat(view.get("synced").asBoolean()).isTrue();
                assertThat(view.get("lastSync").asText()).isNotEmpty();
                assertThat(view.get("notInPool").get(0).get("address").asText()).isEqualTo(b.hostPort());
                assertThat(view.get("notInPool").get(0).get("condition").asText()).isEqualTo("not-ready");

                CompletableFuture<HttpResponse<String>> inFlight = Http.CLIENT.sendAsync(
                        HttpRequest.newBuilder(proxy.uri("/slow?ms=1500")).build(), HttpResponse.BodyHandlers.ofString());
                await().atMost(Duration.ofSeconds(5)).until(() -> a.inFlight() == 1);

                put(api.client(), slice("shop-backend-a", http(a.port()), terminating("127.0.0.1")));
                put(api.client(), slice("shop-backend-b", http(b.port()), ready("127.0.0.1")));
                awaitReady(proxy, b.hostPort());
                assertThat(upstreams(proxy, Upstream.State.DRAINING)).containsExactly(a.hostPort());
                JsonNode fenced = upstreamsJson(proxy).get("upstreams").get(0);
                assertThat(fenced.get("address").asText()).isEqualTo(a.hostPort());
                assertThat(fenced.get("condition").asText()).isEqualTo("terminating");
                assertThat(fenced.get("state").asText()).isEqualTo("draining");
                assertThat(answers(proxy, 5)).as("a fenced upstream takes no new requests").containsExactly("b");

                delete(api.client(), "shop-backend-a");
                await().atMost(Duration.ofSeconds(10)).until(() -> proxy.server().pool().snapshot().all().size() == 1);
                assertThat(inFlight.isDone()).as("still in flight after its upstream left the pool").isFalse();

                HttpResponse<String> r = inFlight.get(10, TimeUnit.SECONDS);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("a");
                await().atMost(Duration.ofSeconds(5)).until(() -> a.openConnections() == 0);
            }
        }
    }

    @Test
    void theNamedPortIsResolvedInEachSlice() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b");
             TestBackend metrics = new TestBackend("metrics")) {
            put(api.client(), slice("shop-backend-1", List.of(port("metrics", metrics.port()), port("http", a.port())),
                    ready("127.0.0.1")));
            put(api.client(), slice("shop-backend-2", List.of(port("http", b.port()), port("metrics", metrics.port())),
                    ready("127.0.0.1")));
            try (ProxyFixture proxy = proxy(dir, api.port(), "loadBalancing: round-robin")) {
                assertThat(answers(proxy, 6)).containsExactly("a", "b");
                assertThat(metrics.requests()).isZero();
            }
        }
    }

    @Test
    void changesThatMatterNotToThePoolLeaveItsSnapshotAlone() throws Exception {
        try (TestBackend a = new TestBackend("a")) {
            EndpointSlice slice = slice("shop-backend-1", http(a.port()), ready("127.0.0.1"));
            put(api.client(), slice);
            try (ProxyFixture proxy = proxy(dir, api.port(), "")) {
                UpstreamPool.Snapshot before = proxy.server().pool().snapshot();
                String lastSync = upstreamsJson(proxy).get("lastSync").asText();

                put(api.client(), new EndpointSliceBuilder(slice)
                        .editMetadata().addToAnnotations("endpoints.kubernetes.io/last-change-trigger-time", "now").endMetadata()
                        .withEndpoints(new EndpointBuilder(ready("127.0.0.1")).withNodeName("node-1").withNewHints()
                                .addNewForZone("zone-a").endHints().build())
                        .build());
                await().atMost(Duration.ofSeconds(10)).until(() -> !upstreamsJson(proxy).get("lastSync").asText().equals(lastSync));

                assertThat(proxy.server().pool().snapshot()).isSameAs(before);
            }
        }
    }

    @Test
    void aWatchClosedByTheServerResumesWithNoLostUpdate() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b")) {
            put(api.client(), slice("shop-backend-a", http(a.port()), ready("127.0.0.1")));
            try (ProxyFixture proxy = proxy(dir, api.port(), "")) {
                await().atMost(Duration.ofSeconds(5)).until(() -> api.openWatches() == 1);
                int watches = api.watchRequests();

                api.closeWatches();
                delete(api.client(), "shop-backend-a");
                put(api.client(), slice("shop-backend-b", http(b.port()), ready("127.0.0.1")));

                awaitReady(proxy, b.hostPort());
                await().atMost(Duration.ofSeconds(10)).until(() -> api.openWatches() == 1 && api.watchRequests() > watches);
                put(api.client(), slice("shop-backend-a", http(a.port()), ready("127.0.0.1")));
                awaitReady(proxy, a.hostPort(), b.hostPort());
            }
        }
    }

    @Test
    void aWatchExpiredWith410GoneRelistsWithNoLostUpdate() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b")) {
            put(api.client(), slice("shop-backend-a", http(a.port()), ready("127.0.0.1")));
            try (ProxyFixture proxy = proxy(dir, api.port(), "")) {
                await().atMost(Duration.ofSeconds(5)).until(() -> api.openWatches() == 1);
                int lists = api.lists();

                api.expireWatches();
                delete(api.client(), "shop-backend-a");
                put(api.client(), slice("shop-backend-b", http(b.port()), ready("127.0.0.1")));

                awaitReady(proxy, b.hostPort());
                assertThat(api.lists()).as("relisted after 410 Gone").isGreaterThan(lists);
                await().atMost(Duration.ofSeconds(10)).until(() -> api.openWatches() == 1);
                delete(api.client(), "shop-backend-b");
                awaitReady(proxy);
            }
        }
    }

    @Test
    void apiServerDownThenBackKeepsServingTheLastPoolThenCatchesUp() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b");
             TcpLink link = new TcpLink(api.port())) {
            put(api.client(), slice("shop-backend-a", http(a.port()), ready("127.0.0.1")));
            try (ProxyFixture proxy = proxy(dir, link.port(), "")) {
                await().atMost(Duration.ofSeconds(5)).until(() -> upstreamsJson(proxy).get("connected").asBoolean());

                link.down();
                await().atMost(Duration.ofSeconds(10)).until(() -> !upstreamsJson(proxy).get("connected").asBoolean());
                // Changed while the proxy cannot see: a deletion, which a resumed watch alone would never report.
                delete(api.client(), "shop-backend-a");
                put(api.client(), slice("shop-backend-b", http(b.port()), ready("127.0.0.1")));
                assertThat(answers(proxy, 5)).as("the last pool keeps serving").containsExactly("a");
                assertThat(Http.get(proxy.adminUri("/readyz")).statusCode()).isEqualTo(200);

                link.up();
                awaitReady(proxy, b.hostPort());
                assertThat(answers(proxy, 5)).containsExactly("b");
                await().atMost(Duration.ofSeconds(10)).until(() -> upstreamsJson(proxy).get("connected").asBoolean());
            }
        }
    }

    @Test
    void notReadyUntilTheFirstListIsApplied() throws Exception {
        try (TestBackend a = new TestBackend("a"); TcpLink link = new TcpLink(api.port())) {
            link.down();
            try (ProxyFixture proxy = proxy(dir, link.port(), "")) {
                HttpResponse<String> readyz = Http.get(proxy.adminUri("/readyz"));
                assertThat(readyz.statusCode()).isEqualTo(503);
                assertThat(readyz.body()).isEqualTo("no upstream list yet from kubernetes discovery\n");
                assertThat(upstreamsJson(proxy).get("synced").asBoolean()).isFalse();

                put(api.client(), slice("shop-backend-a", http(a.port()), ready("127.0.0.1")));
                link.up();
                await().atMost(Duration.ofSeconds(15)).until(() -> Http.get(proxy.adminUri("/readyz")).statusCode() == 200);
                assertThat(answers(proxy, 3)).containsExactly("a");
            }
        }
    }

    @Test
    void onlyTheServicesSlicesInItsNamespaceAreReadNothingClusterWide() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend other = new TestBackend("other")) {
            put(api.client(), slice("shop-backend-a", http(a.port()), ready("127.0.0.1")));
            EndpointSlice foreign = new EndpointSliceBuilder(slice("other-1", http(other.port()), ready("127.0.0.1")))
                    .editMetadata().addToLabels(KubernetesSource.SERVICE_LABEL, "other").endMetadata().build();
            put(api.client(), foreign);
            try (ProxyFixture proxy = proxy(dir, api.port(), "")) {
                assertThat(upstreams(proxy, Upstream.State.ACTIVE)).containsExactly(a.hostPort());
                assertThat(api.requests()).isNotEmpty().allSatisfy(path -> assertThat(path)
                        .startsWith("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?")
                        .contains("labelSelector=kubernetes.io%2Fservice-name%3Dshop-backend"));
            }
        }
    }
}
