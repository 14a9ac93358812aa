package dev.usher.operator.dependent;

import dev.usher.operator.dependent.Labels.Component;
import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * {@code <name>-backend}: it exists for its EndpointSlices, which the proxy watches. It is headless,
 * since nobody needs a virtual IP in front of pods the proxy reaches directly.
 */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.BACKEND_SELECTOR))
public class BackendService extends OwnedResource<Service> {

    public BackendService() {
        super(Service.class, Component.BACKEND);
    }

    @Override
    public String name(ProxiedApp app) {
        return Names.backendService(app);
    }

    @Override
    protected Service build(ProxiedApp app, Inputs inputs) {
        return new ServiceBuilder()
                .withMetadata(meta(app))
                .withNewSpec()
                    .withClusterIP("None")
                    .withSelector(Labels.selector(app, Component.BACKEND))
                    .addNewPort()
                        .withName(ProxyConfigFile.BACKEND_PORT_NAME)
                        .withPort(app.getSpec().port())
                        .withTargetPort(new IntOrString(ProxyConfigFile.BACKEND_PORT_NAME))
                        .withProtocol("TCP")
                    .endPort()
                .endSpec()
                .build();
    }
}
