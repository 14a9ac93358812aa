package dev.usher.proxy.discovery;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * fabric8's mock API server in CRUD mode on 127.0.0.1, with the faults discovery must survive: watches closed
 * by the server, watches expired with 410 Gone, and a 403 for a service account without RBAC.
 *
 * <p>The CRUD mock does not replay what a watch missed when it resumes from an older resourceVersion (it only
 * re-sends the objects that still exist, so a deletion would be lost). A real API server replays, or answers
 * 410 Gone once its watch cache has moved past that version. This one always answers 410 for a resume from
 * before the latest write, the strict end of real behaviour, so a lost update cannot hide behind the mock.
 */
final class MockApiServer implements AutoCloseable {
    /** Held so the setting sticks: the mock logs every request at INFO through java.util.logging. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger(MockWebServer.class.getName());
    private static final Pattern VERSION_PARAM = Pattern.compile("[?&]resourceVersion=(\\d+)");

    static {
        MOCK_LOG.setLevel(Level.WARNING);
    }

    private final Dispatcher dispatcher = new Dispatcher();
    private final KubernetesMockServer server;
    private final KubernetesClient client;

    MockApiServer() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = new KubernetesClientBuilder().withConfig(config(server.getPort())).build();
    }

    private static Config config(int port) {
        return new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:" + port).withNamespace("default").build();
    }

    int port() {
        return server.getPort();
    }

    /** The test's own client, straight to the server (never through a {@link TcpLink}). */
    KubernetesClient client() {
        return client;
    }

    /** A kubeconfig file for the proxy, naming {@code port} (this server's, or a link's in front of it). */
    static Path kubeconfig(Path dir, int port) throws IOException {
        return Files.writeString(dir.resolve("kubeconfig-" + port), """
                apiVersion: v1
                kind: Config
                clusters: [{name: mock, cluster: {server: "http://127.0.0.1:%d"}}]
                users: [{name: proxy, user: {token: test-token}}]
                contexts: [{name: mock, context: {cluster: mock, user: proxy, namespace: default}}]
                current-context: mock
                """.formatted(port));
    }

    /** The server ends every open watch, as it does at the end of a watch's timeout. */
    void closeWatches() {
        dispatcher.watches.forEach(ws -> ws.close(1000, "watch closed by the server"));
    }

    /** Every open watch gets a 410 Gone ERROR event, as when etcd compacted past its version, then closes. */
    void expireWatches() {
        dispatcher.watches.forEach(Dispatcher::gone);
    }

    /** Answers 403 to every request from now on, as for a service account without a Role. */
    void forbidAll() {
        dispatcher.forbidden = true;
    }

    int lists() {
        return dispatcher.lists.get();
    }

    /** Every list and watch request's path and query, in order. */
    List<String> requests() {
        return List.copyOf(dispatcher.requests);
    }

    int watchRequests() {
        return dispatcher.watchRequests.get();
    }

    int openWatches() {
        return dispatcher.watches.size();
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }

    private static final class Dispatcher extends KubernetesCrudDispatcher {
        private final AtomicLong latestVersion = new AtomicLong();
        private final Set<WebSocket> watches = ConcurrentHashMap.newKeySet();
        private final AtomicInteger lists = new AtomicInteger();
        private final List<String> requests = new CopyOnWriteArrayList<>();
        private final AtomicInteger watchRequests = new AtomicInteger();
        private volatile boolean forbidden;

        @Override
        public long requestResourceVersion() {
            long version = super.requestResourceVersion();
            latestVersion.accumulateAndGet(version, Math::max);
            return version;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            if (forbidden) {
                return status(403, "Forbidden", "endpointslices.discovery.k8s.io is forbidden: User "
                        + "\"system:serviceaccount:default:proxy\" cannot list resource \"endpointslices\" in API group "
                        + "\"discovery.k8s.io\" in the namespace \"default\"");
            }
            String path = request.getPath();
            if (request.getMethod().equals("GET")) {
                requests.add(path);
            }
            boolean watch = request.getMethod().equals("GET") && path.contains("watch=true");
            if (!watch) {
                if (request.getMethod().equals("GET") && path.contains("/endpointslices?")) {
                    lists.incrementAndGet();
                }
                // Writes and watch registration exclude each other: no write falls between the version check
                // and the watch being registered.
                synchronized (this) {
                    return super.dispatch(request);
                }
            }
            watchRequests.incrementAndGet();
            synchronized (this) {
                Matcher m = MockApiServer.VERSION_PARAM.matcher(path);
                if (m.find() && Long.parseLong(m.group(1)) < latestVersion.get()) {
                    return new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
                        @Override
                        public void onOpen(WebSocket ws, Response response) {
                            gone(ws);
                        }
                    });
                }
                MockResponse response = super.dispatch(request);
                return response.withWebSocketUpgrade(new Tracked(response.getWebSocketListener()));
            }
        }

        private static void gone(WebSocket ws) {
            ws.send("""
                    {"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",\
                    "message":"too old resource version","reason":"Expired","code":410}}""");
            ws.close(1000, "expired");
        }

        private static MockResponse status(int code, String reason, String message) {
            return new MockResponse().setResponseCode(code).setBody("""
                    {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"%s","reason":"%s","code":%d}"""
                    .formatted(message.replace("\"", "\\\""), reason, code));
        }

        /** The CRUD watch listener, with its socket remembered so the server can end the watch. */
        private final class Tracked extends WebSocketListener {
            private final WebSocketListener delegate;

            Tracked(WebSocketListener delegate) {
                this.delegate = delegate;
            }

            @Override
            public void onOpen(WebSocket ws, Response response) {
                watches.add(ws);
                delegate.onOpen(ws, response);
            }

            @Override
            public void onMessage(WebSocket ws, String text) {
                delegate.onMessage(ws, text);
            }

            @Override
            public void onClosing(WebSocket ws, int code, String reason) {
                watches.remove(ws);
                delegate.onClosing(ws, code, reason);
            }

            @Override
            public void onClosed(WebSocket ws, int code, String reason) {
                watches.remove(ws);
                delegate.onClosed(ws, code, reason);
            }

            @Override
            public void onFailure(WebSocket ws, Throwable t, Response response) {
                watches.remove(ws);
                delegate.onFailure(ws, t, response);
            }
        }
    }
}
