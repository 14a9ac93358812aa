package dev.usher.proxy.endpoints;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The set of upstreams, changed at run time by a discovery source. Readers get an immutable {@link Snapshot}
 * through one volatile read, so a request sees the old pool or the new one, never half of each.
 */
public final class UpstreamPool {
    private static final Logger log = LoggerFactory.getLogger(UpstreamPool.class);

    /** ready: takes new requests; all: ready plus fenced (for admin views). */
    public record Snapshot(List<Upstream> ready, List<Upstream> all) {}

    /** Told when an upstream leaves the pool, so idle connections to it can be closed on every loop. */
    public interface RemovalListener {
        void removed(Upstream upstream);
    }

    private final LongSupplier nanoClock;
    private final boolean logged;
    private final List<RemovalListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<InetSocketAddress, Upstream> members = new LinkedHashMap<>();
    private volatile Snapshot snapshot = new Snapshot(List.of(), List.of());
    private boolean populated;

    public UpstreamPool(LongSupplier nanoClock) {
        this(nanoClock, true);
    }

    public UpstreamPool() {
        this(System::nanoTime);
    }

    private UpstreamPool(LongSupplier nanoClock, boolean logged) {
        this.nanoClock = nanoClock;
        this.logged = logged;
    }

    /** A pool whose changes are not logged: the warm-up's, whose stub is none of the user's upstreams. */
    public static UpstreamPool unlogged() {
        return new UpstreamPool(System::nanoTime, false);
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    public void addRemovalListener(RemovalListener listener) {
        listeners.add(listener);
    }

    /**
     * Makes the pool match {@code endpoints} (deduplicated by address, last one wins). The first update
     * populates the pool without slow start: there is nothing older to prefer over it.
     *
     * @return whether anything changed
     */
    public boolean update(Collection<Endpoint> endpoints) {
        List<Upstream> removed = new ArrayList<>();
        boolean changed;
        synchronized (this) {
            long now = nanoClock.getAsLong();
            long activeSince = populated ? now : Long.MIN_VALUE;
            Map<InetSocketAddress, Boolean> wanted = new LinkedHashMap<>();
            for (Endpoint e : endpoints) {
                wanted.put(e.address(), e.ready());
            }
            changed = false;
            for (var it = members.entrySet().iterator(); it.hasNext(); ) {
                var member = it.next();
                if (!wanted.containsKey(member.getKey())) {
                    it.remove();
                    member.getValue().state(Upstream.State.REMOVED, now);
                    removed.add(member.getValue());
                    changed = true;
                }
            }
            for (var w : wanted.entrySet()) {
                Upstream.State target = w.getValue() ? Upstream.State.ACTIVE : Upstream.State.DRAINING;
                Upstream existing = members.get(w.getKey());
                if (existing == null) {
                    members.put(w.getKey(), new Upstream(w.getKey(), target, activeSince));
                    changed = true;
                } else if (existing.state() != target) {
                    existing.state(target, now);
                    changed = true;
                }
            }
            populated = true;
            if (changed) {
                List<Upstream> all = List.copyOf(members.values());
                snapshot = new Snapshot(all.stream().filter(Upstream::isActive).toList(), all);
            }
            if (changed && logged) {
                log.info("upstream pool: {} ready, {} fenced, {} removed",
                        snapshot.ready().size(), snapshot.all().size() - snapshot.ready().size(), removed.size());
            }
        }
        for (Upstream u : removed) {
            listeners.forEach(l -> l.removed(u));
        }
        return changed;
    }
}
