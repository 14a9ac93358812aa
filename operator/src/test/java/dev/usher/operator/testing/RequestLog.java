package dev.usher.operator.testing;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Every request of a client that got an answer, with the answer's status, counted on the client's side
 * of a real API server: the operator's writes, and what the authorizer refused.
 */
public final class RequestLog implements Interceptor {

    /** One request: method, URI, for writes the body, and the answer's status code. */
    public record Call(String method, URI uri, String body, int code) {
        public boolean isWrite() {
            return MUTATING.contains(method);
        }

        @Override
        public String toString() {
            return method + " " + uri;
        }
    }

    private static final Set<String> MUTATING = Set.of("POST", "PUT", "PATCH", "DELETE");

    private final ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();

    /** A new client with this log; the caller closes it. */
    public KubernetesClient client(Config config) {
        return new KubernetesClientBuilder()
                .withConfig(config)
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("request-log", this))
                .build();
    }

    @Override
    public void after(HttpRequest request, HttpResponse<?> response, AsyncBody.Consumer<List<ByteBuffer>> consumer) {
        calls.add(new Call(request.method(), request.uri(), request.bodyString(), response.code()));
    }

    public List<Call> calls() {
        return List.copyOf(calls);
    }

    /**
     * The writes so far. Left out: the Lease's renewals, which are not reconciling, and the review
     * that leader election creates to ask what it may do, which stores nothing.
     */
    public List<Call> writes() {
        return calls.stream().filter(Call::isWrite)
                .filter(c -> !c.uri().getPath().contains("/leases") && !c.uri().getPath().endsWith("rulesreviews"))
                .toList();
    }

    /** The requests the API server answered with 403 Forbidden. */
    public List<String> forbidden() {
        return calls.stream().filter(c -> c.code() == 403).map(Call::toString).toList();
    }
}
