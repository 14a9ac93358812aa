package dev.usher.operator.resource;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** {@code status.autoscaling}: what the autoscaler last decided, updated when it scales or changes mode. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AutoscalingStatus(
        @JsonPropertyDescription("Stable (replicas follow the stable window) or Panic (demand passed twice the"
                + " capacity: replicas follow the panic window and never go down).")
        String mode,

        @JsonPropertyDescription("The replicas the autoscaler last set.")
        Integer desiredReplicas,

        @JsonPropertyDescription("Requests in flight and queued at the proxies, averaged over the window of the"
                + " mode, when the autoscaler last scaled or changed mode.")
        Double demand,

        @JsonPropertyDescription("When the autoscaler last changed spec.replicas.")
        String lastScaleTime) {
}
