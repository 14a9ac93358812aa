package dev.usher.operator.dependent;

import dev.usher.operator.resource.ProxiedApp;

/** The names of the objects a ProxiedApp owns, all derived from its own name. */
public final class Names {

    private Names() {
    }

    /** The backend Deployment. */
    public static String backend(ProxiedApp app) {
        return app.getMetadata().getName();
    }

    /** The backend Service: the proxy discovers upstreams through its EndpointSlices. */
    public static String backendService(ProxiedApp app) {
        return app.getMetadata().getName() + "-backend";
    }

    /** The proxy's Deployment, ConfigMap, ServiceAccount, Role and RoleBinding. */
    public static String proxy(ProxiedApp app) {
        return app.getMetadata().getName() + "-proxy";
    }

    /** The Service clients call: it has the app's own name. */
    public static String proxyService(ProxiedApp app) {
        return app.getMetadata().getName();
    }
}
