package dev.usher.sandbox.node;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stand-in for the kubelet's pod work: runs each pod that the scheduler binds to this node, reports
 * its status when it changes, and ends it when it is deleted: gracefully for a deletionTimestamp
 * (then the final delete, with grace period 0, as the kubelet does), at once for a pod that is gone.
 */
final class Kubelet implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Kubelet.class);
    private static final long PASS_MS = 200;

    private final KubernetesClient client;
    private final PodRun.Node node;
    private final Path podsDir;
    private final Map<String, PodRun> runs = new ConcurrentHashMap<>();
    private final Map<String, ScheduledFuture<?>> ticks = new ConcurrentHashMap<>();
    private final Map<String, PodStatus> written = new ConcurrentHashMap<>();
    private final Set<String> terminating = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService pods = Executors.newScheduledThreadPool(4, daemon("pod"));
    private final ExecutorService stopper = Executors.newCachedThreadPool(daemon("pod-stop"));

    Kubelet(KubernetesClient client, PodRun.Node node, Path podsDir) {
        this.client = client;
        this.node = node;
        this.podsDir = podsDir;
    }

    /** One pass over the pods bound to this node: new ones start, deleted ones stop. */
    void pass() {
        Set<String> seen = new HashSet<>();
        for (Pod pod : client.pods().inAnyNamespace().withField("spec.nodeName", node.name()).list().getItems()) {
            String uid = pod.getMetadata().getUid();
            seen.add(uid);
            PodRun run = runs.get(uid);
            if (run == null) {
                if (pod.getMetadata().getDeletionTimestamp() != null) {
                    delete(pod); // never started here: nothing to stop
                    continue;
                }
                run = new PodRun(client, node, pod, podsDir);
                runs.put(uid, run);
                PodRun started = run;
                pods.execute(started::start);
                ticks.put(uid, pods.scheduleWithFixedDelay(() -> tick(started), PASS_MS, PASS_MS, TimeUnit.MILLISECONDS));
            }
            run.update(pod);
            if (pod.getMetadata().getDeletionTimestamp() != null && terminating.add(uid)) {
                long grace = pod.getMetadata().getDeletionGracePeriodSeconds() == null ? 30
                        : pod.getMetadata().getDeletionGracePeriodSeconds();
                PodRun ending = run;
                stopper.execute(() -> {
                    ending.terminate(grace);
                    tick(ending);
                    delete(ending.pod());
                    forget(uid);
                });
            }
        }
        for (String uid : Set.copyOf(runs.keySet())) {
            if (!seen.contains(uid) && !terminating.contains(uid)) {
                PodRun gone = forget(uid);
                if (gone != null) {
                    stopper.execute(gone::kill);
                }
            }
        }
    }

    private void tick(PodRun run) {
        try {
            run.tick();
            PodStatus status = run.status();
            String uid = run.pod().getMetadata().getUid();
            if (status.equals(written.get(uid))) {
                return;
            }
            String patch = client.getKubernetesSerialization().asJson(Map.of("status", status));
            client.pods().inNamespace(run.pod().getMetadata().getNamespace()).withName(run.pod().getMetadata().getName())
                    .subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), patch);
            written.put(uid, status);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                LOG.warn("pod {}: status not written: {}", run.pod().getMetadata().getName(), e.getMessage());
            }
        } catch (RuntimeException e) {
            LOG.warn("pod {}: {}", run.pod().getMetadata().getName(), e.toString());
        }
    }

    private void delete(Pod pod) {
        try {
            client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                    .withGracePeriod(0).delete();
            LOG.info("pod {}/{} deleted", pod.getMetadata().getNamespace(), pod.getMetadata().getName());
        } catch (KubernetesClientException e) {
            LOG.warn("pod {}/{}: final delete failed: {}", pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
                    e.getMessage());
        }
    }

    private PodRun forget(String uid) {
        ScheduledFuture<?> tick = ticks.remove(uid);
        if (tick != null) {
            tick.cancel(false);
        }
        written.remove(uid);
        terminating.remove(uid);
        return runs.remove(uid);
    }

    /** Kills every pod at once: the node is going away. */
    @Override
    public void close() {
        pods.shutdownNow();
        stopper.shutdownNow();
        runs.values().parallelStream().forEach(PodRun::kill);
        runs.clear();
    }

    static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
