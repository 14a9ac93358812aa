package dev.usher.sandbox;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one stand-in's pass over the API every few hundred milliseconds. Polling instead of watches
 * keeps each stand-in a plain list-and-write client: level-triggered, so a missed change is
 * picked up by the next pass.
 */
final class Loop implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Loop.class);
    static final long PERIOD_MS = 200;

    private final ScheduledExecutorService executor;

    Loop(String name, Runnable pass) {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(() -> {
            try {
                pass.run();
            } catch (RuntimeException e) {
                // The next pass starts from the API's state again; one failed write is not fatal.
                LOG.warn("{}: {}", name, e.toString());
            }
        }, 0, PERIOD_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
