package dev.usher.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.usher.operator.UsherOperator;
import dev.usher.operator.config.OperatorConfig;
import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Stream;

/**
 * The whole system on one machine: the embedded API server, the real operator (in this JVM, the
 * same code as in production), and the stand-ins a cluster would provide. Each stand-in is a plain
 * API client on a loop of its own.
 */
final class Sandbox implements AutoCloseable {

    static final String NAMESPACE = "default";
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final ApiServer api;
    private final Path kubeconfig;
    private final OperatorConfig operatorConfig;
    private final ImageMap images = new ImageMap();
    private final Node node;
    private final ServicePorts servicePorts;
    private final List<Loop> loops = new ArrayList<>();
    private UsherOperator operator;

    /**
     * @param workDir  the kubeconfig and each Pod's files and log go here
     * @param proxyJar the proxy that proxy Pods run
     */
    Sandbox(Path workDir, Path proxyJar) {
        api = new ApiServer(0);
        kubeconfig = workDir.resolve("kubeconfig").toAbsolutePath();
        api.writeKubeconfig(kubeconfig);
        // The embedded API server (fabric8's mock) has no server-side apply, the operator's default.
        operatorConfig = OperatorConfig.parse(new String[] {"--leader-election", "false", "--http", "127.0.0.1:0",
                "--server-side-apply", "false"}, Map.of());
        startOperator();
        KubernetesClient client = api.client();
        node = new Node(client, new Node.Settings(operatorConfig.proxyImage(), proxyJar.toAbsolutePath(), kubeconfig,
                workDir.toAbsolutePath()), images);
        servicePorts = new ServicePorts(client);
        loops.add(new Loop("deployments", new Deployments(client)::pass));
        loops.add(new Loop("endpointslices", new EndpointSlices(client)::pass));
        loops.add(new Loop("node", node::pass));
        loops.add(new Loop("service-ports", servicePorts::pass));
        loops.add(new Loop("garbage-collector", new GarbageCollector(client)::pass));
    }

    KubernetesClient client() {
        return api.client();
    }

    /** Every write to the API server so far, by anyone (method and path). */
    List<String> writes() {
        return api.writes();
    }

    Path kubeconfig() {
        return kubeconfig;
    }

    /** Loads the folder's image map, then creates every resource in its YAML files. */
    List<HasMetadata> apply(Path dir) {
        images.load(dir);
        List<HasMetadata> created = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.sorted().filter(Sandbox::isManifest).toList()) {
                try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
                    while (docs.hasNext()) {
                        JsonNode doc = docs.next();
                        if (doc != null && doc.has("kind")) {
                            created.add(create(doc));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
        }
        return created;
    }

    private static boolean isManifest(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }

    private HasMetadata create(JsonNode doc) {
        var serialization = api.client().getKubernetesSerialization();
        Class<? extends HasMetadata> type = "ProxiedApp".equals(doc.path("kind").asText()) ? ProxiedApp.class : HasMetadata.class;
        HasMetadata resource = serialization.convertValue(doc, type);
        return api.client().resource(resource).inNamespace(NAMESPACE).create();
    }

    /** The 127.0.0.1 port that serves a Service's port, once it has a ready endpoint. */
    OptionalInt localPort(String service, int port) {
        return servicePorts.localPort(NAMESPACE, service, port);
    }

    synchronized void startOperator() {
        // Leader election is off: there is one operator, so no Lease to lose.
        operator = new UsherOperator(operatorConfig, api.client(), () -> {
        });
        operator.start();
    }

    synchronized void stopOperator() {
        operator.close();
        operator = null;
    }

    @Override
    public synchronized void close() {
        loops.forEach(Loop::close);
        node.close();
        servicePorts.close();
        if (operator != null) {
            operator.close();
        }
        api.close();
        // so that get and scale say there is no sandbox, rather than fail to connect
        try {
            Files.deleteIfExists(kubeconfig);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
