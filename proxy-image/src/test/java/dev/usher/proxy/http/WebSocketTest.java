package dev.usher.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.TestBackend;
import java.net.URI;
import java.net.http.WebSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WebSocketTest {

    @Test
    void tunnelsAWebSocketBothWays() throws Exception {
        try (TestBackend backend = new TestBackend("ws"); ProxyFixture proxy = new ProxyFixture(backend)) {
            List<String> received = new CopyOnWriteArrayList<>();
            CountDownLatch three = new CountDownLatch(3);
            WebSocket ws = Http.CLIENT.newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + proxy.port() + "/ws"), new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                            received.add(data.toString());
                            three.countDown();
                            webSocket.request(1);
                            return CompletableFuture.completedFuture(null);
                        }
                    })
                    .get(10, TimeUnit.SECONDS);
            for (String m : List.of("one", "two", "three")) {
                ws.sendText(m, true).get(5, TimeUnit.SECONDS);
            }
            assertThat(three.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(received).containsExactly("echo: one", "echo: two", "echo: three");
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
            assertThat(Http.get(proxy.uri("/hello")).body()).as("plain HTTP still works next to the tunnel").isEqualTo("ws");
            ws.abort();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(proxy.server().metrics()).as("a closed tunnel is no open client connection; the"
                            + " HTTP client's kept-alive one remains").contains("usher_client_connections 1.0"));
        }
    }
}
