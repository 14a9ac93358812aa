package dev.usher.sandbox.node;

import dev.usher.sandbox.network.PodNetwork;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pod on the node, as the kubelet runs it: its namespaces and address, its volumes, one
 * {@link ContainerRun} per container, its status as the kubelet reports it, and its graceful end
 * (preStop hooks, SIGTERM, SIGKILL at the end of the grace period, then the final delete).
 * Init containers and ephemeral containers are not run.
 */
final class PodRun {

    private static final Logger LOG = LoggerFactory.getLogger(PodRun.class);
    private static final Pattern REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    /** What every pod gets, as from the kubelet. */
    record Node(String name, String hostIp, String apiHost, int apiPort, ImageMap images, PodNetwork network) {
    }

    private final KubernetesClient client;
    private final Node node;
    private final String name;
    private final Path dir;
    private final Instant startTime = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private final Map<String, PodCondition> conditions = new LinkedHashMap<>();
    private volatile Pod pod;
    private volatile String ip;
    private volatile String failure;
    private volatile Volumes volumes;
    private PodSandbox sandbox;
    private List<ContainerRun> containers = List.of();

    PodRun(KubernetesClient client, Node node, Pod pod, Path podsDir) {
        this.client = client;
        this.node = node;
        this.pod = pod;
        this.name = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        this.dir = podsDir.resolve(pod.getMetadata().getNamespace() + "_" + pod.getMetadata().getName() + "_"
                + pod.getMetadata().getUid().substring(0, 8));
    }

    /** Namespaces, address, volumes; then the containers, which start on the next tick. */
    synchronized void start() {
        try {
            Files.createDirectories(dir);
            Volumes volumes = new Volumes(client, pod, dir);
            volumes.prepare();
            this.volumes = volumes;
            sandbox = PodSandbox.create(dir);
            String address = node.network().allocate();
            node.network().attach(sandbox.pid(), address, pod.getMetadata().getName());
            ip = address;
            List<ContainerRun> runs = new ArrayList<>();
            for (Container c : pod.getSpec().getContainers()) {
                ContainerRun.Launch launch = launch(c, volumes);
                sandbox.mount(volumes.mountScript(c.getVolumeMounts(), hostPaths(launch)));
                runs.add(new ContainerRun(name, c, launch, dir.resolve(c.getName() + ".log"),
                        pod.getSpec().getRestartPolicy(), sandbox));
            }
            containers = runs;
            LOG.info("pod {} on {} (files in {})", name, ip, dir);
        } catch (IOException | RuntimeException e) {
            failure = e.getMessage();
            LOG.warn("pod {}: {}", name, failure);
        }
    }

    /** One pass: containers, probes, token renewal. */
    void tick() {
        List<ContainerRun> runs;
        synchronized (this) {
            runs = containers;
        }
        runs.forEach(c -> c.tick(ip));
        if (volumes != null) {
            try {
                volumes.renewTokens();
            } catch (IOException | RuntimeException e) {
                LOG.warn("pod {}: cannot renew its token: {}", name, e.toString());
            }
        }
    }

    void update(Pod latest) {
        pod = latest;
    }

    /** The host paths a container runs from: its folder, and each argument that names an existing file or folder. */
    private static List<Path> hostPaths(ContainerRun.Launch launch) {
        List<Path> paths = new ArrayList<>();
        if (launch.workDir() != null) {
            paths.add(launch.workDir().toAbsolutePath());
        }
        for (String arg : launch.argv()) {
            if (arg.startsWith("/") && Files.exists(Path.of(arg))) {
                paths.add(Path.of(arg));
            }
        }
        return paths;
    }

