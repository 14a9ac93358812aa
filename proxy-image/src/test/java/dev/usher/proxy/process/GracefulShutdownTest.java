package dev.usher.proxy.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.ProxyProcess;
import dev.usher.proxy.testing.TestBackend;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** SIGTERM as Kubernetes sends it: readiness drops, the listener closes, requests in flight complete, exit 0. */
class GracefulShutdownTest {

    @Test
    void drainsInFlightRequestsOnSigterm() throws Exception {
        Path config = Files.createTempFile("usher-drain", ".yaml");
        config.toFile().deleteOnExit();
        Files.writeString(config, "shutdown: {delay: 1s, drainTimeout: 20s}\n");
        try (TestBackend backend = new TestBackend("slow");
             ProxyProcess proxy = new ProxyProcess(List.of("-Xmx128m"),
                     List.of("--upstream", backend.hostPort(), "--config", config.toString()))) {
            URI slow = URI.create("http://127.0.0.1:" + proxy.port() + "/slow?ms=2500");
            URI readyz = URI.create("http://127.0.0.1:" + proxy.adminPort() + "/readyz");
            assertThat(Http.get(readyz).statusCode()).isEqualTo(200);

            List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                inFlight.add(Http.CLIENT.sendAsync(HttpRequest.newBuilder(slow).timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.inFlight() == 5);

            proxy.terminate();

            await().atMost(Duration.ofSeconds(5)).until(() -> Http.get(readyz).statusCode() == 503);
            await().atMost(Duration.ofSeconds(10)).until(() -> refusesConnections(proxy.port()));
            for (CompletableFuture<HttpResponse<String>> f : inFlight) {
                HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("slow");
            }
            assertThat(proxy.process().waitFor(20, TimeUnit.SECONDS)).as("exited; output %s", proxy.output()).isTrue();
            assertThat(proxy.process().exitValue()).isZero();
            assertThat(proxy.leakReports()).isEmpty();
        }
    }

    private static boolean refusesConnections(int port) {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
