package dev.usher.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.operator.dependent.Labels.Component;
import dev.usher.operator.dependent.NameInUseException;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.Test;

/** Which write failures a retry may cure: only those JOSDK retries, so that nothing loops on the API server. */
class FailureTest {

    private static KubernetesClientException http(int code, String message) {
        return new KubernetesClientException(new StatusBuilder().withCode(code).withMessage(message).build());
    }

    @Test
    void anObjectInTheWayWaitsForAPerson() {
        Failure f = Failure.of(Component.PROXY, "ConfigMap shop-proxy",
                new NameInUseException("ConfigMap", "shop-proxy", "owned by ProxiedApp other"));
        assertThat(f).isEqualTo(new Failure(Component.PROXY, "NameInUse",
                "ConfigMap shop-proxy already exists, owned by ProxiedApp other; delete or rename it, or rename the"
                        + " ProxiedApp", false));
    }

    @Test
    void invalidOrForbiddenWritesAreNotRetried() {
        assertThat(Failure.of(Component.BACKEND, "Deployment shop", http(422, "spec.template.spec.containers[0].env[0]"
                + ".name: Invalid value: \"1A\"")))
                .isEqualTo(new Failure(Component.BACKEND, "Invalid",
                        "Deployment shop: spec.template.spec.containers[0].env[0].name: Invalid value: \"1A\"", false));
        assertThat(Failure.of(Component.PROXY, "Role shop-proxy", http(403, "roles is forbidden")))
                .extracting(Failure::reason, Failure::retry).containsExactly("Forbidden", false);
    }

    @Test
    void serverErrorsAndTimeoutsAreRetried() {
        assertThat(Failure.of(Component.BACKEND, "Service shop-backend", http(500, "etcdserver: request timed out")))
                .extracting(Failure::reason, Failure::retry).containsExactly("ApplyFailed", true);
        assertThat(Failure.of(Component.BACKEND, "Service shop-backend", new IllegalStateException("socket closed")))
                .extracting(Failure::reason, Failure::retry).containsExactly("ApplyFailed", true);
    }
}
