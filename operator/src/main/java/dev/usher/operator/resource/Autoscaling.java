package dev.usher.operator.resource;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.usher.proxy.config.Durations;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * {@code spec.autoscaling}: the operator sets {@code spec.replicas} from the requests the proxies hold (in
 * flight and queued), as Knative's autoscaler does, with no metrics pipeline in between. The windows are
 * settable so that a test (or an impatient user) need not wait a minute to see a scale-down.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.minReplicas) || self.minReplicas <= self.maxReplicas",
        message = "autoscaling.minReplicas must not be more than autoscaling.maxReplicas")
public record Autoscaling(
        @Min(1)
        @Default("1")
        @JsonPropertyDescription("Fewest backend pods. At least 1: the proxy cannot yet hold requests while a"
                + " first pod starts.")
        Integer minReplicas,

        @Required
        @Min(1)
        @JsonPropertyDescription("Most backend pods.")
        Integer maxReplicas,

        @Min(value = 0, inclusive = false)
        @Max(1)
        @Default("0.7")
        @JsonPropertyDescription("Share of spec.concurrency that each pod should be busy with on average: replicas"
                + " = ceil(requests in flight and queued / (concurrency x targetUtilization)). Below 1 leaves"
                + " headroom for bursts while new pods start.")
        Double targetUtilization,

        @Pattern(Durations.PATTERN)
        @Default("60s")
        @JsonPropertyDescription("Demand is averaged over this long to choose the replicas in stable mode.")
        String stableWindow,

        @Pattern(Durations.PATTERN)
        @Default("6s")
        @JsonPropertyDescription("The short window: when its average demand is at least twice what the current"
                + " replicas serve, the autoscaler panics, scales on this window and does not scale down until"
                + " a stable window has passed without that.")
        String panicWindow,

        @Pattern(Durations.PATTERN)
        @Default("30s")
        @JsonPropertyDescription("A scale-down goes only as low as the highest replica count wanted over this"
                + " long, so that a short lull does not remove pods that the next burst needs.")
        String scaleDownDelay) {

    public Autoscaling {
        minReplicas = minReplicas != null ? minReplicas : 1;
        targetUtilization = targetUtilization != null ? targetUtilization : 0.7;
        stableWindow = stableWindow != null ? stableWindow : "60s";
        panicWindow = panicWindow != null ? panicWindow : "6s";
        scaleDownDelay = scaleDownDelay != null ? scaleDownDelay : "30s";
    }
}
