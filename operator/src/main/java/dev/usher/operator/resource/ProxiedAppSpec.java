package dev.usher.operator.resource;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;
import java.util.List;

/**
 * What the user declares. Defaults are in the schema (the API server fills them in) and again in the
 * compact constructor, so that an object that skipped defaulting reads the same;
 * {@code SchemaDefaultsTest} keeps the two in step.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@ValidationRule(value = "!has(self.autoscaling) || (has(self.concurrency) && self.concurrency > 0)",
        message = "spec.autoscaling needs spec.concurrency: the autoscaler sizes pods by it")
public record ProxiedAppSpec(
        @Required
        @Size(min = 1)
        @JsonPropertyDescription("Container image of the app server, e.g. ghcr.io/acme/shop:1.4.")
        String image,

        @SpecReplicas
        @Min(0)
        @Default("1")
        @JsonPropertyDescription("Number of backend pods. The scale subresource sets this field, so"
                + " `kubectl scale` and a HorizontalPodAutoscaler target the ProxiedApp itself. With"
                + " spec.autoscaling the operator sets it.")
        Integer replicas,

        @Min(1)
        @Max(65535)
        @Default("8000")
        @JsonPropertyDescription("Port the app server listens on inside its container.")
        Integer port,

        @Default("http")
        @JsonPropertyDescription("How the proxy speaks to the backend: http (HTTP/1.1) or uwsgi (the binary"
                + " protocol of nginx's uwsgi_pass).")
        Protocol protocol,

        @Min(0)
        @JsonPropertyDescription("How many requests one backend pod serves at once: for uWSGI, its processes times"
                + " threads. The proxy never sends a pod more, and queues the rest (upstream.concurrency of the"
                + " proxy). Unset or 0: no limit.")
        Integer concurrency,

        @JsonPropertyDescription("Sets spec.replicas from the requests in flight and queued at the proxies; needs"
                + " spec.concurrency. Not together with a HorizontalPodAutoscaler on this ProxiedApp.")
        Autoscaling autoscaling,

        @JsonPropertyDescription("Environment variables of the app container.")
        List<EnvVar> env,

        @JsonPropertyDescription("CPU and memory requests and limits of the app container.")
        ResourceRequirements resources,

        @JsonPropertyDescription("Entrypoint of the app container; the image's ENTRYPOINT when empty.")
        List<String> command,

        @JsonPropertyDescription("Arguments of the app container; the image's CMD when empty.")
        List<String> args,

        @JsonPropertyDescription("Readiness probe of the app container. Without one the operator probes a TCP"
                + " connection to the port, which works for both protocols; give an HTTP probe for a"
                + " stricter check.")
        Probe readinessProbe,

        @JsonPropertyDescription("When the kubelet pulls the image: Always, IfNotPresent or Never. Kubernetes"
                + " chooses from the tag when unset.")
        ImagePullPolicy imagePullPolicy,

        @JsonPropertyDescription("Secrets holding credentials for the image registry.")
        List<LocalObjectReference> imagePullSecrets,

        @Default("{}")
        @JsonPropertyDescription("The Usher proxy in front of the backend pods.")
        ProxySpec proxy) {

    public ProxiedAppSpec {
        replicas = replicas != null ? replicas : 1;
        port = port != null ? port : 8000;
        protocol = protocol != null ? protocol : Protocol.HTTP;
        env = env != null ? List.copyOf(env) : List.of();
        command = command != null ? List.copyOf(command) : List.of();
        args = args != null ? List.copyOf(args) : List.of();
        imagePullSecrets = imagePullSecrets != null ? List.copyOf(imagePullSecrets) : List.of();
        proxy = proxy != null ? proxy : ProxySpec.DEFAULTS;
    }

    public enum Protocol {
        @JsonProperty("http") HTTP,
        @JsonProperty("uwsgi") UWSGI
    }

    public enum ImagePullPolicy {
        Always, IfNotPresent, Never
    }
}
