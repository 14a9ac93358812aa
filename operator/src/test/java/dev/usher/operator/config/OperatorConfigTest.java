package dev.usher.operator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OperatorConfigTest {

    @Test
    void defaults() {
        OperatorConfig c = OperatorConfig.parse(new String[0], Map.of("HOSTNAME", "usher-operator-7d9c"));
        assertThat(c.namespaces()).isEmpty();
        assertThat(c.proxyImage()).startsWith("usher-proxy:").doesNotContain("${");
        assertThat(c.serverSideApply()).isTrue();
        assertThat(c.leaderElection()).isTrue();
        assertThat(c.leaseNamespace()).isEmpty();
        assertThat(c.identity()).isEqualTo("usher-operator-7d9c");
        assertThat(c.http().getPort()).isEqualTo(8081);
        assertThat(c.resync()).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void flagsWinOverEnvironment() {
        OperatorConfig c = OperatorConfig.parse(
                new String[] {"--namespaces", "shop, blog", "--resync=30s", "--http", "127.0.0.1:9000",
                        "--server-side-apply", "true"},
                Map.of("USHER_NAMESPACES", "ignored", "USHER_PROXY_IMAGE", "reg/proxy:1",
                        "USHER_LEADER_ELECTION", "false", "USHER_LEASE_NAMESPACE", "ops", "USHER_IDENTITY", "me"));
        assertThat(c.namespaces()).isEqualTo(Set.of("shop", "blog"));
        assertThat(c.resync()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.http().getHostString()).isEqualTo("127.0.0.1");
        assertThat(c.http().getPort()).isEqualTo(9000);
        assertThat(c.serverSideApply()).isTrue();
        assertThat(c.proxyImage()).isEqualTo("reg/proxy:1");
        assertThat(c.leaderElection()).isFalse();
        assertThat(c.leaseNamespace()).isEqualTo(Optional.of("ops"));
        assertThat(c.identity()).isEqualTo("me");
    }

    @Test
    void badValuesNameTheirFlag() {
        assertThatThrownBy(() -> OperatorConfig.parse(new String[] {"--resync", "soon"}, Map.of()))
                .hasMessage("--resync: 'soon' is not a duration such as 30s or 10m");
        assertThatThrownBy(() -> OperatorConfig.parse(new String[] {"--leader-election", "yes"}, Map.of()))
                .hasMessage("--leader-election: 'yes' is not true or false");
        assertThatThrownBy(() -> OperatorConfig.parse(new String[] {"--http", "localhost"}, Map.of()))
                .hasMessage("--http: 'localhost' is not host:port");
        assertThatThrownBy(() -> OperatorConfig.parse(new String[] {"--namspaces", "a"}, Map.of()))
                .hasMessage("--namspaces: unknown flag (see --help)");
        assertThatThrownBy(() -> OperatorConfig.parse(new String[] {"--proxy-image"}, Map.of()))
                .hasMessage("--proxy-image: needs a value");
        assertThatThrownBy(() -> OperatorConfig.parse(new String[0], Map.of("USHER_RESYNC", "0s")))
                .hasMessage("--resync: must be more than 0");
    }

    @Test
    void helpListsEveryFlagWithItsVariable() {
        assertThat(OperatorConfig.help()).contains("--namespaces", "USHER_NAMESPACES", "--proxy-image",
                "USHER_PROXY_IMAGE", "--server-side-apply", "USHER_SERVER_SIDE_APPLY", "--leader-election", "--http",
                "--resync", "--help");
    }
}
