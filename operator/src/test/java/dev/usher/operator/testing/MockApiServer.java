package dev.usher.operator.testing;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
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
 * fabric8's mock API server in CRUD mode, with the generated CRD installed, plus what the operator
 * needs from a real API server that the mock lacks: an answer to the SelfSubjectRulesReview that
 * JOSDK's leader election sends first (granting leases). It records every mutating request, so that
 * tests can count the operator's writes.
 */
public final class MockApiServer implements AutoCloseable {

    public static final Path GENERATED_CRD = Path.of("target/classes/META-INF/fabric8/proxiedapps.usher.dev-v1.yml");
    private static final Set<String> MUTATING = Set.of("POST", "PUT", "PATCH", "DELETE");

    /** The mock server logs every request through java.util.logging; held here, as JUL keeps loggers weakly. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    static {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    private final KubernetesMockServer server;
    private final NamespacedKubernetesClient client;
    private final ConcurrentLinkedQueue<String> writes = new ConcurrentLinkedQueue<>();

    public MockApiServer() {
        this(0);
    }

    public MockApiServer(int port) {
        KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
        Dispatcher dispatcher = new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                String path = request.getPath();
                if (path.endsWith("/selfsubjectrulesreviews")) {
                    return new MockResponse().setResponseCode(201).setBody(RULES_REVIEW);
                }
                if (MUTATING.contains(request.getMethod())) {
                    writes.add(request.getMethod() + " " + path);
                }
                return crud.dispatch(request);
            }
        };
        server = new KubernetesMockServer(new Context(), new MockWebServer(),
                new HashMap<>(), dispatcher, false);
        server.init(InetAddress.getLoopbackAddress(), port);
        client = server.createClient();
        try (InputStream crd = Files.newInputStream(GENERATED_CRD)) {
            client.resource(client.getKubernetesSerialization().unmarshal(crd, CustomResourceDefinition.class))
                    .create();
        } catch (IOException e) {
            throw new UncheckedIOException("run `mvn process-classes` first: " + GENERATED_CRD, e);
        }
        writes.clear();
    }

    public NamespacedKubernetesClient client() {
        return client;
    }

    public int port() {
        return server.getPort();
    }

    /** The mutating requests so far (method and path); the Lease's renewals are left out, they are not reconciling. */
    public List<String> writes() {
        return writes.stream().filter(w -> !w.contains("/leases")).toList();
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }

    private static final String RULES_REVIEW = """
            {"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{},
             "status":{"incomplete":false,"nonResourceRules":[],"resourceRules":[
               {"apiGroups":["coordination.k8s.io"],"resources":["leases"],"verbs":["*"]}]}}""";
}
