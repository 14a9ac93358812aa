package dev.usher.operator;

import static org.awaitility.Awaitility.await;

import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.testing.MockApiServer;
import dev.usher.operator.testing.TestApps;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void smoke() {
        try (MockApiServer api = new MockApiServer();
             UsherOperator op = new UsherOperator(TestApps.config(Duration.ofMinutes(10)), api.client(), () -> { })) {
            op.start();
            var c = api.client();
            c.resource(TestApps.app("ns1", "shop", "image: shop:1")).create();
            await().atMost(Duration.ofSeconds(20)).until(() -> c.apps().deployments().inNamespace("ns1").withName("shop-proxy").get() != null);
            await().atMost(Duration.ofSeconds(20)).until(() -> c.resources(ProxiedApp.class).inNamespace("ns1").withName("shop").get().getStatus() != null);
            System.out.println(c.getKubernetesSerialization().asYaml(c.resources(ProxiedApp.class).inNamespace("ns1").withName("shop").get()));
            System.out.println(c.getKubernetesSerialization().asYaml(c.apps().deployments().inNamespace("ns1").withName("shop-proxy").get()));
            System.out.println(c.configMaps().inNamespace("ns1").withName("shop-proxy").get().getData().get("proxy.yaml"));
            System.out.println(api.writes());
        }
    }
}
