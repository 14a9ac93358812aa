package dev.usher.operator.dependent;

import dev.usher.operator.dependent.Labels.Component;
import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** {@code <name>-proxy}: the proxy's {@code proxy.yaml}, rendered from spec.proxy and spec.protocol. */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.PROXY_SELECTOR))
public class ProxyConfigMap extends OwnedResource<ConfigMap> {

    public ProxyConfigMap() {
        super(ConfigMap.class, Component.PROXY);
    }

    @Override
    public String name(ProxiedApp app) {
        return Names.proxy(app);
    }

    @Override
    protected ConfigMap build(ProxiedApp app, Inputs inputs) {
        return new ConfigMapBuilder()
                .withMetadata(meta(app))
                .addToData(ProxyConfigFile.KEY, inputs.proxyFile().text())
                .build();
    }
}
