package dev.usher.sandbox;

import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar usher-sandbox.jar up|scale|get}: the sandbox's command line. {@code up} runs
 * until Ctrl-C; the others talk to a running sandbox through its kubeconfig.
 */
public final class Main {

    private static final String USAGE = """
            Usage: java -jar sandbox/target/usher-sandbox.jar COMMAND
              up DIR...                 bring the sandbox up and apply each folder's YAML (e.g. examples/hello/)
              get                       the ProxiedApps and Pods of the running sandbox
              scale NAME REPLICAS       set a ProxiedApp's replicas through its scale subresource
              --work DIR                the running sandbox's files (default: %s)
            """;

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("logback.configurationFile", "usher-sandbox-logback.xml");
        List<String> rest = new ArrayList<>(List.of(args));
        Path work = Path.of(System.getProperty("java.io.tmpdir"), "usher-sandbox");
        int w = rest.indexOf("--work");
        if (w >= 0 && w + 1 < rest.size()) {
            work = Path.of(rest.get(w + 1));
            rest.subList(w, w + 2).clear();
        }
        String command = rest.isEmpty() ? "--help" : rest.remove(0);
        switch (command) {
            case "up" -> up(work, rest);
            case "get" -> get(work);
            case "scale" -> scale(work, rest);
            default -> {
                System.out.print(USAGE.formatted(work));
                System.exit("--help".equals(command) ? 0 : 2);
            }
        }
    }

    private static void up(Path work, List<String> dirs) throws InterruptedException {
        if (dirs.isEmpty()) {
            System.err.println("up: name a folder of resources, e.g. examples/hello/");
            System.exit(2);
        }
        Sandbox sandbox = new Sandbox(work, ProxyJar.find());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stopping the sandbox and every process it started");
            sandbox.close();
            stopped.countDown();
        }, "sandbox-shutdown"));
        List<String> apps = new ArrayList<>();
        for (String dir : dirs) {
            sandbox.apply(Path.of(dir)).stream().filter(ProxiedApp.class::isInstance)
                    .forEach(a -> apps.add(a.getMetadata().getName()));
        }
        for (String app : apps) {
            Status.awaitReady(sandbox.client(), app, Duration.ofMinutes(3));
            ProxiedApp a = sandbox.client().resources(ProxiedApp.class).inNamespace(Sandbox.NAMESPACE).withName(app).get();
            int port = Status.awaitPort(sandbox, app, a.getSpec().proxy().port(), Duration.ofSeconds(30));
            System.out.printf("%n%s is Ready: %d replicas, %d upstreams; in the sandbox its Service is %s%n", app,
                    a.getStatus().readyReplicas(), a.getStatus().upstreams(), a.getStatus().url());
            System.out.printf("  curl http://127.0.0.1:%d/%n", port);
            System.out.printf("  java -jar sandbox/target/usher-sandbox.jar scale %s 5%n", app);
        }
        System.out.printf("  java -jar sandbox/target/usher-sandbox.jar get%n");
        System.out.printf("%nThe sandbox simulates a node and its controllers, for trying and testing Usher;"
                + " production is helm install on a cluster.%nAPI server kubeconfig: %s (fabric8 clients;"
                + " kubectl needs API discovery, which the embedded server lacks). Ctrl-C stops everything.%n",
                sandbox.kubeconfig());
        stopped.await();
    }

    private static KubernetesClient connect(Path work) throws IOException {
        Path kubeconfig = work.resolve("kubeconfig");
        if (!Files.exists(kubeconfig)) {
            System.err.println("no running sandbox: " + kubeconfig + " does not exist (start one with `up`)");
            System.exit(1);
        }
        return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(kubeconfig))).build();
    }

    private static void get(Path work) throws IOException {
        try (KubernetesClient client = connect(work)) {
            System.out.printf("%-16s %-9s %-6s %-10s %s%n", "PROXIEDAPP", "REPLICAS", "READY", "UPSTREAMS", "URL (in the sandbox)");
            for (ProxiedApp a : client.resources(ProxiedApp.class).inNamespace(Sandbox.NAMESPACE).list().getItems()) {
                var s = a.getStatus();
                System.out.printf("%-16s %-9d %-6s %-10s %s%n", a.getMetadata().getName(), a.getSpec().replicas(),
                        s == null ? "-" : s.readyReplicas(), s == null ? "-" : s.upstreams(), s == null ? "-" : s.url());
            }
            System.out.printf("%n%-40s %-6s %-12s %-9s %s%n", "POD", "READY", "IP", "RESTARTS", "STATE");
            for (Pod p : client.pods().inNamespace(Sandbox.NAMESPACE).list().getItems()) {
                var cs = p.getStatus() == null || p.getStatus().getContainerStatuses() == null
                        || p.getStatus().getContainerStatuses().isEmpty() ? null : p.getStatus().getContainerStatuses().get(0);
                String state = Pods.terminating(p) ? "Terminating"
                        : cs == null ? "Pending"
                        : cs.getState().getWaiting() != null ? cs.getState().getWaiting().getReason() + ": "
                                + Objects.requireNonNullElse(cs.getState().getWaiting().getMessage(), "")
                        : "Running";
                System.out.printf("%-40s %-6s %-12s %-9s %s%n", p.getMetadata().getName(), Pods.ready(p),
                        Objects.requireNonNullElse(Pods.ip(p), "-"), cs == null ? 0 : cs.getRestartCount(), state);
            }
        }
    }

    private static void scale(Path work, List<String> args) throws IOException {
        if (args.size() != 2) {
            System.err.println("scale NAME REPLICAS");
            System.exit(2);
        }
        try (KubernetesClient client = connect(work)) {
            client.resources(ProxiedApp.class).inNamespace(Sandbox.NAMESPACE).withName(args.get(0))
                    .scale(Integer.parseInt(args.get(1)));
            System.out.printf("proxiedapp/%s scaled to %s%n", args.get(0), args.get(1));
        }
    }
}
