package dev.usher.operator.dependent;

import dev.usher.operator.dependent.Labels.Component;
import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** {@code <name>-proxy}: grants {@link ProxyRole} to {@link ProxyServiceAccount}. */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.PROXY_SELECTOR))
public class ProxyRoleBinding extends OwnedResource<RoleBinding> {

    public ProxyRoleBinding() {
        super(RoleBinding.class, Component.PROXY);
    }

    @Override
    public String name(ProxiedApp app) {
        return Names.proxy(app);
    }

    @Override
    protected RoleBinding build(ProxiedApp app, Inputs inputs) {
        return new RoleBindingBuilder()
                .withMetadata(meta(app))
                .withNewRoleRef()
                    .withApiGroup("rbac.authorization.k8s.io")
                    .withKind("Role")
                    .withName(Names.proxy(app))
                .endRoleRef()
                .addNewSubject()
                    .withKind("ServiceAccount")
                    .withName(Names.proxy(app))
                    .withNamespace(app.getMetadata().getNamespace())
                .endSubject()
                .build();
    }
}
