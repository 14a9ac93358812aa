package dev.usher.operator.dependent;

import dev.usher.operator.resource.ProxiedApp;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Labels on every owned object. The informers select on {@link #MANAGED_BY} and the component, so the
 * operator caches only its own objects. Pod selectors use the usher.dev/ keys alone rather than
 * app.kubernetes.io/instance, which Helm and others also set.
 */
public final class Labels {

    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String OPERATOR = "usher-operator";
    public static final String APP = "usher.dev/app";
    public static final String COMPONENT = "usher.dev/component";
    /** Kubernetes' label on an EndpointSlice: the Service it belongs to. */
    public static final String SERVICE_NAME = "kubernetes.io/service-name";

    /**
     * Informer selectors. Kubernetes copies a Service's labels onto its EndpointSlices, so the backend
     * selector also finds the EndpointSlices of {@code <name>-backend}.
     */
    public static final String BACKEND_SELECTOR = MANAGED_BY + "=" + OPERATOR + "," + COMPONENT + "=backend";
    public static final String PROXY_SELECTOR = MANAGED_BY + "=" + OPERATOR + "," + COMPONENT + "=proxy";

    private Labels() {
    }

    public enum Component {
        BACKEND("backend"),
        PROXY("proxy");

        public final String value;

        Component(String value) {
            this.value = value;
        }
    }

    public static Map<String, String> of(ProxiedApp app, Component component) {
        Map<String, String> labels = new LinkedHashMap<>(selector(app, component));
        labels.put(MANAGED_BY, OPERATOR);
        return labels;
    }

    /** The pod selector of a component's Deployment and Service. */
    public static Map<String, String> selector(ProxiedApp app, Component component) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(APP, app.getMetadata().getName());
        labels.put(COMPONENT, component.value);
        return labels;
    }

    /** The selector as text, for status.selector and so the scale subresource. */
    public static String selectorText(ProxiedApp app, Component component) {
        return selector(app, component).entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
    }
}
