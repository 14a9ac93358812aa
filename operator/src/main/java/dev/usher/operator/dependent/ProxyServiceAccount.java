package dev.usher.operator.dependent;

import dev.usher.operator.dependent.Labels.Component;
import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** {@code <name>-proxy}: the proxy pods' identity, bound to {@link ProxyRole} and nothing else. */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.PROXY_SELECTOR))
public class ProxyServiceAccount extends OwnedResource<ServiceAccount> {

    public ProxyServiceAccount() {
        super(ServiceAccount.class, Component.PROXY);
    }

    @Override
    public String name(ProxiedApp app) {
        return Names.proxy(app);
    }

    @Override
    protected ServiceAccount build(ProxiedApp app, Inputs inputs) {
        return new ServiceAccountBuilder().withMetadata(meta(app)).build();
    }
}
