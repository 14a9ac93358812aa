package dev.usher.sandbox.cli;

import dev.usher.operator.resource.ProxiedApp;
import dev.usher.sandbox.Sandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar usher-sandbox.jar up [--work DIR] DIR...}: brings the sandbox up, installs Usher with
 * helm, applies each folder with kubectl, prints how to reach it, and runs until Ctrl-C or SIGTERM.
 * Everything else is kubectl's and helm's job.
 */
public final class Main {

    private static final String USAGE = """
            Usage: java -jar sandbox/target/usher-sandbox.jar up [--work DIR] [DIR...]
              up DIR...     a single-node Kubernetes cluster with Usher installed by its chart, then
                            kubectl apply -f on each folder (e.g. examples/hello/); Ctrl-C stops it all
              --work DIR    its files (default: %s)
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
        if (rest.isEmpty() || !"up".equals(rest.get(0))) {
            System.out.print(USAGE.formatted(work));
            System.exit(rest.contains("--help") ? 0 : 2);
        }
        List<Path> dirs = rest.subList(1, rest.size()).stream().map(Path::of).toList();
        for (Path dir : dirs) {
            if (!Files.isDirectory(dir)) {
                System.err.println("up: " + dir + " is not a folder of resources");
                System.exit(2);
            }
        }
        up(work, dirs);
    }

    private static void up(Path work, List<Path> dirs) throws Exception {
        long start = System.nanoTime();
        Sandbox sandbox;
        try {
            sandbox = Sandbox.up(new Sandbox.Settings(work, Sandbox.root(), dirs));
        } catch (RuntimeException e) {
            System.err.println("up: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stopping the sandbox and every process it started");
            sandbox.close();
            stopped.countDown();
        }, "sandbox-shutdown"));
        List<ProxiedApp> apps = Apps.awaitReady(sandbox, Duration.ofMinutes(3));
        System.out.printf("%nReady in %.1f s: Kubernetes %s, Usher installed by helm (release %s in %s).%n",
                (System.nanoTime() - start) / 1e9, dev.usher.kube.ControlPlane.KUBERNETES_VERSION, Sandbox.RELEASE,
                Sandbox.OPERATOR_NAMESPACE);
        for (ProxiedApp app : apps) {
            int port = Apps.awaitPort(sandbox, app, Duration.ofSeconds(30));
            System.out.printf("%n%s: %d replicas ready; its Service %s is on this machine at%n  curl http://127.0.0.1:%d/%n",
                    app.getMetadata().getName(), app.getStatus().readyReplicas(), app.getStatus().url(), port);
        }
        String name = apps.isEmpty() ? "hello" : apps.get(0).getMetadata().getName();
        System.out.printf("""

                export KUBECONFIG=%s
                kubectl get nodes,pods,papp
                kubectl scale papp %s --replicas=5
                kubectl apply -f examples/flask-uwsgi/
                kubectl delete papp %s
                helm list -A

                Pods run as processes in the sandbox's own network namespace; their files and logs are in %s.
                Ctrl-C stops everything.
                """, sandbox.kubeconfig(), name, name, work.toAbsolutePath().resolve("pods"));
        stopped.await();
    }
}
