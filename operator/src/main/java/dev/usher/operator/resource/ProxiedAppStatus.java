package dev.usher.operator.resource;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.List;

/** What the operator observed, written only by the operator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProxiedAppStatus(
        @StatusReplicas
        @JsonPropertyDescription("Backend pods that exist (the backend Deployment's status.replicas).")
        Integer replicas,

        @JsonPropertyDescription("Backend pods that pass their readiness probe.")
        Integer readyReplicas,

        @LabelSelector
        @JsonPropertyDescription("Label selector of the backend pods, for the scale subresource (HPA).")
        String selector,

        @JsonPropertyDescription("The proxy pods.")
        ProxyStatus proxy,

        @JsonPropertyDescription("Ready endpoints in the EndpointSlices of <name>-backend: the upstreams the"
                + " proxy can send requests to.")
        Integer upstreams,

        @JsonPropertyDescription("Where clients in the cluster reach the app: the proxy Service.")
        String url,

        @JsonPropertyDescription("The metadata.generation this status describes.")
        Long observedGeneration,

        @JsonPropertyDescription("What the autoscaler last decided, with spec.autoscaling.")
        AutoscalingStatus autoscaling,

        @JsonPropertyDescription("BackendReady, ProxyReady and Ready, each with a reason and a message; Autoscaling"
                + " with spec.autoscaling.")
        List<Condition> conditions) {

    public ProxiedAppStatus {
        conditions = conditions != null ? List.copyOf(conditions) : List.of();
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ProxyStatus(
            @JsonPropertyDescription("Proxy pods that exist.")
            Integer replicas,

            @JsonPropertyDescription("Proxy pods that pass their readiness probe.")
            Integer readyReplicas) {
    }
}
