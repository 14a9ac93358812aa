package dev.usher.proxy.protocols.uwsgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.UwsgiServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The overload the stack Usher replaces handles badly: a real uWSGI with 2 processes and a listen backlog of 16,
 * a 50 ms route, and 120 clients sending 2 requests each. With upstream.concurrency at the process count, the
 * excess waits in the proxy's queue instead of uWSGI's backlog: every request is answered 200 and the kernel counts
 * no accept-queue overflow (TcpExtListenOverflows).
 */
class UwsgiOverloadIT {
    private static final int CLIENTS = 120;
    private static final int REQUESTS_EACH = 2;

    @Test
    void everyRequestIsServedAndNoBacklogOverflows() throws Exception {
        assumeTrue(UwsgiServer.available(), UwsgiServer.REQUIREMENT);
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try (UwsgiServer uwsgi = UwsgiServer.app("environ_app.py").processes(2).threads(1)
                     .extraArgs("--listen", "16").start();
             ProxyFixture proxy = new ProxyFixture(List.of(uwsgi.hostPort()), """
                     upstream: {protocol: uwsgi, concurrency: 2}
                     queue: {maxLength: 1000, timeout: 60s}
                     """)) {
            long overflowsBefore = listenOverflows();
            List<Future<List<Integer>>> answers = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                answers.add(clients.submit(() -> {
                    List<Integer> statuses = new ArrayList<>();
                    try (RawHttp client = new RawHttp(proxy.port())) {
                        for (int r = 0; r < REQUESTS_EACH; r++) {
                            statuses.add(client.send("GET /slow?ms=50 HTTP/1.1\r\nHost: a\r\n\r\n").readStatusAndBody());
                        }
                    }
                    return statuses;
                }));
            }
            List<Integer> all = new ArrayList<>();
            for (Future<List<Integer>> answer : answers) {
                all.addAll(answer.get(60, TimeUnit.SECONDS));
            }
            assertThat(all).hasSize(CLIENTS * REQUESTS_EACH).containsOnly(200);
            assertThat(listenOverflows() - overflowsBefore).as("accept-queue overflows").isZero();
        } finally {
            clients.shutdownNow();
        }
    }

    /** The kernel's count of connections dropped because a listen backlog was full. */
    private static long listenOverflows() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/net/netstat"));
        for (int i = 0; i + 1 < lines.size(); i++) {
            if (lines.get(i).startsWith("TcpExt:") && lines.get(i + 1).startsWith("TcpExt:")) {
                String[] names = lines.get(i).split("\\s+");
                String[] values = lines.get(i + 1).split("\\s+");
                for (int k = 0; k < names.length; k++) {
                    if (names[k].equals("ListenOverflows")) {
                        return Long.parseLong(values[k]);
                    }
                }
            }
        }
        throw new IllegalStateException("no TcpExt ListenOverflows in /proc/net/netstat");
    }
}
