package dev.usher.operator;

import dev.usher.operator.config.OperatorConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -jar usher-operator.jar}: runs the operator until SIGTERM. */
public final class Main {

    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) {
        OperatorConfig config;
        try {
            config = OperatorConfig.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        if (config == null) {
            System.out.print(OperatorConfig.help());
            return;
        }
        KubernetesClient client = new KubernetesClientBuilder().build();
        LOG.info("API server {}, namespaces {}, proxy image {}, server-side apply {}, leader election {}",
                client.getMasterUrl(), config.namespaces().isEmpty() ? "all" : config.namespaces(),
                config.proxyImage(), config.serverSideApply(), config.leaderElection());
        // Exit from another thread: the shutdown hook below waits for JOSDK's threads, one of which calls this.
        UsherOperator operator = new UsherOperator(config, client, () -> new Thread(() -> System.exit(1)).start());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            operator.close();
            client.close();
        }, "usher-shutdown"));
        try {
            operator.start();
        } catch (RuntimeException e) {
            // e.g. no API server, the CRD is not installed, or the service account may not list ProxiedApps
            Throwable cause = e;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            LOG.error("could not start: {}", cause.getMessage(), e);
            System.exit(1);
        }
    }
}
