package dev.usher.proxy.balancing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.config.LoadBalancing;
import dev.usher.proxy.endpoints.Endpoint;
import dev.usher.proxy.endpoints.UpstreamPool;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoadBalancerTest {
    private final SlowStart noSlowStart = new SlowStart(Duration.ZERO, () -> 0L);

    @Test
    void namesMapToTheirAlgorithms() {
        assertThat(LoadBalancer.of(LoadBalancing.ROUND_ROBIN, noSlowStart)).isInstanceOf(RoundRobin.class);
        assertThat(LoadBalancer.of(LoadBalancing.LEAST_REQUEST, noSlowStart)).isInstanceOf(LeastRequest.class);
    }

    @Test
    void everyAlgorithmTheConfigAcceptsBuildsAWorkingBalancerWithOrWithoutSlowStart() {
        UpstreamPool pool = new UpstreamPool(() -> 0L);
        pool.update(List.of(new Endpoint(new InetSocketAddress("127.0.0.1", 9001), true)));

        SlowStart slowStart = new SlowStart(Duration.ofSeconds(10), () -> 0L);
        for (LoadBalancing algorithm : LoadBalancing.values()) {
            assertThat(LoadBalancer.of(algorithm, noSlowStart).pick(pool.snapshot().ready(), u -> true)).as(algorithm.key()).isNotNull();
            assertThat(LoadBalancer.of(algorithm, slowStart).pick(pool.snapshot().ready(), u -> true)).as(algorithm.key()).isNotNull();
        }
    }

}
