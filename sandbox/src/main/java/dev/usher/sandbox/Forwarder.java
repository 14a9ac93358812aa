package dev.usher.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Service port on 127.0.0.1: each accepted connection goes to the next ready endpoint, round
 * robin, and bytes are copied both ways until each side has closed. A connection is bound to its
 * endpoint for its life, as with kube-proxy.
 */
final class Forwarder implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Forwarder.class);

    private final String name;
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "forward");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger next = new AtomicInteger();
    private volatile List<InetSocketAddress> endpoints = List.of();

    Forwarder(String name, int port) throws IOException {
        this.name = name;
        server = new ServerSocket(port, 128, InetAddress.getLoopbackAddress());
        threads.execute(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    void endpoints(List<InetSocketAddress> ready) {
        if (!ready.equals(endpoints)) {
            LOG.info("service {} on 127.0.0.1:{} -> {}", name, port(), ready);
            endpoints = ready;
        }
    }

    boolean hasEndpoints() {
        return !endpoints.isEmpty();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                threads.execute(() -> connect(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void connect(Socket client) {
        List<InetSocketAddress> ready = endpoints;
        if (ready.isEmpty()) {
            close(client);
            return;
        }
        InetSocketAddress target = ready.get(Math.floorMod(next.getAndIncrement(), ready.size()));
        Socket upstream = new Socket();
        try {
            upstream.connect(target, 2000);
        } catch (IOException e) {
            close(client);
            close(upstream);
            return;
        }
        threads.execute(() -> copy(client, upstream));
        copy(upstream, client);
    }

    /** Half-closes the other side at end of stream, so each direction ends on its own. */
    private static void copy(Socket from, Socket to) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] buffer = new byte[16384];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
            }
            to.shutdownOutput();
            if (from.isOutputShutdown()) {
                close(from);
                close(to);
            }
        } catch (IOException e) {
            close(from);
            close(to);
        }
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already gone
        }
    }

    @Override
    public void close() {
        close(server);
        threads.shutdownNow();
    }

    private static void close(ServerSocket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already gone
        }
    }
}
