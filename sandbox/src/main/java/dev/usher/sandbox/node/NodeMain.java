package dev.usher.sandbox.node;

import dev.usher.kube.ControlPlane;
import dev.usher.sandbox.network.PodNetwork;
import dev.usher.sandbox.network.Relay;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandbox's node: started by the host side inside a new user, network, mount and PID namespace,
 * where it is process 1, so that every process of every pod ends when it does. It sets up the pod
 * network, carries the API server's unix socket to the cluster IP of Service "kubernetes" (where pods
 * and the node itself reach the API), registers the Node, runs the kubelet and kube-proxy stand-ins,
 * and stops when its standard input closes, i.e. when the host side is gone for whatever reason.
 */
public final class NodeMain {

    private static final Logger LOG = LoggerFactory.getLogger(NodeMain.class);

    /** What the host side tells the node. */
    public record Settings(String name, Path work, Path adminKubeconfig, Path apiSocket, String podCidr,
            String serviceCidr, Path root, int kubeletPort, List<Path> imageFiles) {

        public List<String> args() {
            List<String> args = new ArrayList<>(List.of(name, work.toString(), adminKubeconfig.toString(),
                    apiSocket.toString(), podCidr, serviceCidr, root.toString(), Integer.toString(kubeletPort)));
            imageFiles.forEach(f -> args.add(f.toString()));
            return args;
        }

        static Settings parse(String[] a) {
            List<Path> files = new ArrayList<>();
            for (int i = 8; i < a.length; i++) {
                files.add(Path.of(a[i]));
            }
            return new Settings(a[0], Path.of(a[1]), Path.of(a[2]), Path.of(a[3]), a[4], a[5], Path.of(a[6]),
                    Integer.parseInt(a[7]), files);
        }
    }

    /** The line the node prints once it is registered and running. */
    public static final String READY = "node ready";

    private NodeMain() {
    }

    public static void main(String[] args) throws Exception {
        Settings settings = Settings.parse(args);
        PodNetwork network = new PodNetwork(settings.podCidr(), settings.serviceCidr());
        network.setUpNode();
        String apiHost = PodNetwork.address(settings.serviceCidr(), 1);
        int apiPort = 443;
        Relay api = Relay.tcp("kubernetes", new InetSocketAddress(apiHost, apiPort),
                () -> UnixDomainSocketAddress.of(settings.apiSocket()));
        Config config = Config.fromKubeconfig(Files.readString(settings.adminKubeconfig()));
        config.setMasterUrl("https://" + apiHost + ":" + apiPort);
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();

        NodeLease lease = new NodeLease(client, settings.name(), "127.0.0.1", settings.kubeletPort());
        lease.register("v" + ControlPlane.KUBERNETES_VERSION);
        Path services = Files.createDirectories(settings.work().resolve("services"));
        KubeProxy proxy = new KubeProxy(client, services, Set.of("default/kubernetes"));
        PodRun.Node node = new PodRun.Node(settings.name(), "127.0.0.1", apiHost, apiPort,
                ImageMap.load(settings.root(), settings.imageFiles()), network);
        Kubelet kubelet = new Kubelet(client, node, Files.createDirectories(settings.work().resolve("pods")));

        ScheduledExecutorService loops = Executors.newScheduledThreadPool(3, Kubelet.daemon("node"));
        loops.scheduleWithFixedDelay(() -> guard("lease", lease::renew), 10, 10, TimeUnit.SECONDS);
        loops.scheduleWithFixedDelay(() -> guard("kube-proxy", proxy::pass), 0, 200, TimeUnit.MILLISECONDS);
        loops.scheduleWithFixedDelay(() -> guard("kubelet", kubelet::pass), 0, 200, TimeUnit.MILLISECONDS);
        System.out.println(READY);
        System.out.flush();

        // The host side holds our standard input: end of input means it stopped, or died.
        while (System.in.read() >= 0) {
            // nothing is sent: only the end matters
        }
        LOG.info("the host side is gone: stopping every pod");
        loops.shutdownNow();
        kubelet.close();
        proxy.close();
        api.close();
        client.close();
        System.exit(0);
    }

    private static void guard(String what, Runnable pass) {
        try {
            pass.run();
        } catch (RuntimeException e) {
            // The next pass starts from the API's state again.
            LOG.warn("{}: {}", what, e.toString());
        }
    }
}
