package dev.usher.operator;

import dev.usher.operator.autoscaling.Targets;
import dev.usher.operator.config.OperatorConfig;
import dev.usher.operator.dependent.BackendDeployment;
import dev.usher.operator.dependent.BackendService;
import dev.usher.operator.dependent.Inputs;
import dev.usher.operator.dependent.Labels;
import dev.usher.operator.dependent.OwnedResource;
import dev.usher.operator.dependent.ProxyConfigMap;
import dev.usher.operator.dependent.ProxyDeployment;
import dev.usher.operator.dependent.ProxyRole;
import dev.usher.operator.dependent.ProxyRoleBinding;
import dev.usher.operator.dependent.ProxyService;
import dev.usher.operator.dependent.ProxyServiceAccount;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.resource.ProxiedAppStatus;
import dev.usher.operator.status.EventRecorder;
import dev.usher.operator.status.Failure;
import dev.usher.operator.status.Notice;
import dev.usher.operator.status.StatusCalculator;
import dev.usher.operator.status.StatusCalculator.Observed;
import dev.usher.proxy.config.ConfigException;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.javaoperatorsdk.operator.OperatorException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the owned objects (one dependent each, no order between them, so that one object in the way
 * blocks only itself, except the RoleBinding: the API server refuses to bind a Role that does not exist yet
 * unless the binder may {@code bind} any role, which the operator is not given) and reports how they stand. The workflow runs from here rather than before
 * {@link #reconcile}, so that a name the operator cannot use writes nothing at all.
 */
@ControllerConfiguration(name = ProxiedAppReconciler.NAME)
@Workflow(explicitInvocation = true, handleExceptionsInReconciler = true, dependents = {
        @Dependent(name = ProxiedAppReconciler.BACKEND_DEPLOYMENT, type = BackendDeployment.class),
        @Dependent(name = "backend-service", type = BackendService.class),
        @Dependent(name = "proxy-service-account", type = ProxyServiceAccount.class),
        @Dependent(name = ProxiedAppReconciler.PROXY_ROLE, type = ProxyRole.class),
        @Dependent(name = "proxy-role-binding", type = ProxyRoleBinding.class, dependsOn = ProxiedAppReconciler.PROXY_ROLE),
        @Dependent(name = "proxy-config", type = ProxyConfigMap.class),
        @Dependent(name = ProxiedAppReconciler.PROXY_DEPLOYMENT, type = ProxyDeployment.class),
        @Dependent(name = "proxy-service", type = ProxyService.class)})
public class ProxiedAppReconciler implements Reconciler<ProxiedApp> {

    public static final String NAME = "proxiedapp";
    static final String BACKEND_DEPLOYMENT = "backend-deployment";
    static final String PROXY_DEPLOYMENT = "proxy-deployment";
    static final String PROXY_ROLE = "proxy-role";
    private static final String ENDPOINT_SLICES = "backend-endpointslices";
    private static final Logger LOG = LoggerFactory.getLogger(ProxiedAppReconciler.class);

    private final OperatorConfig config;
    private final EventRecorder events;
    private final Targets autoscaling;

    public ProxiedAppReconciler(OperatorConfig config, Targets autoscaling) {
        this.config = config;
        this.events = new EventRecorder(config.identity());
        this.autoscaling = autoscaling;
    }

    /**
     * EndpointSlices are Kubernetes' objects, not ours: watched to count upstreams, mapped back by label.
     * Those of the proxy Service too, where the autoscaler finds the proxy pods' addresses.
     */
    @Override
    public List<EventSource<?, ProxiedApp>> prepareEventSources(EventSourceContext<ProxiedApp> context) {
        var slices = InformerEventSourceConfiguration.from(EndpointSlice.class, ProxiedApp.class)
                .withName(ENDPOINT_SLICES)
                .withLabelSelector(Labels.MANAGED_BY + "=" + Labels.OPERATOR)
                .withSecondaryToPrimaryMapper(slice -> Optional
                        .ofNullable(slice.getMetadata().getLabels().get(Labels.APP))
                        .map(app -> Set.of(new ResourceID(app, slice.getMetadata().getNamespace())))
                        .orElse(Set.of()))
                .build();
        InformerEventSource<EndpointSlice, ProxiedApp> sliceSource = new InformerEventSource<>(slices, context);
        List<EventSource<?, ProxiedApp>> sources = new ArrayList<>(List.of(sliceSource));
        sources.addAll(autoscaling.prepare(context, sliceSource));
        return sources;
    }

    @Override
    public UpdateControl<ProxiedApp> reconcile(ProxiedApp app, Context<ProxiedApp> context) {
        Instant now = Instant.now();
        Optional<Rejection> rejection = rejection(app);
        if (rejection.isPresent()) {
            publish(app, StatusCalculator.rejected(app, rejection.get().reason(), rejection.get().message(), now),
                    context);
            return UpdateControl.noUpdate();
        }
        Inputs inputs;
        try {
            inputs = Inputs.of(app, config);
        } catch (ConfigException e) {
            // a value the CRD's pattern lets through but the proxy would refuse, e.g. a fraction of a byte
            publish(app, StatusCalculator.rejected(app, Failure.INVALID_SPEC, "the proxy would refuse its config: "
                    + e.getMessage(), now), context);
            return UpdateControl.noUpdate();
        }
        var workflow = context.managedWorkflowAndDependentResourceContext();
        workflow.put(Inputs.class, inputs);
        List<Failure> failures = new ArrayList<>();
        workflow.reconcileManagedWorkflow().getErroredDependents().forEach((dependent, e) -> {
            var owned = (OwnedResource<?>) dependent;
            failures.add(Failure.of(owned.component(), owned.describe(app), e));
        });
        Observed observed = new Observed(
                context.getSecondaryResource(Deployment.class, BACKEND_DEPLOYMENT).orElse(null),
                context.getSecondaryResource(Deployment.class, PROXY_DEPLOYMENT).orElse(null),
                context.getSecondaryResources(EndpointSlice.class),
                failures,
                autoscaling.horizontalPodAutoscalers(app),
                autoscaling.decision(app).orElse(null));
        publish(app, StatusCalculator.compute(app, observed, now), context);
        List<String> retryable = failures.stream().filter(Failure::retry).map(Failure::message).toList();
        if (!retryable.isEmpty()) {
            // JOSDK retries with back-off, a bounded number of times; the status already tells why.
            throw new OperatorException("will retry: " + retryable);
        }
        return UpdateControl.noUpdate();
    }

    /**
     * What the schema rejects on an API server with CEL validation (Kubernetes 1.25+), checked again
     * because an older one, or a test server, lets it through: a name too long or not DNS-1035 for the
     * Services would fail on every object.
     */
    static Optional<Rejection> rejection(ProxiedApp app) {
        String name = app.getMetadata().getName();
        if (name.length() > ProxiedApp.MAX_NAME_LENGTH) {
            return Optional.of(new Rejection(Failure.INVALID_NAME, "metadata.name is " + name.length()
                    + " characters, more than " + ProxiedApp.MAX_NAME_LENGTH + ": the Service " + name
                    + "-backend would exceed 63"));
        }
        if (!name.matches(ProxiedApp.NAME_PATTERN)) {
            return Optional.of(new Rejection(Failure.INVALID_NAME, "metadata.name '" + name
                    + "' cannot name a Service: use a-z, 0-9 and '-', starting with a letter"));
        }
        if (app.getSpec() == null) {
            return Optional.of(new Rejection(Failure.INVALID_SPEC, "spec is required"));
        }
        return Optional.empty();
    }

    record Rejection(String reason, String message) {
    }

    /**
     * Records an Event for each change worth one, and writes the status if it changed. The write goes
     * through JOSDK's cache of the primary, so that the next reconcile sees it even before the watch
     * brings it, and neither writes it again nor repeats its Events.
     */
    private void publish(ProxiedApp app, ProxiedAppStatus status, Context<ProxiedApp> context) {
        announce(app, status, context);
        if (status.equals(app.getStatus())) {
            return;
        }
        if (config.serverSideApply()) {
            ProxiedApp patch = new ProxiedApp();
            patch.getMetadata().setName(app.getMetadata().getName());
            patch.getMetadata().setNamespace(app.getMetadata().getNamespace());
            patch.setStatus(status);
            PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(app, patch, context);
        } else {
            PrimaryUpdateAndCacheUtils.patchStatusAndCacheResource(app, context, a -> {
                a.setStatus(status);
                return a;
            });
        }
    }

    private void announce(ProxiedApp app, ProxiedAppStatus status, Context<ProxiedApp> context) {
        List<Notice> notices = Notice.between(
                app.getStatus() == null ? List.of() : app.getStatus().conditions(), status.conditions());
        for (Notice notice : notices) {
            if (Notice.WARNING.equals(notice.type())) {
                LOG.warn("{}: {}", notice.reason(), notice.message());
            } else {
                LOG.info("{}: {}", notice.reason(), notice.message());
            }
            events.record(context.getClient(), app, notice);
        }
    }
}
