package dev.usher.sandbox;

import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Waiting for a ProxiedApp to be Ready and for its Service to forward to a proxy. */
final class Status {

    static boolean ready(ProxiedApp app) {
        return app != null && app.getStatus() != null && app.getStatus().conditions() != null
                && app.getStatus().conditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** Polls until the app is Ready, or throws after the timeout. */
    static void awaitReady(KubernetesClient client, String name, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ready(client.resources(ProxiedApp.class).inNamespace(Sandbox.NAMESPACE).withName(name).get())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " is not Ready after " + timeout.toSeconds() + " s");
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
    }

    /** Polls until the Service's port forwards to a ready proxy (a pass of the Service port stand-in after Ready). */
    static int awaitPort(Sandbox sandbox, String service, int port, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (sandbox.localPort(service, port).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Service " + service + ":" + port + " has no ready endpoint after "
                        + timeout.toSeconds() + " s");
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        return sandbox.localPort(service, port).getAsInt();
    }

    private Status() {
    }
}
