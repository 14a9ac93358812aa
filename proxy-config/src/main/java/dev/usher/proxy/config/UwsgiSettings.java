package dev.usher.proxy.config;

import static dev.usher.proxy.config.ConfigOption.of;
import static dev.usher.proxy.config.ConfigOption.range;

import java.util.Map;

/**
 * How the proxy speaks uwsgi. {@code bufferSize} must not exceed the backend's {@code --buffer-size} (uWSGI's
 * default is 4096): uWSGI silently drops a request whose variables do not fit, so the proxy refuses it first.
 * {@code params} are extra variables sent with every request, like nginx's {@code uwsgi_param}.
 */
public record UwsgiSettings(Integer modifier1, Integer bufferSize, Map<String, String> params) {

    static final ConfigOption<Integer> MODIFIER1 = range("upstream.uwsgi.modifier1", 0, 0, 255,
            "the packet's modifier1 (0: a WSGI request)");
    static final ConfigOption<Integer> BUFFER_SIZE = range("upstream.uwsgi.bufferSize", 4096, 512, 65535,
            "the backend's --buffer-size: a request whose variables do not fit gets 431");
    static final ConfigOption<Map<String, String>> PARAMS = of("upstream.uwsgi.params", Map.of(),
            "extra variables sent with every request, as nginx's uwsgi_param");
    public static final UwsgiSettings DEFAULTS = new UwsgiSettings(null, null, null);

    public UwsgiSettings {
        modifier1 = MODIFIER1.of(modifier1);
        bufferSize = BUFFER_SIZE.of(bufferSize);
        params = Map.copyOf(PARAMS.of(params));
    }
}
