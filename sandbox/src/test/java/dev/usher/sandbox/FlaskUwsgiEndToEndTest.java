package dev.usher.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.usher.operator.resource.ProxiedApp;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** examples/flask-uwsgi in the sandbox: the host's real uWSGI and Flask behind the proxy, over the uwsgi protocol. */
class FlaskUwsgiEndToEndTest {

    @TempDir
    Path work;

    @Test
    void servesItsRoutesThroughTheProxy() throws Exception {
        try (Sandbox sandbox = new Sandbox(work, ProxyJar.find())) {
            sandbox.apply(Path.of("../examples/flask-uwsgi"));
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() -> {
                ProxiedApp app = sandbox.client().resources(ProxiedApp.class).inNamespace(Sandbox.NAMESPACE).withName("flask").get();
                return Status.ready(app) && app.getStatus().upstreams() == 3;
            });
            int port = sandbox.localPort("flask", 80).orElseThrow();
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> Http.get(port, "/").status() == 200);

            Http.Response hello = Http.get(port, "/");
            assertThat(hello.body()).startsWith("Hello from Flask on ");
            Http.Response request = Http.get(port, "/request?x=1");
            assertThat(request.status()).isEqualTo(200);
            assertThat(request.body()).contains("\"path\":\"/request?x=1\"").contains("\"forwarded_proto\":\"http\"");
        }
    }
}
