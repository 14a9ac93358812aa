package dev.usher.operator.dependent;

import dev.usher.operator.config.OperatorConfig;
import dev.usher.operator.resource.ProxiedApp;

/**
 * What an app's owned objects are built from besides the app: the operator's settings, and the proxy's config file,
 * rendered once per reconcile for the two objects that use it (the ConfigMap holds it, the proxy Deployment carries
 * its checksum).
 */
public record Inputs(OperatorConfig config, ProxyConfigFile proxyFile) {

    public static Inputs of(ProxiedApp app, OperatorConfig config) {
        return new Inputs(config, ProxyConfigFile.of(app));
    }
}
