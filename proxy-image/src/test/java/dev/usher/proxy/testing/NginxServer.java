package dev.usher.proxy.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's nginx in the foreground on a 127.0.0.1 port, as the reference for what the proxy should do: a front for
 * a uWSGI backend through {@code uwsgi_pass} with the stock {@code uwsgi_params}. Everything nginx writes (pid, error
 * log, request body temp files) stays in a temp prefix directory.
 */
public final class NginxServer implements AutoCloseable {
    public static final String REQUIREMENT = "needs nginx with the uwsgi module (Debian: apt-get install nginx-light)";

    private static final Path NGINX = Path.of("/usr/sbin/nginx");
    private static final Path UWSGI_PARAMS = Path.of("/etc/nginx/uwsgi_params");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final int BIND_ATTEMPTS = 5;

    private final Path prefix;
    private final Path log;
    private final Process process;
    private final int port;
    private final Thread killOnExit = new Thread(this::kill, "nginx-kill-on-exit");

    private NginxServer(Path prefix, Path log, Process process, int port) {
        this.prefix = prefix;
        this.log = log;
        this.process = process;
        this.port = port;
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    public static boolean available() {
        return Files.isExecutable(NGINX) && Files.isReadable(UWSGI_PARAMS)
                && UwsgiServer.onPath("setsid") && UwsgiServer.onPath("kill");
    }

    /** nginx passing every request to the uWSGI at {@code uwsgiHostPort} (e.g. {@link UwsgiServer#hostPort()}). */
    public static NginxServer uwsgiFront(String uwsgiHostPort) throws IOException {
        return uwsgiFront(uwsgiHostPort, "");
    }

    /**
     * As {@link #uwsgiFront(String)}, plus directives for the location, e.g. {@code "uwsgi_buffering off;"} so a
     * slow stream reaches the client chunk by chunk rather than when nginx's buffers fill or the response ends.
     */
    public static NginxServer uwsgiFront(String uwsgiHostPort, String extraLocationDirectives) throws IOException {
        return withLocation("include " + UWSGI_PARAMS + ";\n uwsgi_pass " + uwsgiHostPort + ";\n" + extraLocationDirectives);
    }

    /** nginx as an HTTP/1.1 reverse proxy (keep-alive upstream, the client's Host) in front of {@code hostPort}. */
    public static NginxServer httpFront(String hostPort) throws IOException {
        return withLocation("proxy_pass http://" + hostPort + ";\n proxy_http_version 1.1;\n"
                + " proxy_set_header Connection \"\";\n proxy_set_header Host $http_host;\n");
    }

    private static NginxServer withLocation(String locationBody) throws IOException {
        Path prefix = Files.createTempDirectory("usher-nginx");
        try {
            return start(prefix, locationBody);
        } catch (IOException | RuntimeException | Error e) {
            UwsgiServer.deleteRecursively(prefix);
            throw e;
        }
    }

    private static NginxServer start(Path prefix, String locationBody) throws IOException {
        Path conf = prefix.resolve("nginx.conf");
        RuntimeException bindFailure = null;
        // nginx cannot report a port the kernel picked, so we pick one, and someone may take it before nginx binds.
        for (int attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
            Path log = prefix.resolve("error-" + attempt + ".log");
            int port = freePort();
            Files.writeString(conf, config(prefix, log, port, locationBody));
            Process process = new ProcessBuilder("setsid", NGINX.toString(),
                    "-p", prefix + "/",
                    "-c", conf.toString(),
                    // where nginx logs before it has read the config; the default is under /var/log
                    "-e", log.toString(),
                    "-g", "daemon off;")
                    .directory(prefix.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            NginxServer nginx = new NginxServer(prefix, log, process, port);
            try {
                await().atMost(START_TIMEOUT)
                        .pollInterval(Duration.ofMillis(20))
                        .failFast(() -> UwsgiServer.failIfExited(process, log, "nginx"))
                        .until(() -> UwsgiServer.accepts(port));
                return nginx;
            } catch (RuntimeException | Error e) {
                nginx.stopProcesses();
                nginx.removeShutdownHook();
                if (!nginx.outputContains("Address already in use")) {
                    throw e;
                }
                bindFailure = e instanceof RuntimeException r ? r : new IllegalStateException(e);
            }
        }
        throw bindFailure;
    }

    private static String config(Path prefix, Path log, int port, String locationBody) {
        // As root, nginx would run its worker as "nobody", which cannot enter the private temp prefix.
        String user = isRoot() ? "user root;" : "";
        return """
                %1$s
                worker_processes 1;
                pid %2$s/nginx.pid;
                error_log %3$s warn;
                events {
                    worker_connections 1024;
                }
                http {
                    access_log off;
                    client_body_temp_path %2$s/client_body_temp;
                    proxy_temp_path %2$s/proxy_temp;
                    fastcgi_temp_path %2$s/fastcgi_temp;
                    uwsgi_temp_path %2$s/uwsgi_temp;
                    scgi_temp_path %2$s/scgi_temp;
                    client_max_body_size 100m;
                    server {
                        listen 127.0.0.1:%4$d;
                        location / {
                            %5$s
                        }
                    }
                }
                """.formatted(user, prefix, log, port, locationBody);
    }

    private static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    public long pid() {
        return process.pid();
    }

    /** nginx's error log, level warn and up: "upstream prematurely closed connection", body buffered to a file... */
    public List<String> output() {
        return UwsgiServer.read(log).lines().toList();
    }

    public boolean outputContains(String text) {
        return UwsgiServer.read(log).contains(text);
    }

    @Override
    public void close() {
        try {
            stopProcesses();
        } finally {
            removeShutdownHook();
            UwsgiServer.deleteRecursively(prefix);
        }
    }

    private void removeShutdownHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running or has run
        }
    }

    /** SIGTERM is nginx's fast shutdown (milliseconds); SIGKILL for whatever is left. */
    private void stopProcesses() {
        List<ProcessHandle> group = UwsgiServer.group(process);
        if (process.isAlive()) {
            process.destroy();
            try {
                process.waitFor(UwsgiServer.STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        UwsgiServer.killGroup(process, group);
    }

    private void kill() {
        UwsgiServer.killGroup(process, UwsgiServer.group(process));
    }
}
