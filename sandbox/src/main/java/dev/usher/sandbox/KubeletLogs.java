package dev.usher.sandbox;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.usher.sandbox.network.Shell;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The one part of the kubelet's API the sandbox serves: container logs, for {@code kubectl logs}.
 * The API server calls the Node's InternalIP (127.0.0.1) at its kubelet port over HTTPS; the logs
 * are the files the node agent writes in the work folder, which the host side reads directly. No
 * streaming: {@code -f} returns what is there. The API server does not check a kubelet's serving
 * certificate unless told to, so a self-signed one made with keytool does.
 */
final class KubeletLogs implements AutoCloseable {

    private static final String PASSWORD = "sandbox";

    private final HttpsServer server;
    private final Path pods;

    KubeletLogs(Path work, Path pods) throws IOException {
        this.pods = pods;
        Path keystore = work.resolve("kubelet.p12");
        Files.deleteIfExists(keystore);
        Shell.run(List.of("keytool", "-genkeypair", "-alias", "kubelet", "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=sandbox", "-ext", "SAN=ip:127.0.0.1", "-validity", "3650", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD));
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, PASSWORD.toCharArray());
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, PASSWORD.toCharArray());
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(keys.getKeyManagers(), null, null);
            server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            server.setHttpsConfigurator(new HttpsConfigurator(tls));
        } catch (GeneralSecurityException e) {
            throw new IOException("the kubelet port's certificate: " + e.getMessage(), e);
        }
        server.createContext("/containerLogs/", this::logs);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** GET /containerLogs/NAMESPACE/POD/CONTAINER[?tailLines=N]. */
    private void logs(HttpExchange exchange) throws IOException {
        String[] parts = exchange.getRequestURI().getPath().split("/");
        Optional<Path> log = parts.length == 5 ? find(parts[2], parts[3], parts[4]) : Optional.empty();
        byte[] body;
        int status;
        if (log.isPresent()) {
            List<String> lines = Files.readAllLines(log.get(), StandardCharsets.UTF_8);
            int tail = tailLines(exchange.getRequestURI().getQuery());
            if (tail >= 0 && tail < lines.size()) {
                lines = lines.subList(lines.size() - tail, lines.size());
            }
            body = lines.stream().map(l -> l + "\n").reduce("", String::concat).getBytes(StandardCharsets.UTF_8);
            status = 200;
        } else {
            body = ("no log for " + exchange.getRequestURI().getPath() + "\n").getBytes(StandardCharsets.UTF_8);
            status = 404;
        }
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private Optional<Path> find(String namespace, String pod, String container) throws IOException {
        if (!Files.isDirectory(pods)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(pods)) {
            return dirs.filter(d -> d.getFileName().toString().startsWith(namespace + "_" + pod + "_"))
                    .map(d -> d.resolve(container + ".log")).filter(Files::exists).findFirst();
        }
    }

    private static int tailLines(String query) {
        if (query != null) {
            for (String pair : query.split("&")) {
                if (pair.startsWith("tailLines=")) {
                    return Integer.parseInt(pair.substring("tailLines=".length()));
                }
            }
        }
        return -1;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
