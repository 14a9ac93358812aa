package dev.usher.proxy.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.usher.proxy.Main;
import dev.usher.proxy.config.UpstreamConfig;
import dev.usher.proxy.endpoints.UpstreamPool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A service account without the Role stops start-up, with a message that names the RBAC it needs. */
class ForbiddenTest {
    @TempDir
    Path dir;

    @Test
    void theSourceRefusesToStartAndSaysWhichRoleIsMissing() throws Exception {
        try (MockApiServer api = new MockApiServer()) {
            api.forbidAll();
            KubernetesSource source = new KubernetesSource(new UpstreamConfig.Kubernetes(
                    Slices.NAMESPACE, Slices.SERVICE, "http", MockApiServer.kubeconfig(dir, api.port())));

            assertThatThrownBy(() -> source.start(new UpstreamPool()))
                    .isInstanceOf(DiscoveryException.class)
                    .hasMessageContaining("HTTP 403")
                    .hasMessageContaining("Role in that namespace granting get, list and watch on endpointslices")
                    .hasMessageContaining("namespace default");
        }
    }

    @Test
    void theProxyProcessExitsNonZeroWithTheRbacMessage() throws Exception {
        try (MockApiServer api = new MockApiServer()) {
            api.forbidAll();
            Process p = new ProcessBuilder(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                    "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                    "--discovery", "kubernetes", "--namespace", Slices.NAMESPACE, "--service", Slices.SERVICE,
                    "--kubeconfig", MockApiServer.kubeconfig(dir, api.port()).toString()))
                    .redirectErrorStream(true).start();
            try {
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exited").isTrue();
                String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(p.exitValue()).as(output).isEqualTo(1);
                assertThat(output).contains("cannot start").contains("get, list and watch on endpointslices");
            } finally {
                p.destroyForcibly();
            }
        }
    }
}