    private ContainerRun.Launch launch(Container c, Volumes volumes) throws IOException {
        Map<String, String> env = environment(c, volumes);
        var entrypoint = node.images().entrypoint(c.getImage());
        if (entrypoint.isEmpty()) {
            return new ContainerRun.Launch(List.of(), dir, env, "ErrImageNotMapped", node.images().unmapped(c.getImage()));
        }
        List<String> argv = new ArrayList<>();
        if (c.getCommand() != null && !c.getCommand().isEmpty()) {
            c.getCommand().forEach(a -> argv.add(reference(a, env)));
        } else {
            argv.addAll(ImageMap.expand(entrypoint.get().command(), env));
        }
        if (c.getArgs() != null) {
            c.getArgs().forEach(a -> argv.add(reference(a, env)));
        }
        Path workDir = c.getWorkingDir() != null && Files.isDirectory(Path.of(c.getWorkingDir()))
                ? Path.of(c.getWorkingDir()) : entrypoint.get().workDir();
        return new ContainerRun.Launch(argv, workDir, env, null, null);
    }

    /** The container's environment as the kubelet makes it, $(VAR) references resolved in order. */
    private Map<String, String> environment(Container c, Volumes volumes) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOSTNAME", pod.getMetadata().getName());
        env.put("KUBERNETES_SERVICE_HOST", node.apiHost());
        env.put("KUBERNETES_SERVICE_PORT", Integer.toString(node.apiPort()));
        env.put("KUBERNETES_SERVICE_PORT_HTTPS", Integer.toString(node.apiPort()));
        if (c.getEnvFrom() != null) {
            for (EnvFromSource from : c.getEnvFrom()) {
                String prefix = Objects.requireNonNullElse(from.getPrefix(), "");
                if (from.getConfigMapRef() != null) {
                    configMap(from.getConfigMapRef().getName()).forEach((k, v) -> env.put(prefix + k, v));
                }
                if (from.getSecretRef() != null) {
                    secret(from.getSecretRef().getName()).forEach((k, v) -> env.put(prefix + k, v));
                }
            }
        }
        if (c.getEnv() != null) {
            for (EnvVar e : c.getEnv()) {
                env.put(e.getName(), value(e, volumes, env));
            }
        }
        return env;
    }

    private String value(EnvVar e, Volumes volumes, Map<String, String> env) throws IOException {
        if (e.getValueFrom() == null) {
            return reference(Objects.requireNonNullElse(e.getValue(), ""), env);
        }
        var from = e.getValueFrom();
        if (from.getFieldRef() != null) {
            return switch (from.getFieldRef().getFieldPath()) {
                case "status.podIP" -> ip;
                case "status.hostIP" -> node.hostIp();
                default -> volumes.field(from.getFieldRef());
            };
        }
        if (from.getConfigMapKeyRef() != null) {
            return configMap(from.getConfigMapKeyRef().getName()).getOrDefault(from.getConfigMapKeyRef().getKey(), "");
        }
        if (from.getSecretKeyRef() != null) {
            return secret(from.getSecretKeyRef().getName()).getOrDefault(from.getSecretKeyRef().getKey(), "");
        }
        return "";
    }

    private Map<String, String> configMap(String configMap) throws IOException {
        ConfigMap cm = client.configMaps().inNamespace(pod.getMetadata().getNamespace()).withName(configMap).get();
        if (cm == null) {
            throw new IOException("configmap \"" + configMap + "\" not found");
        }
        return cm.getData() == null ? Map.of() : cm.getData();
    }

    private Map<String, String> secret(String name) throws IOException {
        Secret s = client.secrets().inNamespace(pod.getMetadata().getNamespace()).withName(name).get();
        if (s == null) {
            throw new IOException("secret \"" + name + "\" not found");
        }
        Map<String, String> out = new HashMap<>();
        if (s.getData() != null) {
            s.getData().forEach((k, v) -> out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        }
        return out;
    }

    /** Kubernetes' $(VAR) expansion: a defined variable is replaced, $$ is a literal $, the rest stays. */
    private static String reference(String text, Map<String, String> env) {
        Matcher m = REFERENCE.matcher(text.replace("$$", "\u0000"));
        return m.replaceAll(r -> Matcher.quoteReplacement(env.getOrDefault(r.group(1), r.group()))).replace("\u0000", "$");
    }

    /**
     * The kubelet's graceful stop, on the caller's thread: every container's preStop hook, then SIGTERM,
     * then SIGKILL when the pod's grace period is over; then the namespaces go.
     */
    void terminate(long graceSeconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(graceSeconds);
        List<ContainerRun> runs;
        synchronized (this) {
            runs = containers;
        }
        runs.parallelStream().forEach(c -> {
            if (c.running()) {
                preStop(c.spec(), deadline);
            }
            c.stop(deadline);
        });
        close();
    }

    private void preStop(Container c, long deadline) {
        if (c.getLifecycle() == null || c.getLifecycle().getPreStop() == null) {
            return;
        }
        LifecycleHandler hook = c.getLifecycle().getPreStop();
        if (hook.getSleep() != null) {
            long nanos = Math.min(TimeUnit.SECONDS.toNanos(hook.getSleep().getSeconds()), deadline - System.nanoTime());
            try {
                TimeUnit.NANOSECONDS.sleep(Math.max(0, nanos)); // the sleep action is a sleep
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else if (hook.getExec() != null) {
            sandbox.exec(hook.getExec().getCommand());
        } else if (hook.getHttpGet() != null) {
            Probe.httpGet(Objects.requireNonNullElse(hook.getHttpGet().getHost(), ip), Probe.port(c, hook.getHttpGet().getPort()),
                    Objects.requireNonNullElse(hook.getHttpGet().getPath(), "/"), hook.getHttpGet().getHttpHeaders(),
                    (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
    }

    /** At once: for a pod deleted behind the node's back, and for the node's own stop. */
    void kill() {
        List<ContainerRun> runs;
        synchronized (this) {
            runs = containers;
        }
        runs.parallelStream().forEach(c -> c.stop(System.nanoTime() + TimeUnit.SECONDS.toNanos(2)));
        close();
    }

    private synchronized void close() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    /** The pod's status as the kubelet reports it. */
    PodStatus status() {
        List<ContainerRun> runs;
        synchronized (this) {
            runs = containers;
        }
        boolean ready = failure == null && !runs.isEmpty() && runs.stream().allMatch(ContainerRun::ready);
        String phase = phase(runs);
        var status = new PodStatusBuilder()
                .withPhase(phase)
                .withHostIP(node.hostIp())
                .withStartTime(startTime.toString())
                .withContainerStatuses(runs.stream().map(ContainerRun::status).toList());
        if (ip != null) {
            status.withPodIP(ip).withPodIPs(new PodIP(ip));
        }
        condition("PodScheduled", true);
        condition("PodReadyToStartContainers", ip != null);
        condition("Initialized", true);
        condition("ContainersReady", ready);
        condition("Ready", ready);
        if (failure != null) {
            status.withReason("SandboxFailed").withMessage(failure);
        }
        return status.withConditions(new ArrayList<>(conditions.values())).build();
    }

    private static String phase(List<ContainerRun> runs) {
        if (runs.isEmpty() || runs.stream().allMatch(c -> !c.running() && !c.terminated() && c.status().getRestartCount() == 0)) {
            return "Pending";
        }
        if (runs.stream().allMatch(ContainerRun::terminated)) {
            return runs.stream().allMatch(c -> c.exitCode() == 0) ? "Succeeded" : "Failed";
        }
        return "Running";
    }

    private void condition(String type, boolean value) {
        String status = value ? "True" : "False";
        PodCondition old = conditions.get(type);
        if (old == null || !old.getStatus().equals(status)) {
            conditions.put(type, new PodConditionBuilder().withType(type).withStatus(status)
                    .withLastTransitionTime(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()).build());
        }
    }

    String ip() {
        return ip;
    }

    Pod pod() {
        return pod;
    }
}
