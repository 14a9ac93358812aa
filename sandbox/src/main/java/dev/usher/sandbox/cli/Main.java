package dev.usher.sandbox.cli;

import dev.usher.operator.resource.ProxiedApp;
import dev.usher.sandbox.Sandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar usher-sandbox.jar up [--work DIR] DIR...}: brings the sandbox up, installs Usher with
 * helm, applies each folder with kubectl, prints how to reach it, and runs until Ctrl-C or SIGTERM.
 * Everything else is kubectl's and helm's job.
 */
@Command(name = "java -jar sandbox/target/usher-sandbox.jar", subcommands = Main.Up.class,
        synopsisSubcommandLabel = "up", description = "The whole of Usher on this machine: a single-node Kubernetes"
                + " cluster with Usher installed by its chart.")
public final class Main implements Callable<Integer> {

    @Option(names = "--work", paramLabel = "DIR", scope = ScopeType.INHERIT,
            defaultValue = "${env:USHER_SANDBOX_WORK:-${sys:java.io.tmpdir}/usher-sandbox}",
            description = "its files (environment USHER_SANDBOX_WORK; default: ${DEFAULT-VALUE})")
    Path work;

    @Option(names = {"-h", "--help"}, usageHelp = true, scope = ScopeType.INHERIT, description = "this text")
    boolean help;

    @Spec
    CommandSpec spec;

    private Main() {
    }

    public static void main(String[] args) {
        System.setProperty("logback.configurationFile", "usher-sandbox-logback.xml");
        System.exit(new CommandLine(new Main()).execute(args));
    }

    /** Without a command: the usage, as for a wrong one. */
    @Override
    public Integer call() {
        spec.commandLine().usage(System.out);
        return 2;
    }

    @Command(name = "up", description = {"a single-node Kubernetes cluster with Usher installed by its chart, then",
        "kubectl apply -f on each folder (e.g. examples/hello/); Ctrl-C stops it all"})
    static final class Up implements Callable<Integer> {
        @ParentCommand
        Main main;

        @Parameters(paramLabel = "DIR", arity = "0..*", description = "folders of resources to apply")
        List<Path> dirs = List.of();

        @Override
        public Integer call() throws Exception {
            for (Path dir : dirs) {
                if (!Files.isDirectory(dir)) {
                    System.err.println("up: " + dir + " is not a folder of resources");
                    return 2;
                }
            }
            up(main.work, dirs);
            return 0;
        }
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
