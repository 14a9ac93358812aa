package dev.usher.operator.resource;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.usher.proxy.config.Durations;
import dev.usher.proxy.config.Sizes;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/** The proxy Deployment and Service in front of the backend pods, and the settings rendered into proxy.yaml. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ProxySpec(
        @Min(1)
        @Default("2")
        @JsonPropertyDescription("Number of proxy pods.")
        Integer replicas,

        @Min(1)
        @Max(65535)
        @Default("80")
        @JsonPropertyDescription("Port of the Service <name> that clients call.")
        Integer port,

        @Default("ClusterIP")
        @JsonPropertyDescription("Type of the Service <name>: ClusterIP, NodePort or LoadBalancer.")
        ServiceType serviceType,

        @Default("least-request")
        @JsonPropertyDescription("least-request: the less busy of two upstreams picked at random (power of two"
                + " choices); round-robin: each upstream in turn.")
        LoadBalancing loadBalancing,

        @Default("{}")
        @JsonPropertyDescription("Timeouts of the proxy, as Kubernetes durations such as 500ms, 2s, 5m or 1h30m.")
        Timeouts timeouts,

        @Default("{}")
        @JsonPropertyDescription("Retries of failed requests, only where safe: a failed connect, or an"
                + " idempotent request without a body.")
        Retries retries,

        @Pattern(Sizes.PATTERN)
        @Default("10Mi")
        @JsonPropertyDescription("Largest request body the proxy passes on, as a Kubernetes quantity such as"
                + " 512Ki or 10Mi; larger ones get 413.")
        String maxBodySize,

        @Default("{}")
        @JsonPropertyDescription("What the proxy holds so that a slow client does not hold one of the backend's"
                + " workers.")
        Buffering buffering,

        @JsonPropertyDescription("Proxy image; the operator's default (its --proxy-image) when unset.")
        String image,

        @JsonPropertyDescription("CPU and memory requests and limits of the proxy container.")
        ResourceRequirements resources) {

    public static final ProxySpec DEFAULTS = new ProxySpec(null, null, null, null, null, null, null, null, null, null);

    public ProxySpec {
        replicas = replicas != null ? replicas : 2;
        port = port != null ? port : 80;
        serviceType = serviceType != null ? serviceType : ServiceType.ClusterIP;
        loadBalancing = loadBalancing != null ? loadBalancing : LoadBalancing.LEAST_REQUEST;
        timeouts = timeouts != null ? timeouts : Timeouts.DEFAULTS;
        retries = retries != null ? retries : Retries.DEFAULTS;
        maxBodySize = maxBodySize != null ? maxBodySize : "10Mi";
        buffering = buffering != null ? buffering : Buffering.DEFAULTS;
    }

    public enum ServiceType {
        ClusterIP, NodePort, LoadBalancer
    }

    public enum LoadBalancing {
        @JsonProperty("least-request") LEAST_REQUEST,
        @JsonProperty("round-robin") ROUND_ROBIN
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Timeouts(
            @Pattern(Durations.PATTERN)
            @Default("2s")
            @JsonPropertyDescription("Longest wait for a connection to a backend pod.")
            String connect,

            @Pattern(Durations.PATTERN)
            @Default("60s")
            @JsonPropertyDescription("Longest wait for the head of a backend's response once the request is"
                    + " sent; the client then gets 504.")
            String response,

            @Pattern(Durations.PATTERN)
            @Default("300s")
            @JsonPropertyDescription("A client connection with nothing in flight closes after this long.")
            String idle) {

        public static final Timeouts DEFAULTS = new Timeouts(null, null, null);

        public Timeouts {
            connect = connect != null ? connect : "2s";
            response = response != null ? response : "60s";
            idle = idle != null ? idle : "300s";
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Retries(
            @Min(1)
            @Max(10)
            @Default("2")
            @JsonPropertyDescription("Tries per request, counting the first: 1 turns retries off.")
            Integer attempts) {

        public static final Retries DEFAULTS = new Retries(null);

        public Retries {
            attempts = attempts != null ? attempts : 2;
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Buffering(
            @JsonPropertyDescription("Read a request's whole body before it takes a backend, as nginx's"
                    + " uwsgi_request_buffering (memory first, then a temporary file). Unset: on for protocol uwsgi,"
                    + " whose workers serve one request each; off for http, which streams.")
            Boolean request,

            @Pattern(Sizes.PATTERN)
            @Default("0")
            @JsonPropertyDescription("Bytes of a response the proxy takes in while the client reads slowly, so the"
                    + " backend is free once it has answered; 0 streams with backpressure. Memory, per slow client.")
            String response) {

        public static final Buffering DEFAULTS = new Buffering(null, null);

        public Buffering {
            response = response != null ? response : "0";
        }
    }
}
