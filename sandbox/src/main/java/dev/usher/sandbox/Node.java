package dev.usher.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stand-in for a node and its kubelet: runs every Pod as a local process bound to an address of its
 * own in 127.0.0.0/8 (its podIP), reports the Pod's status, and once the Deployment stand-in marks a
 * Pod terminating, stops the process the kubelet's way and then deletes the Pod.
 *
 * <p>Proxy Pods (the operator's proxy image) run the real proxy jar on the ConfigMap's proxy.yaml,
 * pointed at the sandbox's API server; other images run what the example's {@link ImageMap} says.
 */
final class Node implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Node.class);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    record Settings(String proxyImage, Path proxyJar, Path kubeconfig, Path workDir) {
    }

    private final KubernetesClient client;
    private final Settings settings;
    private final ImageMap images;
    private final Map<String, PodRun> runs = new ConcurrentHashMap<>();
    private final Map<String, PodStatus> written = new ConcurrentHashMap<>();
    private final Set<String> stopping = ConcurrentHashMap.newKeySet();
    private final ExecutorService stopper = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "node-stop");
        t.setDaemon(true);
        return t;
    });
    /** Addresses are never reused: a new Pod never inherits an old one's connections or TIME_WAIT sockets. */
    private final AtomicInteger nextIp = new AtomicInteger(0);

    Node(KubernetesClient client, Settings settings, ImageMap images) {
        this.client = client;
        this.settings = settings;
        this.images = images;
    }

    void pass() {
        Set<String> seen = new HashSet<>();
        for (Pod pod : client.pods().inAnyNamespace().list().getItems()) {
            String uid = pod.getMetadata().getUid();
            seen.add(uid);
            PodRun run = runs.computeIfAbsent(uid, u -> admit(pod));
            if (Pods.terminating(pod) && stopping.add(uid)) {
                stopper.execute(() -> {
                    run.stop(pod);
                    client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).delete();
                    LOG.info("pod {}/{} deleted", pod.getMetadata().getNamespace(), pod.getMetadata().getName());
                    runs.remove(uid);
                    written.remove(uid);
                    stopping.remove(uid);
                });
            }
            run.tick();
            PodStatus status = run.status();
            if (!status.equals(written.get(uid))) {
                client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                        .editStatus(p -> {
                            p.setStatus(status);
                            return p;
                        });
                written.put(uid, status);
            }
        }
        // Deleted behind the node's back (no graceful stop was asked for): stop at once.
        for (String uid : new ArrayList<>(runs.keySet())) {
            if (!seen.contains(uid) && !stopping.contains(uid)) {
                PodRun run = runs.remove(uid);
                written.remove(uid);
                stopper.execute(run::kill);
            }
        }
    }

    private PodRun admit(Pod pod) {
        int n = nextIp.incrementAndGet();
        String ip = "127.0." + (1 + n / 250) + "." + (1 + n % 250);
        String name = pod.getMetadata().getName();
        Container c = pod.getSpec().getContainers().get(0);
        Map<String, String> env = new HashMap<>();
        if (c.getEnv() != null) {
            for (EnvVar e : c.getEnv()) {
                if (e.getValue() != null) {
                    env.put(e.getName(), e.getValue());
                }
            }
        }
        env.put("POD_NAME", name);
        env.put("POD_NAMESPACE", pod.getMetadata().getNamespace());
        env.put("POD_IP", ip);
        env.put("PORT", c.getPorts().isEmpty() ? "" : String.valueOf(c.getPorts().get(0).getContainerPort()));
        Path dir = settings.workDir().resolve("pods").resolve(name);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        PodRun.Launch launch;
        try {
            launch = launch(pod, c, ip, env, dir);
        } catch (RuntimeException e) {
            launch = PodRun.Launch.failed(e.getMessage());
        }
        if (launch.failure() != null) {
            LOG.warn("pod {}/{}: {}", pod.getMetadata().getNamespace(), name, launch.failure());
        }
        return new PodRun(pod, ip, launch, dir.resolve("log"));
    }

    private PodRun.Launch launch(Pod pod, Container c, String ip, Map<String, String> env, Path dir) {
        if (settings.proxyImage().equals(c.getImage())) {
            Path config = proxyConfig(pod, dir);
            String java = ProcessHandle.current().info().command().orElse("java");
            List<String> argv = List.of(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-jar", settings.proxyJar().toString(), "--config", config.toString(),
                    "--listen", ip + ":" + port(c, "http"), "--admin", ip + ":" + port(c, "admin"));
            return new PodRun.Launch(argv, dir, env, null);
        }
        return images.command(c.getImage())
                .map(cmd -> new PodRun.Launch(cmd.expand(env), cmd.workDir(), env, null))
                .orElseGet(() -> PodRun.Launch.failed("image " + c.getImage() + " has no local command in the sandbox ("
                        + images.describe() + "): add it under images: in the example's " + ImageMap.FILE));
    }

    /** The proxy's config as the pod mounts it, plus the kubeconfig that reaches the sandbox's API server. */
    private Path proxyConfig(Pod pod, Path dir) {
        String configMap = pod.getSpec().getVolumes().stream()
                .map(Volume::getConfigMap).filter(v -> v != null).map(v -> v.getName())
                .findFirst().orElseThrow(() -> new IllegalArgumentException("the proxy pod mounts no ConfigMap"));
        ConfigMap cm = client.configMaps().inNamespace(pod.getMetadata().getNamespace()).withName(configMap).get();
        if (cm == null || cm.getData() == null || cm.getData().get("proxy.yaml") == null) {
            throw new IllegalArgumentException("ConfigMap " + configMap + " has no proxy.yaml");
        }
        try {
            ObjectNode root = (ObjectNode) YAML.readTree(cm.getData().get("proxy.yaml"));
            ((ObjectNode) root.path("upstream").path("kubernetes")).put("kubeconfig", settings.kubeconfig().toString());
            Path file = dir.resolve("proxy.yaml");
            YAML.writeValue(file.toFile(), root);
            return file;
        } catch (IOException | ClassCastException e) {
            throw new IllegalArgumentException("ConfigMap " + configMap + ": cannot use its proxy.yaml: " + e.getMessage(), e);
        }
    }

    private static int port(Container c, String name) {
        return Probe.port(c, new io.fabric8.kubernetes.api.model.IntOrString(name));
    }

    /** Stops every process the node started. */
    @Override
    public void close() {
        stopper.shutdownNow();
        runs.values().parallelStream().forEach(PodRun::kill);
        runs.clear();
    }
}
