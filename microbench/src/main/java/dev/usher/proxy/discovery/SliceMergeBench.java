package dev.usher.proxy.discovery;

import dev.usher.proxy.endpoints.Endpoint;
import dev.usher.proxy.endpoints.UpstreamPool;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One EndpointSlice event's work in the proxy, without the API server, for a Service of 1,000 endpoints in 10
 * slices: merging the slices into the pool's endpoint list, and applying that list to the pool (one snapshot
 * swap). Each apply changes one endpoint's readiness, as a rolling update does.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m", "-Dlogback.configurationFile=logback-bench.xml"})
@State(Scope.Thread)
public class SliceMergeBench {
    private static final int SLICES = 10;
    private static final int PER_SLICE = 100;

    private final SliceMerger merger = new SliceMerger(new ServicePort("http"));
    private final UpstreamPool pool = new UpstreamPool();
    /** The same Service twice: all ready, and with endpoint 127.0.1.1 not ready. */
    private List<EndpointSlice> allReady;
    private List<EndpointSlice> oneNotReady;
    private List<Endpoint> allReadyEndpoints;
    private List<Endpoint> oneNotReadyEndpoints;
    private boolean flip;

    @Setup
    public void setUp() {
        allReady = new ArrayList<>();
        for (int s = 0; s < SLICES; s++) {
            boolean[] ready = new boolean[PER_SLICE];
            Arrays.fill(ready, true);
            allReady.add(BenchSlices.slice(s, ready));
        }
        oneNotReady = new ArrayList<>(allReady);
        boolean[] ready = new boolean[PER_SLICE];
        Arrays.fill(ready, true);
        ready[0] = false;
        oneNotReady.set(0, BenchSlices.slice(0, ready));
        allReadyEndpoints = merger.merge(allReady).poolEndpoints();
        oneNotReadyEndpoints = merger.merge(oneNotReady).poolEndpoints();
        if (allReadyEndpoints.size() != SLICES * PER_SLICE || !pool.update(allReadyEndpoints)) {
            throw new IllegalStateException("expected " + SLICES * PER_SLICE + " endpoints in the pool");
        }
    }

    @Benchmark
    public List<Endpoint> merge() {
        return merger.merge(allReady).poolEndpoints();
    }

    @Benchmark
    public boolean apply() {
        flip = !flip;
        return changed(pool.update(flip ? oneNotReadyEndpoints : allReadyEndpoints));
    }

    @Benchmark
    public boolean mergeAndApply() {
        flip = !flip;
        return changed(pool.update(merger.merge(flip ? oneNotReady : allReady).poolEndpoints()));
    }

    private static boolean changed(boolean changed) {
        if (!changed) {
            throw new IllegalStateException("every update changes one endpoint");
        }
        return true;
    }
}
