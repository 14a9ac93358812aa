package dev.usher.operator.dependent;

import dev.usher.operator.dependent.Labels.Component;
import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** {@code <name>}: what clients call, in front of the proxy pods. */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.PROXY_SELECTOR))
public class ProxyService extends OwnedResource<Service> {

    public ProxyService() {
        super(Service.class, Component.PROXY);
    }

    @Override
    public String name(ProxiedApp app) {
        return Names.proxyService(app);
    }

    @Override
    protected Service build(ProxiedApp app, Inputs inputs) {
        return new ServiceBuilder()
                .withMetadata(meta(app))
                .withNewSpec()
                    .withType(app.getSpec().proxy().serviceType().name())
                    .withSelector(Labels.selector(app, Component.PROXY))
                    .addNewPort()
                        .withName("http")
                        .withPort(app.getSpec().proxy().port())
                        .withTargetPort(new IntOrString("http"))
                        .withProtocol("TCP")
                    .endPort()
                .endSpec()
                .build();
    }
}
