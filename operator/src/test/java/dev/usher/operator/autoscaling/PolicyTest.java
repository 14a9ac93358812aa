package dev.usher.operator.autoscaling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.resource.ProxiedAppSpec;
import dev.usher.operator.testing.TestApps;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyTest {

    @Test
    void defaultsAndDurations() {
        Policy p = Policy.of(spec("concurrency: 4\nautoscaling: {maxReplicas: 5, stableWindow: 1.5m, panicWindow: 500ms}"));
        assertThat(p).isEqualTo(new Policy(1, 5, 0.7, 4, Duration.ofSeconds(90), Duration.ofMillis(500),
                Duration.ofSeconds(30)));
        assertThat(p.capacityPerPod()).isCloseTo(2.8, within(1e-9));
        assertThat(Policy.of(spec("concurrency: 1\nautoscaling: {maxReplicas: 1, scaleDownDelay: 0s}"))
                .scaleDownDelay()).isZero();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "autoscaling: {maxReplicas: 5} | needs spec.concurrency",
            "concurrency: 0  ~ autoscaling: {maxReplicas: 5}                 | needs spec.concurrency",
            "concurrency: 2  ~ autoscaling: {minReplicas: 6, maxReplicas: 5} | 1 <= minReplicas <= maxReplicas, not 6 and 5",
            "concurrency: 2  ~ autoscaling: {minReplicas: 0, maxReplicas: 5} | 1 <= minReplicas",
            "concurrency: 2  ~ autoscaling: {maxReplicas: 5, targetUtilization: 0} | more than 0 and at most 1",
            "concurrency: 2  ~ autoscaling: {maxReplicas: 5, targetUtilization: 1.5} | more than 0 and at most 1",
            "concurrency: 2  ~ autoscaling: {maxReplicas: 5, panicWindow: 2m} | must not be longer than stableWindow",
            "concurrency: 2  ~ autoscaling: {maxReplicas: 5, stableWindow: soon} | 'soon' is not a duration",
            "concurrency: 2  ~ autoscaling: {maxReplicas: 5, panicWindow: 0s} | panicWindow must be more than 0"})
    void aSpecItCannotRunSaysWhy(String spec, String problem) {
        // " ~ " stands for a line break, which a CSV row cannot hold
        ProxiedApp app = TestApps.app("ns", "a", spec.replace(" ~ ", "\n") + "\nimage: a");
        assertThat(Policy.problem(app.getSpec())).hasValueSatisfying(p -> assertThat(p).contains(problem));
        assertThatThrownBy(() -> Policy.of(app.getSpec())).hasMessageContaining(problem);
    }

    private static ProxiedAppSpec spec(String yaml) {
        return TestApps.app("ns", "a", "image: a\n" + yaml).getSpec();
    }
}
