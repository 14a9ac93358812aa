package dev.usher.sandbox;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The embedded API server: fabric8's mock server in CRUD mode with the ProxiedApp CRD installed. It
 * has no discovery, server-side apply, garbage collection, RBAC or admission: the stand-ins and the
 * operator's plain-write mode do not need them.
 */
final class ApiServer implements AutoCloseable {

    /** The generated CRD, the same file as crds/ (the operator's build checks they agree). */
    private static final String CRD = "/META-INF/fabric8/proxiedapps.usher.dev-v1.yml";

    /** The mock server logs every request through java.util.logging; held here, as JUL keeps loggers weakly. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    static {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    private static final Set<String> MUTATING = Set.of("POST", "PUT", "PATCH", "DELETE");

    private final KubernetesMockServer server;
    private final KubernetesClient client;
    private final ConcurrentLinkedQueue<String> writes = new ConcurrentLinkedQueue<>();

    ApiServer(int port) {
        KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
        Dispatcher recording = new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                if (MUTATING.contains(request.getMethod())) {
                    writes.add(request.getMethod() + " " + request.getPath());
                }
                return crud.dispatch(request);
            }
        };
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), recording, false);
        server.init(InetAddress.getLoopbackAddress(), port);
        client = server.createClient();
        try (InputStream crd = ApiServer.class.getResourceAsStream(CRD)) {
            client.resource(client.getKubernetesSerialization().unmarshal(crd, CustomResourceDefinition.class)).create();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    KubernetesClient client() {
        return client;
    }

    /** Every write so far (method and path), to tell who changed what. */
    List<String> writes() {
        return List.copyOf(writes);
    }

    String url() {
        return "http://127.0.0.1:" + server.getPort();
    }

    /** A kubeconfig for the proxy pods and for the sandbox's own subcommands. */
    void writeKubeconfig(Path file) {
        String text = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: sandbox
                  cluster: {server: "%s"}
                users:
                - name: sandbox
                  user: {token: sandbox}
                contexts:
                - name: sandbox
                  context: {cluster: sandbox, user: sandbox, namespace: default}
                current-context: sandbox
                """.formatted(url());
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }
}
