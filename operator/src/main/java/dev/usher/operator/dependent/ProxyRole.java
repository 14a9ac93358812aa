package dev.usher.operator.dependent;

import dev.usher.operator.dependent.Labels.Component;
import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** {@code <name>-proxy}: what the proxy's discovery needs, reading EndpointSlices in its namespace; no more. */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.PROXY_SELECTOR))
public class ProxyRole extends OwnedResource<Role> {

    public ProxyRole() {
        super(Role.class, Component.PROXY);
    }

    @Override
    public String name(ProxiedApp app) {
        return Names.proxy(app);
    }

    @Override
    protected Role build(ProxiedApp app, Inputs inputs) {
        return new RoleBuilder()
                .withMetadata(meta(app))
                .addNewRule()
                    .withApiGroups("discovery.k8s.io")
                    .withResources("endpointslices")
                    .withVerbs("get", "list", "watch")
                .endRule()
                .build();
    }
}
