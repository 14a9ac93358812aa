package dev.usher.proxy.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Debian's HAProxy as an HTTP reverse proxy on 127.0.0.1, in front of one server, for comparisons. */
public final class HaproxyServer implements AutoCloseable {
    public static final String REQUIREMENT = "needs HAProxy (Debian: apt-get install haproxy)";
    private static final Path HAPROXY = Path.of("/usr/sbin/haproxy");
    private static final int BIND_ATTEMPTS = 5;

    private final Path dir;
    private final Process process;
    private final int port;

    private HaproxyServer(Path dir, Process process, int port) {
        this.dir = dir;
        this.process = process;
        this.port = port;
    }

    public static boolean available() {
        return Files.isExecutable(HAPROXY);
    }

    public static HaproxyServer httpFront(String hostPort) throws IOException {
        for (int attempt = 1; ; attempt++) {
            Path dir = Files.createTempDirectory("usher-haproxy");
            try {
                return start(dir, hostPort);
            } catch (RuntimeException | Error e) {
                boolean portTaken = UwsgiServer.read(dir.resolve("haproxy.log")).contains("ddress already in use");
                UwsgiServer.deleteRecursively(dir);
                if (attempt == BIND_ATTEMPTS || !portTaken) {
                    throw e;
                }
            }
        }
    }

    private static HaproxyServer start(Path dir, String hostPort) throws IOException {
        Path conf = dir.resolve("haproxy.cfg");
        Path log = dir.resolve("haproxy.log");
        int port;
        // HAProxy cannot report a port the kernel picked, so we pick one, and someone may take it first.
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Files.writeString(conf, """
                global
                    maxconn 1000
                defaults
                    mode http
                    timeout connect 2s
                    timeout client 2s
                    timeout server 10s
                frontend front
                    bind 127.0.0.1:%d
                    default_backend back
                backend back
                    http-reuse safe
                    server one %s
                """.formatted(port, hostPort));
        Process process = new ProcessBuilder(HAPROXY.toString(), "-db", "-f", conf.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        HaproxyServer haproxy = new HaproxyServer(dir, process, port);
        try {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                    .failFast(() -> UwsgiServer.failIfExited(process, log, "haproxy"))
                    .until(() -> UwsgiServer.accepts(port));
            return haproxy;
        } catch (RuntimeException | Error e) {
            haproxy.stop();
            throw e;
        }
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        stop();
        UwsgiServer.deleteRecursively(dir);
    }

    private void stop() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
