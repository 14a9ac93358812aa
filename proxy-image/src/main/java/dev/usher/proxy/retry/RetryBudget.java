package dev.usher.proxy.retry;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Caps retries as a share of requests, so that a failing upstream set cannot be hit with a multiple of the
 * real load. Each request deposits {@code ratio} of a token (the balance is capped); each retry withdraws a
 * whole one. A small allowance per second lets retries through when traffic is too light to build a balance.
 */
public final class RetryBudget {
    private static final long TOKEN = 1000;

    private final long deposit;
    private final long cap;
    private final int minPerSecond;
    private final LongSupplier nanoClock;
    private final AtomicLong balance = new AtomicLong();
    private final AtomicLong secondStartedAt;
    private final AtomicLong usedThisSecond = new AtomicLong();

    public RetryBudget(double ratio, int minPerSecond, LongSupplier nanoClock) {
        this.deposit = Math.round(ratio * TOKEN);
        this.cap = Math.max(TOKEN, 100 * deposit);
        this.minPerSecond = minPerSecond;
        this.nanoClock = nanoClock;
        this.secondStartedAt = new AtomicLong(nanoClock.getAsLong());
    }

    public void requestStarted() {
        // Skip the write when the balance is full: the healthy steady state then costs one read per request.
        if (deposit > 0 && balance.get() < cap) {
            balance.accumulateAndGet(deposit, (b, d) -> Math.min(cap, b + d));
        }
    }

    public boolean tryRetry() {
        long b;
        do {
            b = balance.get();
            if (b < TOKEN) {
                return tryMinimumAllowance();
            }
        } while (!balance.compareAndSet(b, b - TOKEN));
        return true;
    }

    private boolean tryMinimumAllowance() {
        long now = nanoClock.getAsLong();
        long started = secondStartedAt.get();
        if (now - started >= 1_000_000_000L && secondStartedAt.compareAndSet(started, now)) {
            usedThisSecond.set(0);
        }
        return usedThisSecond.incrementAndGet() <= minPerSecond;
    }
}
