package dev.usher.operator.autoscaling;

import dev.usher.operator.autoscaling.DemandSource.ProxyEndpoint;
import dev.usher.operator.dependent.Labels;
import dev.usher.operator.dependent.Names;
import dev.usher.operator.resource.AutoscalingStatus;
import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.api.model.autoscaling.v2.CrossVersionObjectReference;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the autoscaler and the reconciler share. The autoscaler reads the apps, their proxies' addresses and
 * the HorizontalPodAutoscalers from the reconciler's informers (it never lists anything from the API server
 * itself); it leaves its decisions here and asks for a reconcile, which puts them in the status, so that
 * the status has one writer.
 */
public final class Targets {

    public static final String HORIZONTAL_POD_AUTOSCALERS = "horizontal-pod-autoscalers";

    private final Map<ResourceID, AutoscalingStatus> decisions = new ConcurrentHashMap<>();
    private volatile IndexerResourceCache<ProxiedApp> apps;
    private volatile InformerEventSource<EndpointSlice, ProxiedApp> slices;
    private volatile InformerEventSource<HorizontalPodAutoscaler, ProxiedApp> autoscalers;
    private volatile SimpleInboundEventSource<ProxiedApp> refresh;

    /**
     * The event sources the reconciler adds for autoscaling: HorizontalPodAutoscalers that target a
     * ProxiedApp (so that one made later shows as a conflict at once), and a source for the autoscaler's
     * own reconcile requests. slices: the reconciler's EndpointSlice informer, which sees the proxy
     * Service's slices too.
     */
    public List<EventSource<?, ProxiedApp>> prepare(EventSourceContext<ProxiedApp> context,
                                                   InformerEventSource<EndpointSlice, ProxiedApp> slices) {
        this.apps = context.getPrimaryCache();
        this.slices = slices;
        var hpas = InformerEventSourceConfiguration.from(HorizontalPodAutoscaler.class, ProxiedApp.class)
                .withName(HORIZONTAL_POD_AUTOSCALERS)
                .withSecondaryToPrimaryMapper(hpa -> target(hpa).map(Set::of).orElse(Set.of()))
                .build();
        this.autoscalers = new InformerEventSource<>(hpas, context);
        this.refresh = new SimpleInboundEventSource<>("autoscaler");
        return List.of(autoscalers, refresh);
    }

    /** The ProxiedApp an HPA scales, if it scales one. */
    static Optional<ResourceID> target(HorizontalPodAutoscaler hpa) {
        CrossVersionObjectReference ref = hpa.getSpec() == null ? null : hpa.getSpec().getScaleTargetRef();
        if (ref == null || !"ProxiedApp".equals(ref.getKind()) || ref.getApiVersion() == null
                || !ref.getApiVersion().startsWith(ProxiedApp.GROUP + "/")) {
            return Optional.empty();
        }
        return Optional.of(new ResourceID(ref.getName(), hpa.getMetadata().getNamespace()));
    }

    /** The ProxiedApps with spec.autoscaling, as the cache holds them. */
    List<ProxiedApp> autoscaled() {
        if (apps == null) {
            return List.of();
        }
        return apps.list(app -> app.getSpec() != null && app.getSpec().autoscaling() != null
                && app.getMetadata().getDeletionTimestamp() == null).toList();
    }

    /** Names of the HorizontalPodAutoscalers that scale this app. */
    public List<String> horizontalPodAutoscalers(ProxiedApp app) {
        return autoscalers.getSecondaryResources(app).stream().map(h -> h.getMetadata().getName()).sorted().toList();
    }

    /** The app's proxy pods, from the EndpointSlices of the Service clients call. */
    List<ProxyEndpoint> proxies(ProxiedApp app) {
        String service = Names.proxyService(app);
        return slices.getSecondaryResources(app).stream()
                .filter(s -> s.getMetadata().getLabels() != null
                        && service.equals(s.getMetadata().getLabels().get(Labels.SERVICE_NAME))
                        && s.getEndpoints() != null)
                .flatMap(s -> s.getEndpoints().stream())
                .filter(e -> e.getAddresses() != null && !e.getAddresses().isEmpty())
                .map(e -> new ProxyEndpoint(e.getAddresses().get(0),
                        e.getConditions() == null || !Boolean.FALSE.equals(e.getConditions().getReady())))
                .distinct()
                .toList();
    }

    /** What the autoscaler last decided for the app, for its status; empty before its first decision. */
    public Optional<AutoscalingStatus> decision(ProxiedApp app) {
        return Optional.ofNullable(decisions.get(ResourceID.fromResource(app)));
    }

    /** Leaves a decision for the status and asks for a reconcile to write it, if it changed. */
    void publish(ProxiedApp app, AutoscalingStatus status) {
        ResourceID id = ResourceID.fromResource(app);
        if (!Objects.equals(decisions.put(id, status), status)) {
            refresh.propagateEvent(id);
        }
    }

    /** Forgets the apps that no longer autoscale. */
    void retain(Set<ResourceID> autoscaled) {
        decisions.keySet().retainAll(autoscaled);
    }
}
