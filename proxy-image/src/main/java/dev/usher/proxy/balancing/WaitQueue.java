package dev.usher.proxy.balancing;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Requests waiting for a free upstream slot, first in first out, one queue for the whole proxy, so that a slot freed
 * on any event loop goes to whoever has waited longest. A waiter is woken on its own event loop; it may find the slot
 * taken again (by a request of another loop) and then waits at the head again.
 */
public final class WaitQueue {
    /** One waiting request: how to wake it, on which loop. */
    public static final class Waiter {
        private final Executor loop;
        private final Runnable wake;

        private Waiter(Executor loop, Runnable wake) {
            this.loop = loop;
            this.wake = wake;
        }
    }

    private final ConcurrentLinkedDeque<Waiter> waiters = new ConcurrentLinkedDeque<>();
    private final AtomicInteger length = new AtomicInteger();
    private final int maxLength;

    public WaitQueue(int maxLength) {
        this.maxLength = maxLength;
    }

    public int length() {
        return length.get();
    }

    /** Whether a new request must wait behind others rather than take a slot first: FIFO is fair only if it must. */
    public boolean hasWaiters() {
        return length.get() > 0;
    }

    /** Queues a request at the tail (or at the head, after a lost race for a slot); null when the queue is full. */
    public Waiter add(Executor loop, Runnable wake, boolean atHead) {
        if (length.incrementAndGet() > maxLength && !atHead) {
            length.decrementAndGet();
            return null;
        }
        Waiter w = new Waiter(loop, wake);
        if (atHead) {
            waiters.addFirst(w);
        } else {
            waiters.addLast(w);
        }
        return w;
    }

    /** Takes {@code w} out (its client left, or it timed out); false when it was already woken. */
    public boolean remove(Waiter w) {
        if (waiters.removeFirstOccurrence(w)) {
            length.decrementAndGet();
            return true;
        }
        return false;
    }

    /**
     * Wakes the longest waiter if {@code room} finds a free slot that no freed slot announced: an upstream joined the
     * pool, slow start raised a limit, an ejection ended. The woken request, once it has its slot, wakes the next
     * while there is room, so new capacity fills at once.
     */
    public void wakeIfRoom(BooleanSupplier room) {
        if (hasWaiters() && room.getAsBoolean()) {
            slotFreed();
        }
    }

    /** A slot came free somewhere: wake the longest waiter, if any. */
    public void slotFreed() {
        if (length.get() == 0) {
            return;
        }
        Waiter w = waiters.pollFirst();
        if (w != null) {
            length.decrementAndGet();
            w.loop.execute(w.wake);
        }
    }
}
