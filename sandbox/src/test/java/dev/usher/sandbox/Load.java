package dev.usher.sandbox;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Clients that each send GETs one after the other, until stopped, or until the request cap or the
 * time cap is reached: bounded in count and time whatever the test does.
 */
final class Load implements AutoCloseable {

    private final ExecutorService clients;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicInteger ok = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    Load(int port, int concurrency, int maxRequests, long maxSeconds) {
        this(port, "/", concurrency, maxRequests, maxSeconds);
    }

    Load(int port, String path, int concurrency, int maxRequests, long maxSeconds) {
        clients = Executors.newFixedThreadPool(concurrency);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
        for (int i = 0; i < concurrency; i++) {
            clients.execute(() -> {
                while (!stop.get() && System.nanoTime() < deadline && sent.incrementAndGet() <= maxRequests) {
                    try {
                        Http.Response r = Http.get(port, path);
                        if (r.status() == 200) {
                            ok.incrementAndGet();
                        } else {
                            failures.add("status " + r.status() + ": " + r.body());
                        }
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                    // A short pause keeps 2 cores free for the pods and the stand-ins under test.
                    pause();
                }
            });
        }
    }

    private static void pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    int ok() {
        return ok.get();
    }

    List<String> failures() {
        return new ArrayList<>(failures);
    }

    /** Stops the clients and waits for their last requests, so that every failure is counted. */
    void stop() throws InterruptedException {
        stop.set(true);
        clients.shutdown();
        clients.awaitTermination(15, TimeUnit.SECONDS);
    }

    /** Stops the clients when a test ends early; a test that checks failures calls {@link #stop()} first. */
    @Override
    public void close() {
        stop.set(true);
        clients.shutdownNow();
    }
}
