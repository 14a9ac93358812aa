package dev.usher.proxy.retry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RetryBudgetTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final AtomicLong clock = new AtomicLong(-SECOND / 3); // System.nanoTime may be negative

    private RetryBudget budget(double ratio, int minPerSecond) {
        return new RetryBudget(ratio, minPerSecond, clock::get);
    }

    /** How many retries go through back to back; the bound only stops a broken budget from looping forever. */
    private static int drain(RetryBudget budget) {
        int allowed = 0;
        while (allowed < 1_000_000 && budget.tryRetry()) {
            allowed++;
        }
        return allowed;
    }

    private static RetryBudget afterRequests(RetryBudget budget, int requests) {
        for (int i = 0; i < requests; i++) {
            budget.requestStarted();
        }
        return budget;
    }

    @Test
    void withNoRequestsAndNoMinimumNothingIsRetried() {
        assertThat(budget(0.2, 0).tryRetry()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(ints = {10, 50, 100})
    void retriesAreCappedAtTheRatioOfRequests(int requests) {
        RetryBudget budget = afterRequests(budget(0.2, 0), requests);

        assertThat(drain(budget)).isBetween((int) (0.2 * requests) - 1, (int) (0.2 * requests));
        assertThat(budget.tryRetry()).as("once spent, the budget stays empty").isFalse();
    }

    @Test
    void newRequestsRefillASpentBudget() {
        RetryBudget budget = afterRequests(budget(0.2, 0), 100);
        drain(budget);

        afterRequests(budget, 10);

        assertThat(drain(budget)).isBetween(1, 2);
    }

    // A long healthy spell must not bank a burst that multiplies load on a failing upstream set.
    @Test
    void theBalanceIsCappedSoALongQuietSpellDoesNotBankABigBurst() {
        int after10k = drain(afterRequests(budget(0.2, 0), 10_000));
        int after100k = drain(afterRequests(budget(0.2, 0), 100_000));

        assertThat(after10k).isPositive().isLessThan((int) (0.2 * 10_000));
        assertThat(after100k).isEqualTo(after10k);
    }

    @Test
    void theMinimumAllowsThatManyRetriesPerSecondWithoutAnyRequests() {
        RetryBudget budget = budget(0.2, 3);

        assertThat(drain(budget)).isEqualTo(3);

        clock.addAndGet(SECOND - 1);
        assertThat(budget.tryRetry()).as("still the same second").isFalse();

        clock.addAndGet(1);
        assertThat(drain(budget)).isEqualTo(3);

        clock.addAndGet(10 * SECOND);
        assertThat(drain(budget)).isEqualTo(3);
    }

    @Test
    void aZeroRatioLeavesOnlyThePerSecondMinimum() {
        RetryBudget budget = afterRequests(budget(0.0, 2), 10_000);

        assertThat(drain(budget)).isEqualTo(2);
    }
}
