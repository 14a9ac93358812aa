package dev.usher.sandbox;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Pod's single container on the node, as a local process: started, probed, restarted after a
 * crash (with a growing delay), and stopped the kubelet's way: preStop sleep, SIGTERM, then SIGKILL
 * when the grace period is over.
 */
final class PodRun {

    private static final Logger LOG = LoggerFactory.getLogger(PodRun.class);

    /** What the node resolved the container to: a command line, or why there is none. */
    record Launch(List<String> argv, Path workDir, Map<String, String> env, String failure) {

        static Launch failed(String reason) {
            return new Launch(List.of(), null, Map.of(), reason);
        }
    }

    private final String name;
    private final String ip;
    private final Container container;
    private final Launch launch;
    private final Path log;
    private final Probe probe;
    private final String startTime = Instant.now().toString();
    private Process process;
    private int restarts;
    private long notBefore;
    private boolean ready;
    private volatile boolean stopping;

    PodRun(Pod pod, String ip, Launch launch, Path log) {
        this.name = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        this.ip = ip;
        this.container = pod.getSpec().getContainers().get(0);
        this.launch = launch;
        this.log = log;
        this.probe = Probe.of(container);
    }

    String ip() {
        return ip;
    }

    /** One node pass: (re)start the process if it is not running, then probe it. */
    synchronized void tick() {
        if (launch.failure() != null) {
            return;
        }
        if (stopping) {
            // Still probed while it shuts down, so its endpoint stops serving when it does.
            ready = alive() && probe.passes(ip);
            return;
        }
        if (!alive()) {
            if (process != null) {
                restarts++;
                ready = false;
                notBefore = System.currentTimeMillis() + Math.min(10, restarts) * 1000L;
                LOG.info("pod {}: process exited with {}, restart {} in {} s", name, process.exitValue(), restarts,
                        Math.min(10, restarts));
                process = null;
            }
            if (System.currentTimeMillis() >= notBefore) {
                start();
            }
            return;
        }
        ready = probe.passes(ip);
    }

    private void start() {
        ProcessBuilder pb = new ProcessBuilder(launch.argv()).directory(launch.workDir().toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(launch.env());
        try {
            process = pb.start();
            LOG.info("pod {}: started on {} (pid {}, log {})", name, ip, process.pid(), log);
        } catch (IOException e) {
            restarts++;
            notBefore = System.currentTimeMillis() + Math.min(10, restarts) * 1000L;
            LOG.warn("pod {}: cannot start {}: {}", name, launch.argv().get(0), e.getMessage());
        }
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    /** The kubelet's shutdown, run on the caller's thread: preStop sleep, SIGTERM, then SIGKILL after the grace period. */
    void stop(Pod pod) {
        stopping = true;
        long grace = pod.getSpec().getTerminationGracePeriodSeconds() == null ? 30 : pod.getSpec().getTerminationGracePeriodSeconds();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(grace);
        long preStop = preStopSeconds();
        if (preStop > 0 && alive()) {
            sleep(TimeUnit.SECONDS.toMillis(Math.min(preStop, grace)));
        }
        Process p;
        synchronized (this) {
            p = process;
        }
        if (p == null) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                LOG.info("pod {}: grace period over, SIGKILL", name);
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** At once, for the sandbox's own shutdown: SIGTERM, and SIGKILL after a few seconds. */
    void kill() {
        stopping = true;
        Process p;
        synchronized (this) {
            p = process;
        }
        if (p != null) {
            p.destroy();
            try {
                if (!p.waitFor(3, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private long preStopSeconds() {
        var lifecycle = container.getLifecycle();
        if (lifecycle == null || lifecycle.getPreStop() == null) {
            return 0;
        }
        var preStop = lifecycle.getPreStop();
        if (preStop.getSleep() != null) {
            return preStop.getSleep().getSeconds();
        }
        // The classic form: exec ["sleep", "N"].
        var exec = preStop.getExec();
        if (exec != null && exec.getCommand() != null && exec.getCommand().size() == 2 && "sleep".equals(exec.getCommand().get(0))) {
            return Long.parseLong(exec.getCommand().get(1));
        }
        return 0;
    }

    synchronized PodStatus status() {
        boolean running = alive();
        var state = new ContainerStatusBuilder()
                .withName(container.getName())
                .withImage(container.getImage())
                .withReady(ready)
                .withRestartCount(restarts)
                .withStarted(running);
        if (launch.failure() != null) {
            state.withNewState().withNewWaiting().withReason("ErrImageNotMapped").withMessage(launch.failure()).endWaiting().endState();
        } else if (running) {
            state.withNewState().withNewRunning().withStartedAt(startTime).endRunning().endState();
        } else {
            state.withNewState().withNewWaiting().withReason(restarts > 0 ? "CrashLoopBackOff" : "ContainerCreating").endWaiting().endState();
        }
        return new PodStatusBuilder()
                .withPhase(launch.failure() != null ? "Pending" : "Running")
                .withHostIP("127.0.0.1")
                .withPodIP(ip)
                .withPodIPs(new PodIP(ip))
                .withStartTime(startTime)
                .withConditions(Pods.condition("Ready", ready), Pods.condition("ContainersReady", ready))
                .withContainerStatuses(state.build())
                .build();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
