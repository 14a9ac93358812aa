package dev.usher.sandbox.network;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts connections on a TCP address or a unix socket and copies bytes both ways to a target the
 * supplier picks per connection (null: refuse). Each direction ends on its own (half-close), as with
 * kube-proxy. The same class carries the API server and the Services across the namespace boundary,
 * where a unix socket in the work folder is the only thing both sides see.
 */
public final class Relay implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Relay.class);
    private static final int BUFFER = 16 * 1024;

    private final String name;
    private final ServerSocketChannel server;
    private final Supplier<SocketAddress> target;
    private final ExecutorService threads;
    private final Path socketFile;

    private Relay(String name, ServerSocketChannel server, Path socketFile, Supplier<SocketAddress> target) {
        this.name = name;
        this.socketFile = socketFile;
        this.server = server;
        this.target = target;
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "relay-" + name);
            t.setDaemon(true);
            return t;
        });
        threads.execute(this::accept);
    }

    /** Listens on a TCP address (port 0: any free port). */
    public static Relay tcp(String name, InetSocketAddress listen, Supplier<SocketAddress> target)
            throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.INET);
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(listen, 256);
        return new Relay(name, server, null, target);
    }

    /** Listens on a unix socket, replacing a stale file of a previous run. */
    public static Relay unix(String name, Path socket, Supplier<SocketAddress> target) throws IOException {
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket), 256);
        return new Relay(name, server, socket, target);
    }

    /** The TCP port it listens on. */
    public int port() {
        try {
            return ((InetSocketAddress) server.getLocalAddress()).getPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void accept() {
        while (server.isOpen()) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            threads.execute(() -> connect(client));
        }
    }

    private void connect(SocketChannel client) {
        SocketAddress to = target.get();
        if (to == null) {
            close(client);
            return;
        }
        SocketChannel upstream;
        try {
            upstream = SocketChannel.open(to);
        } catch (IOException e) {
            LOG.debug("{}: cannot reach {}: {}", name, to, e.toString());
            close(client);
            return;
        }
        AtomicInteger open = new AtomicInteger(2);
        threads.execute(() -> copy(client, upstream, open));
        copy(upstream, client, open);
    }

    /** Copies until end of stream, then half-closes; the last direction to end closes both channels. */
    private static void copy(SocketChannel from, SocketChannel to, AtomicInteger open) {
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
        try {
            while (from.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    to.write(buffer);
                }
                buffer.clear();
            }
            to.shutdownOutput();
            if (open.decrementAndGet() == 0) {
                close(from);
                close(to);
            }
        } catch (IOException e) {
            close(from);
            close(to);
        }
    }

    private static void close(Channel c) {
        try {
            c.close();
        } catch (IOException e) {
            // already gone
        }
    }

    @Override
    public void close() {
        close(server);
        threads.shutdownNow();
        if (socketFile != null) {
            try {
                Files.deleteIfExists(socketFile);
            } catch (IOException e) {
                LOG.debug("{}: cannot remove {}: {}", name, socketFile, e.toString());
            }
        }
    }
}
