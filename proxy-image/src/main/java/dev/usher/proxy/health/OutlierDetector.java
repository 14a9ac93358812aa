package dev.usher.proxy.health;

import dev.usher.proxy.config.ProxyConfig;
import dev.usher.proxy.endpoints.HealthState;
import dev.usher.proxy.endpoints.Upstream;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passive health checking: an upstream that fails {@code consecutiveFailures} times in a row (connect failure,
 * reset, or a 5xx it answered) is ejected for a time that doubles with each ejection, up to a maximum.
 */
public final class OutlierDetector {
    private static final Logger log = LoggerFactory.getLogger(OutlierDetector.class);

    /** Told of each ejection, for metrics. */
    public interface Listener {
        void ejected(Upstream upstream);
    }

    private final ProxyConfig.OutlierDetection config;
    private final LongSupplier nanoClock;
    private final Listener listener;
    /** The latest moment any ejection ends: before it, selection must look at health; after it, nobody is ejected. */
    private final AtomicLong anyEjectedUntil = new AtomicLong(HealthState.NEVER);

    public OutlierDetector(ProxyConfig.OutlierDetection config, LongSupplier nanoClock, Listener listener) {
        this.config = config;
        this.nanoClock = nanoClock;
        this.listener = listener;
    }

    public void success(Upstream upstream) {
        upstream.health().succeeded();
    }

    public void failure(Upstream upstream) {
        HealthState h = upstream.health();
        int failures = h.failed();
        long now = nanoClock.getAsLong();
        if (failures < config.consecutiveFailures() || h.isEjected(now)) {
            return;
        }
        int n = h.countEjection();
        long base = config.baseEjection().toNanos();
        long max = config.maxEjection().toNanos();
        long duration = base;
        for (int i = 1; i < n && duration < max; i++) {
            duration = duration > max / 2 ? max : duration * 2;
        }
        duration = Math.min(duration, max);
        long until = now + duration;
        h.ejectUntil(until);
        anyEjectedUntil.accumulateAndGet(until, (a, b) -> a == HealthState.NEVER || b - a > 0 ? b : a);
        log.warn("upstream {} ejected for {} ms after {} consecutive failures (ejection #{})",
                upstream, duration / 1_000_000, failures, n);
        listener.ejected(upstream);
    }

    /** Cheap check for the common case: nobody is ejected right now. */
    public boolean anyEjected() {
        long until = anyEjectedUntil.get();
        return until != HealthState.NEVER && nanoClock.getAsLong() - until < 0;
    }

    public boolean isEjected(Upstream upstream) {
        return upstream.health().isEjected(nanoClock.getAsLong());
    }

    public int panicThresholdPercent() {
        return config.panicThresholdPercent();
    }
}
