package dev.usher.kube;

import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kubernetes control plane on this machine: etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler as child processes, every port on 127.0.0.1, every file (certificates, kubeconfigs,
 * etcd's data, one log per process) in its own folder. Authorization is Node,RBAC and the default
 * admission plugins run, ServiceAccount admission included, plus OwnerReferencesPermissionEnforcement,
 * so a ServiceAccount's token gets exactly its RBAC. There is no kubelet: pods are scheduled to no node unless a test makes one.
 *
 * <p>The binaries come from {@code bin/kubernetes.sh}. {@link #close()} stops every process it started,
 * by pid; a shutdown hook does the same if the JVM exits first.
 */
public final class ControlPlane implements AutoCloseable {

    /** The Kubernetes release bin/kubernetes.sh builds (etcd is the one it requires). */
    public static final String KUBERNETES_VERSION = "1.34.4";

    private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);
    private static final String LOOPBACK = "127.0.0.1";
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);

    /**
     * @param binaries    the folder with etcd, kube-apiserver, kube-controller-manager and kube-scheduler
     * @param dir         where its files go; created if absent
     * @param serviceCidr the Services' cluster IPs
     * @param podCidr     the pods' addresses, as the controller manager knows them
     * @param apiServerFlags more flags for kube-apiserver, e.g. an audit log
     */
    public record Settings(Path binaries, Path dir, String serviceCidr, String podCidr, List<String> apiServerFlags) {

        public Settings {
            apiServerFlags = List.copyOf(apiServerFlags);
        }

        /** The binaries of bin/kubernetes.sh, services in 10.96.0.0/16, pods in 10.244.0.0/16. */
        public static Settings defaults(Path dir) {
            return new Settings(defaultBinaries(), dir, "10.96.0.0/16", "10.244.0.0/16", List.of());
        }

        public Settings withApiServerFlags(String... flags) {
            return new Settings(binaries, dir, serviceCidr, podCidr, List.of(flags));
        }
    }

    private final Settings settings;
    private final Path logs;
    private final List<Process> processes = new ArrayList<>();
    private final Thread shutdownHook = new Thread(this::stopProcesses, "control-plane-stop");
    private Pki pki;
    private String url;
    private KubernetesClient admin;

    private ControlPlane(Settings settings) throws IOException {
        this.settings = settings;
        this.logs = Files.createDirectories(settings.dir().resolve("logs"));
    }

    /** Starts every process and waits until the API server is ready and the controllers run (about 6 s). */
    public static ControlPlane start(Settings settings) throws IOException {
        for (String binary : List.of("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")) {
            if (!Files.isExecutable(settings.binaries().resolve(binary))) {
                throw new IllegalStateException("no " + binary + " in " + settings.binaries()
                        + ": run bin/kubernetes.sh, which builds the Kubernetes binaries once per machine");
            }
        }
        ControlPlane plane = new ControlPlane(settings);
        Runtime.getRuntime().addShutdownHook(plane.shutdownHook);
        try {
            plane.startProcesses();
        } catch (IOException | RuntimeException e) {
            plane.close();
            throw e;
        }
        return plane;
    }

    /** The binaries' folder: $USHER_KUBERNETES_DIR (default ~/.cache/usher/kubernetes)/k8s/1.34.4-linux-amd64. */
    public static Path defaultBinaries() {
        String root = System.getenv("USHER_KUBERNETES_DIR");
        Path base = root == null || root.isEmpty()
                ? Path.of(System.getProperty("user.home"), ".cache", "usher", "kubernetes") : Path.of(root);
        String arch = System.getProperty("os.arch").replace("x86_64", "amd64").replace("aarch64", "arm64");
        return base.resolve("k8s").resolve(KUBERNETES_VERSION + "-"
                + System.getProperty("os.name").toLowerCase() + "-" + arch);
    }

    private void startProcesses() throws IOException {
        Path dir = settings.dir();
        pki = new Pki(dir.resolve("pki"), List.of(LOOPBACK, firstAddress(settings.serviceCidr())));
        int etcdPort = freePort();
        int etcdPeerPort = freePort();
        int apiPort = freePort();
        url = "https://" + LOOPBACK + ":" + apiPort;

        String etcdUrl = "http://" + LOOPBACK + ":" + etcdPort;
        String peerUrl = "http://" + LOOPBACK + ":" + etcdPeerPort;
        Process etcd = launch("etcd", "--name", "local", "--data-dir", dir.resolve("etcd").toString(),
                "--listen-client-urls", etcdUrl, "--advertise-client-urls", etcdUrl,
                "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", "local=" + peerUrl, "--log-level", "warn",
                // Test data: losing it in a crash is fine, and fsync would dominate the API's latency.
                "--unsafe-no-fsync");
        await("etcd on port " + etcdPort, Duration.ofSeconds(30), etcd, () -> accepts(etcdPort));

        List<String> apiServerArgs = new ArrayList<>(List.of(
                "--etcd-servers", etcdUrl,
                "--bind-address", LOOPBACK, "--advertise-address", LOOPBACK, "--secure-port", Integer.toString(apiPort),
                // The API server would otherwise keep trying to publish 127.0.0.1 as the endpoint of
                // Service "kubernetes", which the API refuses (loopback).
                "--endpoint-reconciler-type", "none",
                "--tls-cert-file", pki.apiServer.certificate().toString(),
                "--tls-private-key-file", pki.apiServer.key().toString(),
                "--client-ca-file", pki.ca.toString(),
                "--service-account-key-file", pki.serviceAccountPublicKey.toString(),
                "--service-account-signing-key-file", pki.serviceAccountKey.toString(),
                "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
                "--service-cluster-ip-range", settings.serviceCidr(),
                "--authorization-mode", "Node,RBAC",
                // Beside the default plugins, as OpenShift runs it: setting blockOwnerDeletion on an owner
                // reference needs update on the owner's finalizers.
                "--enable-admission-plugins", "OwnerReferencesPermissionEnforcement",
                "--requestheader-client-ca-file", pki.frontProxyCa.toString(),
                "--requestheader-allowed-names", "front-proxy-client",
                "--requestheader-username-headers", "X-Remote-User",
                "--requestheader-group-headers", "X-Remote-Group",
                "--requestheader-extra-headers-prefix", "X-Remote-Extra-",
                "--proxy-client-cert-file", pki.frontProxyClient.certificate().toString(),
                "--proxy-client-key-file", pki.frontProxyClient.key().toString(),
                "--profiling=false"));
        apiServerArgs.addAll(settings.apiServerFlags());
        Process apiServer = launch("kube-apiserver", apiServerArgs.toArray(String[]::new));
        admin = new KubernetesClientBuilder().withConfig(clientConfig(pki.admin)).build();
        await("kube-apiserver /readyz on port " + apiPort, Duration.ofSeconds(90), apiServer, this::apiReady);

        Path kcmConfig = kubeconfig("controller-manager", pki.controllerManager);
        Process controllerManager = launch("kube-controller-manager",
                "--kubeconfig", kcmConfig.toString(),
                "--authentication-kubeconfig", kcmConfig.toString(),
                "--authorization-kubeconfig", kcmConfig.toString(),
                "--bind-address", LOOPBACK, "--secure-port", "0",
                "--controllers", "*", "--use-service-account-credentials",
                "--service-account-private-key-file", pki.serviceAccountKey.toString(),
                "--root-ca-file", pki.ca.toString(),
                "--cluster-signing-cert-file", pki.ca.toString(), "--cluster-signing-key-file", pki.caKey.toString(),
                "--service-cluster-ip-range", settings.serviceCidr(), "--cluster-cidr", settings.podCidr(),
                "--leader-elect=false", "--profiling=false");
        Path schedulerConfig = kubeconfig("scheduler", pki.scheduler);
        Process scheduler = launch("kube-scheduler",
                "--kubeconfig", schedulerConfig.toString(),
                "--authentication-kubeconfig", schedulerConfig.toString(),
                "--authorization-kubeconfig", schedulerConfig.toString(),
                "--bind-address", LOOPBACK, "--secure-port", "0",
                "--leader-elect=false", "--profiling=false");
        kubeconfig("admin", pki.admin);
        // The ServiceAccount controller makes "default" in each namespace: proof that the controllers run.
        await("kube-controller-manager's first ServiceAccount", Duration.ofSeconds(60), controllerManager,
                () -> admin.serviceAccounts().inNamespace("default").withName("default").get() != null);
        if (!scheduler.isAlive()) {
            throw new IllegalStateException("kube-scheduler exited with " + scheduler.exitValue() + ", see " + logs);
        }
        LOG.info("Kubernetes {} control plane at {} (files in {})", KUBERNETES_VERSION, url, dir);
    }

    /** The API server's URL, https://127.0.0.1:port. */
    public String url() {
        return url;
    }

    public Path dir() {
        return settings.dir();
    }

    /** A kubeconfig for a user in system:masters (kubectl, helm). */
    public Path adminKubeconfig() {
        return settings.dir().resolve("admin.kubeconfig");
    }

    /** A client as a user in system:masters; closed with the control plane. */
    public KubernetesClient admin() {
        return admin;
    }

    /** A client config as the ServiceAccount namespace/name, with a token from a TokenRequest; namespace is its default. */
    public Config configFor(String namespace, String serviceAccount) {
        String token = admin.serviceAccounts().inNamespace(namespace).withName(serviceAccount)
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(24 * 3600L).endSpec()
                        .build())
                .getStatus().getToken();
        return new ConfigBuilder(Config.empty())
                .withMasterUrl(url)
                .withCaCertFile(pki.ca.toString())
                .withOauthToken(token)
                .withNamespace(namespace)
                .build();
    }

    /** A new client as the ServiceAccount namespace/name; the caller closes it. */
    public KubernetesClient clientFor(String namespace, String serviceAccount) {
        return new KubernetesClientBuilder().withConfig(configFor(namespace, serviceAccount)).build();
    }

    /** Stops every process, the last resort being SIGKILL; the files stay, for their logs. */
    @Override
    public void close() {
        if (admin != null) {
            admin.close();
        }
        stopProcesses();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // The JVM is exiting, and the hook is what is calling this.
        }
    }

    private synchronized void stopProcesses() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            Process process = processes.get(i);
            process.destroy();
            try {
                if (!process.waitFor(STOP_GRACE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    LOG.warn("pid {} did not stop on SIGTERM within {}: killing it", process.pid(), STOP_GRACE);
                    process.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        processes.clear();
    }

    private Config clientConfig(Pki.KeyPair user) {
        return new ConfigBuilder(Config.empty())
                .withMasterUrl(url)
                .withCaCertFile(pki.ca.toString())
                .withClientCertFile(user.certificate().toString())
                .withClientKeyFile(user.key().toString())
                .build();
    }

    private Path kubeconfig(String name, Pki.KeyPair user) throws IOException {
        Path file = settings.dir().resolve(name + ".kubeconfig");
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: local
                  cluster: {server: "%s", certificate-authority: "%s"}
                users:
                - name: %s
                  user: {client-certificate: "%s", client-key: "%s"}
                contexts:
                - name: local
                  context: {cluster: local, user: %s}
                current-context: local
                """.formatted(url, pki.ca.toAbsolutePath(), name, user.certificate().toAbsolutePath(),
                user.key().toAbsolutePath(), name));
        return file;
    }

    private Process launch(String binary, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(settings.binaries().resolve(binary).toString());
        command.addAll(List.of(args));
        Path log = logs.resolve(binary + ".log");
        Process process = new ProcessBuilder(command)
                .directory(settings.dir().toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        processes.add(process);
        LOG.debug("started {} as pid {}, log {}", binary, process.pid(), log);
        return process;
    }

    private boolean apiReady() {
        try {
            return "ok".equals(admin.raw(url + "/readyz"));
        } catch (RuntimeException e) {
            return false;
        }
    }

    private void await(String what, Duration limit, Process process, BooleanSupplier ready) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!ready.getAsBoolean()) {
            if (!process.isAlive()) {
                throw new IllegalStateException(what + ": the process exited with " + process.exitValue()
                        + ", see " + logs);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + ": not ready within " + limit + ", see " + logs);
            }
            try {
                Thread.sleep(100); // polling a child process that has no way to call back
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
        if (!process.isAlive()) {
            throw new IllegalStateException(what + ": the process exited with " + process.exitValue() + ", see " + logs);
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(LOOPBACK, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
            return socket.getLocalPort();
        }
    }

    /** The first address of an IPv4 CIDR: the cluster IP of Service "kubernetes", a SAN of the serving certificate. */
    static String firstAddress(String cidr) {
        try {
            byte[] address = InetAddress.getByName(cidr.substring(0, cidr.indexOf('/'))).getAddress();
            address[address.length - 1]++;
            return InetAddress.getByAddress(address).getHostAddress();
        } catch (UnknownHostException e) {
            throw new UncheckedIOException(e);
        }
    }
}
