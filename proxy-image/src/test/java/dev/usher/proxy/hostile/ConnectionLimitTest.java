package dev.usher.proxy.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.LogCapture;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.RecordingBackend;
import dev.usher.proxy.testing.RecordingBackend.Protocol;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code limits.maxConnections}: at the limit the proxy stops accepting, keeps serving what it has, logs once and
 * counts it; when a connection closes, the waiting client is taken in. What an idle connection holds does not grow
 * with the heads it sent.
 */
class ConnectionLimitTest {

    @Test
    void atTheLimitNewClientsWaitUntilOneLeaves() throws Exception {
        try (RecordingBackend backend = new RecordingBackend(Protocol.HTTP);
             ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()), "limits: {maxConnections: 2}");
             LogCapture log = new LogCapture();
             RawHttp first = new RawHttp(proxy.port());
             RawHttp second = new RawHttp(proxy.port())) {
            assertThat(first.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n").readResponse()).startsWith("HTTP/1.1 200 ");
            assertThat(second.send("GET /2 HTTP/1.1\r\nHost: a\r\n\r\n").readResponse()).startsWith("HTTP/1.1 200 ");
            try (RawHttp third = new RawHttp(proxy.port())) {
                third.send("GET /3 HTTP/1.1\r\nHost: a\r\n\r\n");
                assertThat(third.closedByServerWithin(500)).as("not served, not refused: waiting").isFalse();
                assertThat(second.send("GET /2b HTTP/1.1\r\nHost: a\r\n\r\n").readResponse())
                        .as("open connections are still served").startsWith("HTTP/1.1 200 ");
                first.close();
                assertThat(third.readResponse()).as("taken in once one left").startsWith("HTTP/1.1 200 ").endsWith("GET /3\n");
            }
            assertThat(log.warnings()).as("logged once").singleElement().asString().contains("limits.maxConnections");
            assertThat(Http.get(proxy.adminUri("/metrics")).body())
                    .as("reached twice: at the second connection, and again when the third took the first one's place")
                    .contains("usher_connection_limit_reached_total 2.0");
        }
    }

    /**
     * A head of thousands of lines (within the header limit) needs room for each line's offsets while it is read;
     * an idle keep-alive connection must not keep that room, or many such connections hold the heap.
     */
    @Test
    void anIdleConnectionKeepsNothingOfTheLargestHeadItSent() throws Exception {
        int connections = 1000;
        String head = "GET / HTTP/1.1\r\nHost: a\r\n" + "a:\r\n".repeat(8000) + "\r\n";
        List<RawHttp> clients = new ArrayList<>();
        try (RecordingBackend backend = new RecordingBackend(Protocol.HTTP);
             ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()), "")) {
            proxy.server().pool().update(List.of()); // answered 503 by the proxy, and the connection stays open
            long before = usedHeapAfterGc();
            try {
                for (int i = 0; i < connections; i++) {
                    RawHttp client = new RawHttp(proxy.port());
                    clients.add(client);
                    assertThat(client.send(head).readResponse()).startsWith("HTTP/1.1 503 ");
                }
                long perConnection = (usedHeapAfterGc() - before) / connections;
                assertThat(perConnection).as("heap bytes held per idle connection").isLessThan(32 * 1024);
            } finally {
                for (RawHttp client : clients) {
                    client.close();
                }
            }
        }
    }

    private static long usedHeapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
