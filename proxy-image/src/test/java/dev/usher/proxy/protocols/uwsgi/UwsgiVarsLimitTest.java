package dev.usher.proxy.protocols.uwsgi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.RecordingBackend.Protocol;
import dev.usher.proxy.testing.RecordingBackend.Seen;
import dev.usher.proxy.testing.RecordingBackend;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * upstream.uwsgi.bufferSize is checked against the vars block as it goes on the wire, with the headers the proxy
 * adds (X-Forwarded-*, Via, X-Request-Id): a request just under the limit before the rewrite gets 431, never a
 * block uWSGI would refuse.
 */
class UwsgiVarsLimitTest {
    private static final int BUFFER = 1024;

    @Test
    void noBlockOverTheBufferSizeReachesTheBackend() throws Exception {
        int answered = 0;
        int refused = 0;
        try (RecordingBackend backend = new RecordingBackend(Protocol.UWSGI);
             ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()),
                     "upstream: {protocol: uwsgi, uwsgi: {bufferSize: " + BUFFER + "}}")) {
            for (int pad = 100; pad <= 900; pad += 8) {
                backend.clear();
                try (RawHttp client = new RawHttp(proxy.port())) {
                    String response = client.send("GET /a HTTP/1.1\r\nHost: a\r\nX-Pad: " + "x".repeat(pad) + "\r\n\r\n").readResponse();
                    if (response.startsWith("HTTP/1.1 431 ")) {
                        refused++;
                        assertThat(backend.seen()).isEmpty();
                    } else {
                        assertThat(response).startsWith("HTTP/1.1 200 ");
                        answered++;
                        assertThat(blockSize(backend.seen().get(0))).as("vars block with X-Pad of %d", pad).isLessThanOrEqualTo(BUFFER);
                    }
                }
            }
        }
        assertThat(answered).as("requests that fit").isPositive();
        assertThat(refused).as("requests that did not").isPositive();
    }

    private static int blockSize(Seen seen) {
        return seen.headers().stream().mapToInt((Map.Entry<String, String> e) -> 4 + e.getKey().length() + e.getValue().length()).sum();
    }
}
