package dev.usher.proxy.http;

import dev.usher.proxy.balancing.WaitQueue;
import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One request's wait in the proxy's {@link WaitQueue} for an upstream slot, bounded by queue.timeout from the
 * moment it first queued. Made only for a request that has to wait; runs on that request's event loop. A full
 * queue or the timeout ends the wait with {@code overloaded}; a free slot with {@code resume}.
 */
final class SlotWait {
    private final ProxyContext px;
    private final EventExecutor loop;
    private final Runnable resume;
    private final Consumer<String> overloaded;
    private final long sinceNanos = System.nanoTime();
    private WaitQueue.Waiter waiter;
    private ScheduledFuture<?> timer;
    private boolean over;

    SlotWait(ProxyContext px, EventExecutor loop, Runnable resume, Consumer<String> overloaded) {
        this.px = px;
        this.loop = loop;
        this.resume = resume;
        this.overloaded = overloaded;
    }

    /** Queues the request (at the head when it lost a slot it was woken for). */
    void enqueue(boolean atHead) {
        waiter = px.queue().add(loop, this::woken, atHead);
        if (waiter == null) {
            px.metrics().queueFull();
            cancel();
            overloaded.accept("the queue for a free upstream is full (" + px.config().queue().maxLength() + ")");
            return;
        }
        if (timer == null) {
            timer = loop.schedule(this::timedOut,
                    px.config().queue().timeout().toNanos() - (System.nanoTime() - sinceNanos), TimeUnit.NANOSECONDS);
        }
        // A slot freed between the pick and the add woke nobody: look again rather than wait for the next one.
        // Later on this loop, not here: a pick that fails again must not recurse.
        if (px.picker().anyRoom() && px.queue().remove(waiter)) {
            waiter = null;
            loop.execute(this::woken);
        }
    }

    /** The request ended while waiting (its client left): it leaves the queue. */
    void cancel() {
        over = true;
        if (waiter != null) {
            px.queue().remove(waiter);
            waiter = null;
        }
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void woken() {
        waiter = null;
        if (over) {
            px.queue().slotFreed(); // this request is gone: the slot is the next waiter's
            return;
        }
        px.metrics().waited(System.nanoTime() - sinceNanos);
        resume.run();
    }

    private void timedOut() {
        timer = null;
        if (!over && waiter != null && px.queue().remove(waiter)) {
            waiter = null;
            cancel();
            px.metrics().queueTimedOut();
            overloaded.accept("no upstream had room within " + px.config().queue().timeout().toMillis() + " ms");
        }
    }
}
