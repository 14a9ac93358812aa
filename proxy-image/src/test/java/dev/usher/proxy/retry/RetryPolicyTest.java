package dev.usher.proxy.retry;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpMethod;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RetryPolicyTest {
    private final AtomicLong clock = new AtomicLong();

    /** A budget that never says no, so these tests see only the policy's own rules. */
    private RetryPolicy unlimited(int attempts) {
        return new RetryPolicy(attempts, new RetryBudget(0.0, Integer.MAX_VALUE, clock::get));
    }

    @Test
    void attemptsCountTheFirstTry() {
        RetryPolicy twoAttempts = unlimited(2);
        assertThat(twoAttempts.mayRetry(1, false, HttpMethod.GET, false)).isTrue();
        assertThat(twoAttempts.mayRetry(2, false, HttpMethod.GET, false)).isFalse();

        RetryPolicy oneAttempt = unlimited(1);
        assertThat(oneAttempt.mayRetry(1, false, HttpMethod.GET, false)).as("attempts 1 means no retries").isFalse();

        RetryPolicy threeAttempts = unlimited(3);
        assertThat(threeAttempts.mayRetry(2, false, HttpMethod.GET, false)).isTrue();
        assertThat(threeAttempts.mayRetry(3, false, HttpMethod.GET, false)).isFalse();
    }

    // Nothing reached the upstream, so even a POST with a body cannot be applied twice.
    @ParameterizedTest
    @ValueSource(strings = {"GET", "POST", "PATCH", "PUT", "DELETE", "CONNECT"})
    void aConnectFailureIsRetriedForAnyMethod(String method) {
        RetryPolicy policy = unlimited(2);

        assertThat(policy.mayRetry(1, false, HttpMethod.valueOf(method), false)).isTrue();
        assertThat(policy.mayRetry(1, false, HttpMethod.valueOf(method), true)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
    void aSentIdempotentRequestWithoutABodyIsRetried(String method) {
        assertThat(unlimited(2).mayRetry(1, true, HttpMethod.valueOf(method), false)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PATCH", "CONNECT"})
    void aSentNonIdempotentRequestIsNotRetried(String method) {
        assertThat(unlimited(2).mayRetry(1, true, HttpMethod.valueOf(method), false)).isFalse();
    }

    // The body was streamed to the failed upstream and not kept, so there is nothing to send again.
    @ParameterizedTest
    @ValueSource(strings = {"GET", "PUT", "DELETE"})
    void aSentRequestWithABodyIsNotRetriedEvenIfIdempotent(String method) {
        assertThat(unlimited(2).mayRetry(1, true, HttpMethod.valueOf(method), true)).isFalse();
    }

    @Test
    void anExhaustedBudgetStopsRetriesThePolicyWouldAllow() {
        RetryPolicy policy = new RetryPolicy(5, new RetryBudget(1.0, 0, clock::get));
        assertThat(policy.mayRetry(1, false, HttpMethod.GET, false)).as("no requests, no budget").isFalse();

        policy.requestStarted();

        assertThat(policy.mayRetry(1, false, HttpMethod.GET, false)).isTrue();
        assertThat(policy.mayRetry(1, false, HttpMethod.GET, false)).isFalse();
    }

    @Test
    void refusedRetriesDoNotSpendTheBudget() {
        RetryPolicy policy = new RetryPolicy(2, new RetryBudget(1.0, 0, clock::get));
        policy.requestStarted();

        assertThat(policy.mayRetry(1, true, HttpMethod.POST, false)).isFalse();
        assertThat(policy.mayRetry(2, false, HttpMethod.GET, false)).isFalse();
        assertThat(policy.mayRetry(1, true, HttpMethod.PUT, true)).isFalse();

        assertThat(policy.mayRetry(1, false, HttpMethod.GET, false)).as("the one token is still there").isTrue();
    }
}
