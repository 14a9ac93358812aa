package dev.usher.proxy.config;

import java.util.Map;

/**
 * How the proxy speaks uwsgi. {@code bufferSize} must not exceed the backend's {@code --buffer-size} (uWSGI's
 * default is 4096): uWSGI silently drops a request whose variables do not fit, so the proxy refuses it first.
 * {@code params} are extra variables sent with every request, like nginx's {@code uwsgi_param}.
 */
public record UwsgiSettings(int modifier1, int bufferSize, Map<String, String> params) {
    public static final UwsgiSettings DEFAULTS = new UwsgiSettings(0, 4096, Map.of());

    public UwsgiSettings {
        params = Map.copyOf(params);
    }
}
