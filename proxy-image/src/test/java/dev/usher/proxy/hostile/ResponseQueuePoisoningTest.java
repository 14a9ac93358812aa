package dev.usher.proxy.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.RecordingBackend;
import dev.usher.proxy.testing.RecordingBackend.Protocol;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The attack the Connection hole allowed: an attacker's request smuggles a second one onto a pooled upstream
 * connection, whose response then goes to the next client on that connection. Each round sends one attacker
 * request and 4 concurrent victims on their own connections; every victim must get its own response, and the
 * backend must see the victims' requests and nothing of the attacker's smuggled one.
 */
class ResponseQueuePoisoningTest {
    private static final int ROUNDS = 25;
    private static final String SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void everyVictimGetsItsOwnResponse(Protocol protocol) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try (RecordingBackend backend = new RecordingBackend(protocol);
             ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()),
                     "eventLoops: 1\n" + (protocol == Protocol.UWSGI ? "upstream: {protocol: uwsgi}" : ""))) {
            for (int round = 0; round < ROUNDS; round++) {
                List<String> attacks = List.of(
                        "POST /attack HTTP/1.1\r\nHost: a\r\nContent-Length: " + SMUGGLED.length()
                                + "\r\nConnection: Content-Length\r\n\r\n" + SMUGGLED,
                        "POST /attack HTTP/1.1\r\nHost: a\r\nContent-Length: " + SMUGGLED.length()
                                + "\r\nConnection: keep-alive, content-length\r\n\r\n" + SMUGGLED,
                        "POST /attack HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: transfer-encoding\r\n\r\n"
                                + Integer.toHexString(SMUGGLED.length()) + "\r\n" + SMUGGLED + "\r\n0\r\n\r\n");
                String attack = attacks.get(round % attacks.size());
                CompletableFuture<String> attacker = CompletableFuture.supplyAsync(() -> exchange(proxy, attack), pool);
                List<CompletableFuture<String>> victims = new ArrayList<>();
                for (int v = 0; v < 4; v++) {
                    String path = "/victim-" + round + "-" + v;
                    victims.add(CompletableFuture.supplyAsync(
                            () -> exchange(proxy, "GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n"), pool));
                }
                assertThat(attacker.get(10, TimeUnit.SECONDS)).startsWith("HTTP/1.1 400 ");
                for (int v = 0; v < 4; v++) {
                    assertThat(victims.get(v).get(10, TimeUnit.SECONDS)).as("victim %d of round %d", v, round)
                            .startsWith("HTTP/1.1 200 ").endsWith(" GET /victim-" + round + "-" + v + "\n");
                }
            }
            assertThat(backend.seen()).as("the backend saw the victims and nothing smuggled")
                    .hasSize(ROUNDS * 4)
                    .allSatisfy(seen -> assertThat(seen.target()).startsWith("/victim-"));
        } finally {
            pool.shutdownNow();
        }
    }

    private static String exchange(ProxyFixture proxy, String request) {
        try (RawHttp client = new RawHttp(proxy.port())) {
            return client.send(request).readResponse();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
