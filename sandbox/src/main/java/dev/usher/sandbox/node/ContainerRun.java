package dev.usher.sandbox.node;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateTerminatedBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One container of a pod as a process in the pod's namespaces: started, probed (startup, readiness,
 * liveness), restarted after an exit as the pod's restartPolicy says with the kubelet's back-off
 * (at once, then 10 s doubling to 5 min), and stopped with SIGTERM then SIGKILL.
 */
final class ContainerRun {

    private static final Logger LOG = LoggerFactory.getLogger(ContainerRun.class);
    private static final long MAX_BACKOFF_SECONDS = 300;

    /** How a container runs: its command line, folder and environment, or why it cannot. */
    record Launch(List<String> argv, Path workDir, Map<String, String> env, String waitingReason, String message) {
    }

    private final String pod;
    private final Container spec;
    private final Launch launch;
    private final Path log;
    private final String restartPolicy;
    private final PodSandbox sandbox;
    private Process process;
    private Instant startedAt;
    private long startedNanos;
    private int restarts;
    private long restartAt;
    private ContainerStateTerminated lastTermination;
    private ContainerStateTerminated terminated;
    private Probe startup;
    private Probe readiness;
    private Probe liveness;
    private boolean started;
    private boolean ready;
    private volatile boolean stopping;

    ContainerRun(String pod, Container spec, Launch launch, Path log, String restartPolicy, PodSandbox sandbox) {
        this.pod = pod;
        this.spec = spec;
        this.launch = launch;
        this.log = log;
        this.restartPolicy = restartPolicy == null ? "Always" : restartPolicy;
        this.sandbox = sandbox;
    }

    /** One pass: start or restart when due, run the probes that are due, act on a failed liveness probe. */
    synchronized void tick(String ip) {
        if (launch.waitingReason() != null) {
            return;
        }
        long now = System.nanoTime();
        if (process != null && !process.isAlive()) {
            exited(process.exitValue(), "Error");
        }
        if (process == null) {
            if (!stopping && terminated == null && now - restartAt >= 0) {
                start();
            }
            return;
        }
        if (!started) {
            started = startup == null || startup.check(ip, now);
            if (startup != null && startup.failed()) {
                restart("startup probe failed");
            }
            return;
        }
        ready = readiness == null || readiness.check(ip, now);
        if (!stopping && liveness != null && !liveness.check(ip, now) && liveness.failed()) {
            restart("liveness probe failed");
        }
    }

    private void start() {
        ProcessBuilder builder = new ProcessBuilder(sandbox.command(launch.argv(), launch.workDir()))
                .directory(launch.workDir().toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().clear();
        builder.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
        builder.environment().putAll(launch.env());
        try {
            process = builder.start();
        } catch (IOException e) {
            exited(128, "StartError: " + e.getMessage());
            return;
        }
        startedAt = Instant.now();
        startedNanos = System.nanoTime();
        terminated = null;
        started = false;
        ready = false;
        startup = spec.getStartupProbe() == null ? null : new Probe(spec.getStartupProbe(), spec, sandbox::exec, startedNanos);
        readiness = spec.getReadinessProbe() == null ? null : new Probe(spec.getReadinessProbe(), spec, sandbox::exec, startedNanos);
        liveness = spec.getLivenessProbe() == null ? null : new Probe(spec.getLivenessProbe(), spec, sandbox::exec, startedNanos);
        LOG.info("pod {}: container {} started (pid {}, log {})", pod, spec.getName(), process.pid(), log);
    }

    private void restart(String why) {
        LOG.info("pod {}: container {}: {}, restarting", pod, spec.getName(), why);
        kill(process, TimeUnit.SECONDS.toNanos(30));
        exited(137, "Error");
    }

    private void exited(int code, String reason) {
        Instant now = Instant.now();
        var termination = new ContainerStateTerminatedBuilder().withExitCode(code)
                .withReason(code == 0 ? "Completed" : reason)
                .withStartedAt(startedAt == null ? null : startedAt.toString()).withFinishedAt(now.toString()).build();
        process = null;
        started = false;
        ready = false;
        boolean again = !stopping && ("Always".equals(restartPolicy) || ("OnFailure".equals(restartPolicy) && code != 0));
        if (!again) {
            terminated = termination;
            return;
        }
        lastTermination = termination;
        // A container that ran for 10 minutes starts over with no back-off, as with the kubelet.
        boolean ranLong = startedAt != null && startedAt.plusSeconds(600).isBefore(now);
        long delay = restarts == 0 || ranLong ? 0 : Math.min(MAX_BACKOFF_SECONDS, 10L << Math.min(5, restarts - 1));
        restarts++;
        restartAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(delay);
        LOG.info("pod {}: container {} exited with {}, restart {} in {} s", pod, spec.getName(), code, restarts, delay);
    }

    boolean ready() {
        return ready;
    }

    synchronized boolean running() {
        return process != null && process.isAlive();
    }

    synchronized boolean terminated() {
        return terminated != null;
    }

    synchronized int exitCode() {
        return terminated == null ? 0 : terminated.getExitCode();
    }

    Container spec() {
        return spec;
    }

    /** SIGTERM, then SIGKILL once the deadline (System.nanoTime()) has passed; no restart after it. */
    void stop(long deadlineNanos) {
        stopping = true;
        Process p;
        synchronized (this) {
            p = process;
        }
        if (p != null) {
            kill(p, deadlineNanos - System.nanoTime());
        }
    }

    private void kill(Process p, long graceNanos) {
        List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
        p.destroy();
        try {
            if (!p.waitFor(Math.max(0, graceNanos), TimeUnit.NANOSECONDS)) {
                LOG.info("pod {}: container {}: grace period over, SIGKILL", pod, spec.getName());
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        // What the container left behind goes with it, as when a runtime stops its cgroup.
        tree.forEach(ProcessHandle::destroyForcibly);
    }

    synchronized ContainerStatus status() {
        var status = new ContainerStatusBuilder()
                .withName(spec.getName())
                .withImage(spec.getImage())
                .withImageID("")
                .withContainerID(process == null ? null : "sandbox://" + process.pid())
                .withReady(ready)
                .withStarted(process != null && started)
                .withRestartCount(restarts);
        if (launch.waitingReason() != null) {
            status.withNewState().withNewWaiting().withReason(launch.waitingReason()).withMessage(launch.message())
                    .endWaiting().endState();
        } else if (process != null) {
            status.withNewState().withNewRunning().withStartedAt(startedAt.toString()).endRunning().endState();
        } else if (terminated != null) {
            status.withNewState().withTerminated(terminated).endState();
        } else {
            status.withNewState().withNewWaiting().withReason(restarts > 0 ? "CrashLoopBackOff" : "ContainerCreating")
                    .endWaiting().endState();
        }
        if (lastTermination != null) {
            status.withNewLastState().withTerminated(lastTermination).endLastState();
        }
        return status.build();
    }
}
