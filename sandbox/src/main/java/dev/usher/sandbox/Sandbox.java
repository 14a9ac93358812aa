package dev.usher.sandbox;

import dev.usher.kube.ControlPlane;
import dev.usher.sandbox.network.Relay;
import dev.usher.sandbox.node.ImageMap;
import dev.usher.sandbox.node.NodeMain;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kubernetes cluster on this machine with Usher installed by its chart. On the host,
 * on 127.0.0.1 only: the real control plane (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler), and one port per Service. In a user, network, mount and PID namespace of its own:
 * the node ({@link NodeMain}: the kubelet and kube-proxy stand-ins and every pod). Unix sockets in the
 * work folder carry the API server in, and the Services out.
 */
public final class Sandbox implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Sandbox.class);
    public static final String NODE = "sandbox";
    public static final String RELEASE = "usher";
    public static final String OPERATOR_NAMESPACE = "usher-system";
    private static final String POD_CIDR = "10.244.0.0/16";
    private static final String SERVICE_CIDR = "10.96.0.0/16";

    /** @param work its files; dirs the example folders whose sandbox.images the node knows from the start */
    public record Settings(Path work, Path root, List<Path> dirs) {
    }

    private final Settings settings;
    private final List<AutoCloseable> opened = new ArrayList<>();
    private final ScheduledExecutorService loops = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "host-ports");
        t.setDaemon(true);
        return t;
    });
    private ControlPlane plane;
    private Path binaries;
    private Path helm;
    private Process node;
    private OutputStream nodeLifeline;
    private HostPorts hostPorts;

    private Sandbox(Settings settings) {
        this.settings = settings;
    }

    /** Brings everything up and installs Usher; on any failure stops what it started, and throws. */
    public static Sandbox up(Settings settings) throws Exception {
        Sandbox sandbox = new Sandbox(settings);
        try {
            sandbox.start();
            return sandbox;
        } catch (Exception | Error e) {
            sandbox.close();
            throw e;
        }
    }

    private void start() throws Exception {
        Path work = Files.createDirectories(settings.work().toAbsolutePath());
        FileLock lock = Preflight.lock(work);
        opened.add(() -> lock.channel().close());
        Preflight.jars(settings.root());
        helm = Preflight.helm(settings.root());
        Preflight.userNamespaces();
        binaries = Preflight.binaries(settings.root());
        for (String stale : List.of("cluster", "pods", "services")) {
            delete(work.resolve(stale));
        }

        Path audit = work.resolve("audit-policy.yaml");
        Files.writeString(audit, """
                apiVersion: audit.k8s.io/v1
                kind: Policy
                rules:
                - level: Metadata
                  verbs: [create, update, patch, delete, deletecollection]
                - level: None
                """);
        plane = ControlPlane.start(new ControlPlane.Settings(binaries, work.resolve("cluster"), SERVICE_CIDR, POD_CIDR,
                List.of("--audit-policy-file", audit.toString(), "--audit-log-path", auditLog().toString())));
        opened.add(plane);
        opened.add(new Watchdog(ProcessHandle.current().children()
                .filter(p -> p.info().command().map(c -> c.startsWith(binaries.toString())).orElse(false)).toList()));
        int apiPort = Integer.parseInt(plane.url().substring(plane.url().lastIndexOf(':') + 1));
        Relay api = Relay.unix("api", work.resolve("api.sock"), () -> new InetSocketAddress("127.0.0.1", apiPort));
        opened.add(api);
        KubeletLogs logs = new KubeletLogs(work, work.resolve("pods"));
        opened.add(logs);
        startNode(work, logs.port());
        hostPorts = new HostPorts(plane.admin(), work.resolve("services"));
        opened.add(hostPorts);
        loops.scheduleWithFixedDelay(() -> {
            try {
                hostPorts.pass();
            } catch (RuntimeException e) {
                LOG.warn("host ports: {}", e.toString());
            }
        }, 0, 200, TimeUnit.MILLISECONDS);
        installUsher();
        // helm has installed the CRD: the examples can go in while the operator pod starts.
        for (Path dir : settings.dirs()) {
            apply(dir);
        }
        awaitOperator();
    }

    private void startNode(Path work, int kubeletPort) throws IOException {
        List<Path> imageFiles = new ArrayList<>();
        try (var examples = Files.list(settings.root().resolve("examples"))) {
            examples.filter(Files::isDirectory).sorted().forEach(d -> imageFiles.addAll(ImageMap.filesIn(List.of(d))));
        }
        imageFiles.addAll(ImageMap.filesIn(settings.dirs().stream().map(Path::toAbsolutePath).toList()));
        var nodeSettings = new NodeMain.Settings(NODE, work, plane.adminKubeconfig(), work.resolve("api.sock"),
                POD_CIDR, SERVICE_CIDR, settings.root(), kubeletPort, imageFiles);
        List<String> command = new ArrayList<>(List.of("unshare", "--user", "--map-root-user", "--net", "--mount",
                "--pid", "--fork", "--kill-child", "--mount-proc",
                ProcessHandle.current().info().command().orElse("java"), "-Xmx128m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Dlogback.configurationFile=usher-sandbox-logback.xml",
                "-cp", System.getProperty("java.class.path"), NodeMain.class.getName()));
        command.addAll(nodeSettings.args());
        node = new ProcessBuilder(command).directory(settings.root().toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("node.log").toFile())).start();
        nodeLifeline = node.getOutputStream();
        opened.add(this::stopNode);
        await("the node to register and be Ready (log: " + work.resolve("node.log") + ")", Duration.ofSeconds(60),
                () -> nodeReady(plane.admin().nodes().withName(NODE).get()));
    }

    private static boolean nodeReady(Node n) {
        return n != null && n.getStatus() != null && n.getStatus().getConditions() != null && n.getStatus().getConditions()
                .stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private void installUsher() throws IOException, InterruptedException {
        run(List.of(helm.toString(), "install", RELEASE, settings.root().resolve("helm/usher").toString(),
                "--namespace", OPERATOR_NAMESPACE, "--create-namespace"), "helm install");
    }

    private void awaitOperator() {
        await("the operator's Deployment to be available (pods: " + settings.work().resolve("pods") + ")",
                Duration.ofSeconds(90), () -> {
                    Deployment d = plane.admin().apps().deployments().inNamespace(OPERATOR_NAMESPACE).withName(RELEASE).get();
                    return d != null && d.getStatus() != null && d.getStatus().getAvailableReplicas() != null
                            && d.getStatus().getAvailableReplicas() >= 1;
                });
    }

    /** kubectl apply -f on a folder; throws with kubectl's message when it does not apply. */
    public String apply(Path dir) throws IOException, InterruptedException {
        return kubectl("apply", "-f", dir.toAbsolutePath().toString());
    }

    /** Runs the real kubectl against the sandbox and returns its output; throws with it on failure. */
    public String kubectl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(binaries.resolve("kubectl").toString()));
        command.addAll(List.of(args));
        return run(command, "kubectl " + String.join(" ", args));
    }

    private String run(List<String> command, String what) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("KUBECONFIG", kubeconfig().toString());
        Process p = builder.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new Preflight.Failure(what + " failed: " + out.strip());
        }
        return out;
    }

    /** The repository root, where the chart, the examples and the jars are. */
    public static Path root() {
        return Preflight.root();
    }

    public KubernetesClient client() {
        return plane.admin();
    }

    public ControlPlane controlPlane() {
        return plane;
    }

    /** The kubeconfig of a user in system:masters, for kubectl and helm on the host. */
    public Path kubeconfig() {
        return plane.adminKubeconfig();
    }

    public Path auditLog() {
        return settings.work().toAbsolutePath().resolve("audit.log");
    }

    /** The 127.0.0.1 port of a Service's port, once the node serves it. */
    public OptionalInt port(String namespace, String service, int port) {
        return hostPorts == null ? OptionalInt.empty() : hostPorts.port(namespace, service, port);
    }

    /** The node's process (process 1 of the sandbox's PID namespace), e.g. for nsenter. */
    public ProcessHandle nodeProcess() {
        return node.toHandle();
    }

    /**
     * A command run inside the sandbox's network namespace, with nsenter: the one way the host side
     * reaches a pod or cluster address, e.g. a proxy's admin port.
     */
    public String inNamespace(String... argv) throws IOException, InterruptedException {
        long pid = node.toHandle().descendants().filter(p -> p.info().command().map(c -> !c.endsWith("unshare")).orElse(false))
                .findFirst().orElseThrow(() -> new IllegalStateException("the node is not running")).pid();
        List<String> command = new ArrayList<>(List.of("nsenter", "-t", Long.toString(pid), "-U", "-n", "--preserve-credentials"));
        command.addAll(List.of(argv));
        return run(command, String.join(" ", argv));
    }

    private void stopNode() throws InterruptedException {
        try {
            nodeLifeline.close();
        } catch (IOException e) {
            // already closed: the node is stopping anyway
        }
        if (!node.waitFor(20, TimeUnit.SECONDS)) {
            LOG.warn("the node did not stop within 20 s: killing it");
        }
        node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    private void await(String what, Duration limit, BooleanSupplier condition) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (node != null && !node.isAlive()) {
                throw new Preflight.Failure("the node exited with " + node.exitValue() + " while waiting for " + what);
            }
            if (System.nanoTime() > deadline) {
                throw new Preflight.Failure("timed out after " + limit.toSeconds() + " s waiting for " + what);
            }
            try {
                Thread.sleep(200); // polling the API, which cannot call back here
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Preflight.Failure("interrupted while waiting for " + what);
            }
        }
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Stops everything it started, in reverse order: the node (and so every pod) first. */
    @Override
    public synchronized void close() {
        loops.shutdownNow();
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                opened.get(i).close();
            } catch (Exception e) {
                LOG.warn("while stopping: {}", e.toString());
            }
        }
        opened.clear();
    }
}
