package dev.usher.proxy.balancing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.usher.proxy.config.ConfigLoader;
import dev.usher.proxy.pool.Endpoint;
import dev.usher.proxy.pool.UpstreamPool;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoadBalancerTest {
    private final SlowStart noSlowStart = new SlowStart(Duration.ZERO, () -> 0L);

    @Test
    void namesMapToTheirAlgorithms() {
        assertThat(LoadBalancer.named("round-robin", noSlowStart)).isInstanceOf(RoundRobin.class);
        assertThat(LoadBalancer.named("least-request", noSlowStart)).isInstanceOf(LeastRequest.class);
    }

    // Config validation and the factory are separate lists; a name config accepts must not crash start-up.
    @Test
    void everyNameTheConfigAcceptsBuildsAWorkingBalancer() {
        UpstreamPool pool = new UpstreamPool(() -> 0L);
        pool.update(List.of(new Endpoint(new InetSocketAddress("127.0.0.1", 9001), true)));

        for (String name : ConfigLoader.LOAD_BALANCERS) {
            LoadBalancer lb = LoadBalancer.named(name, noSlowStart);
            assertThat(lb.pick(pool.snapshot().ready(), u -> true)).as(name).isNotNull();
        }
    }

    @Test
    void anUnknownNameIsRejected() {
        assertThatThrownBy(() -> LoadBalancer.named("random", noSlowStart))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("random");
    }
}
