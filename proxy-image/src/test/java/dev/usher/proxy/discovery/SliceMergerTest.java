package dev.usher.proxy.discovery;

import static dev.usher.proxy.discovery.Slices.endpoint;
import static dev.usher.proxy.discovery.Slices.http;
import static dev.usher.proxy.discovery.Slices.notReady;
import static dev.usher.proxy.discovery.Slices.port;
import static dev.usher.proxy.discovery.Slices.ready;
import static dev.usher.proxy.discovery.Slices.slice;
import static dev.usher.proxy.discovery.Slices.terminating;
import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.endpoints.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SliceMergerTest {
    private static final SliceMerger BY_NAME = new SliceMerger(new ServicePort("http"));

    private static InetSocketAddress at(String ip, int port) {
        return new InetSocketAddress(SliceMerger.literal(ip), port);
    }

    @ParameterizedTest(name = "ready={0} serving={1} terminating={2} -> {3}")
    @CsvSource(nullValues = "nil", value = {
            "true,  true,  false, READY",
            "nil,   nil,   nil,   READY",
            "true,  nil,   nil,   READY",
            "false, false, false, NOT_READY",
            "false, nil,   nil,   NOT_READY",
            "false, true,  true,  TERMINATING",
            "nil,   nil,   true,  TERMINATING",
            "false, false, true,  NOT_READY",
            "false, nil,   true,  NOT_READY",
            "false, true,  false, NOT_READY"})
    void conditionsFollowTheApiRules(Boolean ready, Boolean serving, Boolean terminating, EndpointCondition expected) {
        assertThat(SliceMerger.condition(new EndpointConditions(ready, serving, terminating))).isEqualTo(expected);
    }

    @Test
    void noConditionsAtAllMeansReady() {
        assertThat(SliceMerger.condition(null)).isEqualTo(EndpointCondition.READY);
    }

    @Test
    void slicesAreMergedAndAnAddressInTwoSlicesKeepsItsBestCondition() {
        SliceMerger.Merged m = BY_NAME.merge(List.of(
                slice("a", http(8000), ready("10.0.0.1"), terminating("10.0.0.2")),
                slice("b", http(8000), ready("10.0.0.2"), notReady("10.0.0.3"))));

        assertThat(m.endpoints()).containsExactlyInAnyOrderEntriesOf(Map.of(
                at("10.0.0.1", 8000), EndpointCondition.READY,
                at("10.0.0.2", 8000), EndpointCondition.READY,
                at("10.0.0.3", 8000), EndpointCondition.NOT_READY));
        assertThat(m.problems()).isEmpty();
        assertThat(m.poolEndpoints()).containsExactlyInAnyOrder(
                new Endpoint(at("10.0.0.1", 8000), true), new Endpoint(at("10.0.0.2", 8000), true));
    }

    @Test
    void terminatingEndpointsAreFencedAndNotReadyOnesStayOut() {
        SliceMerger.Merged m = BY_NAME.merge(List.of(
                slice("a", http(8000), ready("10.0.0.1"), terminating("10.0.0.2"), notReady("10.0.0.3"))));

        assertThat(m.poolEndpoints()).containsExactly(
                new Endpoint(at("10.0.0.1", 8000), true), new Endpoint(at("10.0.0.2", 8000), false));
    }

    @Test
    void theSameAddressOnDifferentPortsIsTwoEndpoints() {
        SliceMerger.Merged m = BY_NAME.merge(List.of(
                slice("a", http(8000), ready("10.0.0.1")),
                slice("b", http(8001), ready("10.0.0.1"))));

        assertThat(m.endpoints()).containsOnlyKeys(at("10.0.0.1", 8000), at("10.0.0.1", 8001));
    }

    @Test
    void aNamedPortIsResolvedInEachSliceOnItsOwn() {
        SliceMerger.Merged m = BY_NAME.merge(List.of(
                slice("a", List.of(port("metrics", 9090), port("http", 8000)), ready("10.0.0.1")),
                slice("b", List.of(port("http", 8080), port("metrics", 9090)), ready("10.0.0.2"))));

        assertThat(m.endpoints()).containsOnlyKeys(at("10.0.0.1", 8000), at("10.0.0.2", 8080));
    }

    @Test
    void aNumberSelectsTheEndpointsPort() {
        SliceMerger.Merged m = new SliceMerger(new ServicePort("8080")).merge(List.of(
                slice("a", List.of(port("metrics", 9090), port("web", 8080)), ready("10.0.0.1")),
                slice("b", List.of(port("metrics", 9090)), ready("10.0.0.2"))));

        assertThat(m.endpoints()).containsOnlyKeys(at("10.0.0.1", 8080));
        assertThat(m.problems()).containsExactly("b: has no TCP port 8080 (ports: [metrics=9090])");
    }

    @Test
    void aSliceWithoutEndpointsOrPortsIsEmptyAndNoProblem() {
        EndpointSlice empty = slice("empty", http(8000));
        empty.setEndpoints(null); // as the EndpointSlice controller writes it for a Service with no ready pod
        empty.setPorts(null);
        SliceMerger.Merged m = BY_NAME.merge(List.of(empty, slice("none", List.of())));

        assertThat(m.endpoints()).isEmpty();
        assertThat(m.problems()).isEmpty();
    }

    @Test
    void withoutAPortTheSliceMustHaveExactlyOne() {
        SliceMerger merger = new SliceMerger(new ServicePort(null));
        SliceMerger.Merged m = merger.merge(List.of(
                slice("one", http(8000), ready("10.0.0.1")),
                slice("two", List.of(port("http", 8000), port("metrics", 9090)), ready("10.0.0.2"))));

        assertThat(m.endpoints()).containsOnlyKeys(at("10.0.0.1", 8000));
        assertThat(m.problems()).singleElement().asString()
                .startsWith("two: has TCP ports [http=8000, metrics=9090]").contains("upstream.kubernetes.port");
    }

    @Test
    void udpPortsAreNotCandidates() {
        EndpointSlice slice = slice("a", List.of(
                new EndpointPortBuilder().withName("http").withPort(53).withProtocol("UDP").build(),
                port("web", 8000)), ready("10.0.0.1"));

        assertThat(BY_NAME.merge(List.of(slice)).endpoints()).isEmpty();
        assertThat(new SliceMerger(new ServicePort(null)).merge(List.of(slice)).endpoints()).containsOnlyKeys(at("10.0.0.1", 8000));
    }

    @Test
    void ipv6SlicesWork() {
        SliceMerger.Merged m = BY_NAME.merge(List.of(
                slice("v6", "IPv6", http(8000), ready("fd00::1"), terminating("::1")),
                slice("v4", "IPv4", http(8000), ready("10.0.0.1"))));

        assertThat(m.endpoints()).containsOnlyKeys(at("fd00::1", 8000), at("::1", 8000), at("10.0.0.1", 8000));
        assertThat(m.problems()).isEmpty();
    }

    @Test
    void fqdnSlicesAndNonAddressesAreSkippedWithAReasonAndNoDnsLookup() {
        SliceMerger.Merged m = BY_NAME.merge(List.of(
                slice("names", "FQDN", http(8000), ready("backend.example")),
                slice("bad", "IPv4", http(8000), ready("10.0.0.300"), ready("backend.example"), ready("10.0.0.1"))));

        assertThat(m.endpoints()).containsOnlyKeys(at("10.0.0.1", 8000));
        assertThat(m.problems()).containsExactly(
                "bad: '10.0.0.300' is not an IP address",
                "bad: 'backend.example' is not an IP address",
                "names: addressType FQDN is not supported (IPv4 and IPv6 are)");
    }

    @Test
    void onlyTheFirstAddressOfAnEndpointIsUsedSinceTheyAreOnePod() {
        var pod = new EndpointBuilder(ready("10.0.0.1"))
                .addToAddresses("10.0.0.9").build();

        assertThat(BY_NAME.merge(List.of(slice("a", http(8000), pod))).endpoints()).containsOnlyKeys(at("10.0.0.1", 8000));
    }

    @Test
    void mergingIsDeterministicSoAnUnchangedServiceComparesEqual() {
        List<EndpointSlice> slices = List.of(
                slice("a", http(8000), ready("10.0.0.1"), endpoint("10.0.0.2", null, null, null)),
                slice("b", http(8000), terminating("10.0.0.3")));

        assertThat(BY_NAME.merge(slices)).isEqualTo(BY_NAME.merge(List.copyOf(slices)));
    }
}
