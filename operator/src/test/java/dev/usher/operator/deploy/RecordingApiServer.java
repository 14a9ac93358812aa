package dev.usher.operator.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.usher.operator.testing.MockApiServer;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * fabric8's mock API server in CRUD mode, for recording what the operator asks of an API server. It
 * adds what the operator's server-side apply needs and the mock lacks: an apply creates the object
 * when it does not exist, else it is merged (field ownership is not modelled). Like {@link
 * MockApiServer}, it answers leader election's SelfSubjectRulesReview.
 */
final class RecordingApiServer implements AutoCloseable {

    /** One request of the recorded client: method, URI and, for writes, the body. */
    record Call(String method, URI uri, String body) {
    }

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final String RULES_REVIEW = """
            {"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{},
             "status":{"incomplete":false,"nonResourceRules":[],"resourceRules":[
               {"apiGroups":["coordination.k8s.io"],"resources":["leases"],"verbs":["*"]}]}}""";

    private final KubernetesMockServer server;
    private final NamespacedKubernetesClient client;
    private final ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();

    RecordingApiServer() {
        KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
        Dispatcher dispatcher = new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                if (request.getPath().endsWith("/selfsubjectrulesreviews")) {
                    return new MockResponse().setResponseCode(201).setBody(RULES_REVIEW);
                }
                String type = request.getHeader("Content-Type");
                if ("PATCH".equals(request.getMethod()) && type != null && type.startsWith("application/apply-patch")) {
                    return crud.dispatch(applied(crud, request));
                }
                return crud.dispatch(request);
            }
        };
        CustomResourceDefinition crd;
        try (InputStream in = Files.newInputStream(MockApiServer.GENERATED_CRD)) {
            crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
        client.resource(crd).create();
    }

    /** The test's own client: not recorded. */
    NamespacedKubernetesClient client() {
        return client;
    }

    /** A client whose every request is recorded: the operator's. */
    KubernetesClient recordedClient() {
        Interceptor recorder = new Interceptor() {
            @Override
            public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                calls.add(new Call(request.method(), request.uri(), request.bodyString()));
            }
        };
        return new KubernetesClientBuilder()
                .withConfig(client.getConfiguration())
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("recorder", recorder))
                .build();
    }

    List<Call> calls() {
        return List.copyOf(calls);
    }

    /** An apply as a create (the object does not exist) or as a merge patch (it does). */
    private static RecordedRequest applied(KubernetesCrudDispatcher crud, RecordedRequest apply) {
        String path = URI.create(apply.getPath()).getPath();
        JsonNode body;
        try {
            body = YAML.readTree(apply.getUtf8Body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        boolean exists = path.endsWith("/status") || crud.handleGet(path).code() != 404;
        if (exists) {
            return request(HttpMethod.PATCH, path, "application/merge-patch+json", body);
        }
        ((ObjectNode) body.path("metadata")).remove("resourceVersion");
        return request(HttpMethod.POST, path.substring(0, path.lastIndexOf('/')), "application/json", body);
    }

    private static RecordedRequest request(HttpMethod method, String path, String type, JsonNode body) {
        return new RecordedRequest("HTTP/1.1", method, path, Headers.builder().add("Content-Type", type).build(),
                new Buffer(body.toString().getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }
}
