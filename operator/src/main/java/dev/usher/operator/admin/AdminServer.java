package dev.usher.operator.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The operator's probes and metrics, on the JDK's HTTP server: three small GETs need no framework.
 * /healthz fails when an informer has stopped watching (a restart is the cure); /readyz fails until
 * the operator has started and while it shuts down.
 */
public final class AdminServer implements AutoCloseable {

    /** A probe's verdict: whether it passes, and a line for a person reading it. */
    public record Probe(boolean ok, String detail) {
    }

    private final HttpServer server;

    public AdminServer(InetSocketAddress address, Supplier<Probe> health, Supplier<Probe> readiness,
                       PrometheusMeterRegistry metrics) {
        try {
            server = HttpServer.create(address, 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + address, e);
        }
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "usher-admin");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/healthz", exchange -> probe(exchange, health.get()));
        server.createContext("/readyz", exchange -> probe(exchange, readiness.get()));
        server.createContext("/metrics", exchange -> reply(exchange, 200,
                "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
    }

    public void start() {
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private static void probe(HttpExchange exchange, Probe probe) throws IOException {
        reply(exchange, probe.ok() ? 200 : 503, "text/plain; charset=utf-8", probe.detail() + "\n");
    }

    private static void reply(HttpExchange exchange, int status, String type, String body) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", type);
            boolean head = "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }
}
