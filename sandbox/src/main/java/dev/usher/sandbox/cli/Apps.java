package dev.usher.sandbox.cli;

import dev.usher.operator.resource.ProxiedApp;
import dev.usher.sandbox.Sandbox;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/** Waiting for the applied ProxiedApps to be Ready and for their Services to have a port on 127.0.0.1. */
final class Apps {

    private Apps() {
    }

    static boolean ready(ProxiedApp app) {
        return app != null && app.getStatus() != null && app.getStatus().conditions() != null
                && app.getStatus().conditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    static List<ProxiedApp> awaitReady(Sandbox sandbox, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<ProxiedApp> apps = sandbox.client().resources(ProxiedApp.class).inAnyNamespace().list().getItems();
            if (apps.stream().allMatch(Apps::ready)) {
                return apps;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not Ready after " + timeout.toSeconds() + " s: "
                        + apps.stream().filter(a -> !ready(a)).map(a -> a.getMetadata().getName()).toList());
            }
            Thread.sleep(200); // polling the API
        }
    }

    /**
     * The Service's port on 127.0.0.1, once a request through it gets an answer that is not a 5xx: a
     * proxy's pool can lag the app's Ready condition by a moment, and the printed curl should work.
     */
    static int awaitPort(Sandbox sandbox, ProxiedApp app, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            var port = sandbox.port(app.getMetadata().getNamespace(), app.getMetadata().getName(), app.getSpec().proxy().port());
            if (port.isPresent() && answers(port.getAsInt())) {
                return port.getAsInt();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Service " + app.getMetadata().getName() + " has no port after "
                        + timeout.toSeconds() + " s");
            }
            Thread.sleep(100); // polling the host ports
        }
    }

    private static boolean answers(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String status = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            return status.startsWith("HTTP/1.") && status.length() == 12 && status.charAt(9) != '5';
        } catch (IOException e) {
            return false;
        }
    }
}
