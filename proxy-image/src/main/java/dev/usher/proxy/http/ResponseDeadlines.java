package dev.usher.proxy.http;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The response deadlines of one event loop's exchanges. Every exchange would otherwise schedule a task on the event
 * loop's timer queue and cancel it a millisecond later, a heap insert and removal per request. All deadlines here
 * are the same timeout from "now", so they arrive in order: a linked list kept in deadline order, checked by one
 * periodic tick. A deadline fires up to one tick late ({@code timeout / 20}, at most 100 ms), which a timeout
 * measured in seconds does not notice.
 */
final class ResponseDeadlines {
    private static final Logger log = LoggerFactory.getLogger(ResponseDeadlines.class);
    private static final FastThreadLocal<ResponseDeadlines> OF_LOOP = new FastThreadLocal<>();
    private static final long MAX_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long MIN_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Idle ticks before the tick stops, so a quiet proxy does not wake up for nothing. */
    private static final int IDLE_TICKS = 20;

    /** One exchange's place in the list. */
    static final class Deadline {
        private final Runnable onExpiry;
        private long atNanos;
        private Deadline prev;
        private Deadline next;
        private boolean linked;

        Deadline(Runnable onExpiry) {
            this.onExpiry = onExpiry;
        }
    }

    private final EventLoop loop;
    private final long timeoutNanos;
    private final long tickNanos;
    private Deadline head;
    private Deadline tail;
    private ScheduledFuture<?> tick;
    private int idleTicks;

    private ResponseDeadlines(EventLoop loop, long timeoutNanos) {
        this.loop = loop;
        this.timeoutNanos = timeoutNanos;
        this.tickNanos = Math.max(MIN_TICK_NANOS, Math.min(MAX_TICK_NANOS, timeoutNanos / 20));
    }

    /** The deadlines of {@code loop}, which must be the calling thread's. */
    static ResponseDeadlines of(EventLoop loop, long timeoutNanos) {
        ResponseDeadlines d = OF_LOOP.get();
        if (d == null || d.loop != loop || d.timeoutNanos != timeoutNanos) {
            d = new ResponseDeadlines(loop, timeoutNanos);
            OF_LOOP.set(d);
        }
        return d;
    }

    /** Starts {@code d}: it fires once the timeout has passed, unless {@link #stop} comes first. */
    void start(Deadline d) {
        stop(d);
        d.atNanos = System.nanoTime() + timeoutNanos;
        d.linked = true;
        d.prev = tail;
        d.next = null;
        if (tail == null) {
            head = d;
        } else {
            tail.next = d;
        }
        tail = d;
        idleTicks = 0;
        if (tick == null) {
            tick = loop.scheduleAtFixedRate(this::expire, tickNanos, tickNanos, TimeUnit.NANOSECONDS);
        }
    }

    void stop(Deadline d) {
        if (!d.linked) {
            return;
        }
        if (d.prev == null) {
            head = d.next;
        } else {
            d.prev.next = d.next;
        }
        if (d.next == null) {
            tail = d.prev;
        } else {
            d.next.prev = d.prev;
        }
        d.prev = null;
        d.next = null;
        d.linked = false;
    }

    private void expire() {
        long now = System.nanoTime();
        while (head != null && head.atNanos - now <= 0) {
            Deadline d = head;
            stop(d);
            try {
                d.onExpiry.run();
            } catch (RuntimeException | Error e) {
                // A periodic task that throws is cancelled by Netty: one bad expiry must not end every later one.
                log.error("response deadline handler failed", e);
            }
        }
        if (head == null && ++idleTicks >= IDLE_TICKS) {
            tick.cancel(false);
            tick = null;
        }
    }
}
