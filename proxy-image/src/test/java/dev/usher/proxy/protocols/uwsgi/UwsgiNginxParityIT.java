package dev.usher.proxy.protocols.uwsgi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.NginxServer;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.UwsgiServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * nginx with the stock uwsgi_params and uwsgi_pass is the reference: the same requests through nginx and
 * through Usher must give the app the same WSGI environ, apart from the differences listed (and explained) in
 * docs/uwsgi.md.
 */
class UwsgiNginxParityIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Ports and addresses differ between the two fronts by nature. */
    private static final Set<String> PORTS = Set.of("REMOTE_PORT", "SERVER_PORT", "HTTP_HOST");
    /** Deliberate differences, each explained in docs/uwsgi.md. */
    private static final Set<String> DELIBERATE = Set.of(
            "SERVER_NAME", "DOCUMENT_ROOT", "HTTP_CONNECTION", "HTTP_VIA", "HTTP_X_FORWARDED_FOR",
            "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_REQUEST_ID");

    private static UwsgiServer uwsgi;
    private static NginxServer nginx;
    private static ProxyFixture usher;

    @BeforeAll
    static void start() throws Exception {
        assertThat(UwsgiServer.available()).as(UwsgiServer.REQUIREMENT).isTrue();
        assertThat(NginxServer.available()).as(NginxServer.REQUIREMENT).isTrue();
        uwsgi = UwsgiServer.start("environ_app.py");
        nginx = NginxServer.uwsgiFront(uwsgi.hostPort());
        usher = new ProxyFixture(List.of(uwsgi.hostPort()), "upstream: {protocol: uwsgi}");
    }

    @AfterAll
    static void stop() {
        usher.close();
        nginx.close();
        uwsgi.close();
    }

    @Test
    void getWithQueryEncodedPathAndHeaders() throws Exception {
        assertSameEnviron(base -> HttpRequest.newBuilder(base.resolve("/caf%C3%A9/a%20b/./c//d?x=1&y=%20z&q=%E2%82%AC"))
                .header("X-Test", "parity").header("Accept", "application/json").header("Accept-Language", "fr, en;q=0.5")
                .build());
    }

    @Test
    void postForm() throws Exception {
        assertSameEnviron(base -> HttpRequest.newBuilder(base.resolve("/form"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("name=Ada+Lovelace&tag=a&tag=b")).build());
    }

    @Test
    void postJson() throws Exception {
        assertSameEnviron(base -> HttpRequest.newBuilder(base.resolve("/api/orders?dry_run=1"))
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString("{\"order\": 42}")).build());
    }

    @Test
    void putWithALargerBody() throws Exception {
        byte[] body = new byte[300 * 1024];
        Arrays.fill(body, (byte) 'z');
        assertSameEnviron(base -> HttpRequest.newBuilder(base.resolve("/blob"))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    @Test
    void deleteWithCookie() throws Exception {
        assertSameEnviron(base -> HttpRequest.newBuilder(base.resolve("/items/7"))
                .header("Cookie", "session=abc; theme=dark").DELETE().build());
    }

    private static void assertSameEnviron(Function<URI, HttpRequest> request) throws Exception {
        Map<String, String> viaNginx = environ(request.apply(nginx.uri("/")));
        Map<String, String> viaUsher = environ(request.apply(usher.uri("/")));
        for (Map<String, String> env : List.of(viaNginx, viaUsher)) {
            env.keySet().removeAll(PORTS);
            env.keySet().removeAll(DELIBERATE);
        }
        assertThat(viaUsher).isEqualTo(viaNginx);
    }

    private static Map<String, String> environ(HttpRequest request) throws Exception {
        HttpResponse<String> r = Http.CLIENT.send(HttpRequest.newBuilder(request, (n, v) -> true)
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s: %s", request.uri(), r.body()).isEqualTo(200);
        Map<String, Object> raw = JSON.readValue(r.body(), new TypeReference<>() {});
        Map<String, String> env = new TreeMap<>();
        raw.forEach((k, v) -> env.put(k, String.valueOf(v)));
        return env;
    }
}
