package dev.usher.proxy.protocols.uwsgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.UwsgiServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What nginx does in front of uWSGI besides spreading load: it reads a slow client's upload before it takes a worker,
 * and can take a response in while a slow client reads it. Against a real uWSGI with one worker and
 * upstream.concurrency 1, so a request holding the worker is visible as the upstream's in-flight count.
 */
class UwsgiBufferingIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WITHIN = Duration.ofSeconds(10);

    @BeforeAll
    static void needsUwsgi() {
        assumeTrue(UwsgiServer.available(), UwsgiServer.REQUIREMENT);
    }

    @Test
    void aSlowUploadDoesNotHoldTheWorker() throws Exception {
        try (UwsgiServer uwsgi = UwsgiServer.app("environ_app.py").processes(1).threads(1).start();
             ProxyFixture proxy = new ProxyFixture(List.of(uwsgi.hostPort()), "upstream: {protocol: uwsgi, concurrency: 1}");
             RawHttp uploader = new RawHttp(proxy.port());
             RawHttp other = new RawHttp(proxy.port())) {
            byte[] body = randomBytes(100_000);
            uploader.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: " + body.length + "\r\n\r\n");
            uploader.send(Arrays.copyOf(body, 1000));

            assertThat(other.send("GET /quick HTTP/1.1\r\nHost: a\r\n\r\n").readStatusAndBody())
                    .as("another request, while the upload is a tenth done").isEqualTo(200);
            assertThat(inFlight(proxy)).as("requests at the worker while the upload is still coming").isZero();

            uploader.send(Arrays.copyOfRange(body, 1000, body.length));
            JsonNode echo = JSON.readTree(bodyOf(uploader.readResponse()));
            assertThat(echo.get("body_length").asInt()).isEqualTo(body.length);
            assertThat(echo.get("body_sha256").asText()).isEqualTo(sha256(body));
        }
    }

    @Test
    void withoutBufferingTheUploadHoldsTheWorker() throws Exception {
        try (UwsgiServer uwsgi = UwsgiServer.app("environ_app.py").processes(1).threads(1).start();
             ProxyFixture proxy = new ProxyFixture(List.of(uwsgi.hostPort()), """
                     upstream: {protocol: uwsgi, concurrency: 1}
                     buffering: {request: false}
                     """);
             RawHttp uploader = new RawHttp(proxy.port())) {
            uploader.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n").send(new byte[1000]);
            await().atMost(WITHIN).until(() -> inFlight(proxy) == 1);
            uploader.send(new byte[99_000]);
            assertThat(uploader.readStatusAndBody()).isEqualTo(200);
        }
    }

    /** In memory, just at the memory limit, past it into a file; with a Content-Length and chunked. */
    @ParameterizedTest
    @ValueSource(ints = {1, 16 << 10, (16 << 10) + 1, 3 << 20})
    void bodiesArriveWhole(int size, @TempDir Path spillDir) throws Exception {
        try (UwsgiServer uwsgi = UwsgiServer.app("environ_app.py").processes(1).threads(1).start();
             ProxyFixture proxy = new ProxyFixture(List.of(uwsgi.hostPort()), """
                     upstream: {protocol: uwsgi}
                     buffering: {directory: "%s"}
                     """.formatted(spillDir));
             RawHttp client = new RawHttp(proxy.port())) {
            byte[] body = randomBytes(size);
            client.send("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: " + size + "\r\n\r\n").send(body);
            JsonNode sized = JSON.readTree(bodyOf(client.readResponse()));
            client.send("POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n").send(chunked(body));
            JsonNode chunked = JSON.readTree(bodyOf(client.readResponse()));

            for (JsonNode echo : List.of(sized, chunked)) {
                assertThat(echo.get("body_length").asInt()).isEqualTo(size);
                assertThat(echo.get("body_sha256").asText()).isEqualTo(sha256(body));
            }
            assertThat(spilled(proxy)).as("bodies written to a file").isEqualTo(size > 16 << 10 ? 2.0 : 0.0);
            try (var files = Files.list(spillDir)) {
                assertThat(files).as("files left behind").isEmpty();
            }
        }
    }

    @Test
    void aBodyOverTheLimitIsRefusedWhileBuffering() throws Exception {
        try (UwsgiServer uwsgi = UwsgiServer.app("environ_app.py").processes(1).threads(1).start();
             ProxyFixture proxy = new ProxyFixture(List.of(uwsgi.hostPort()), """
                     upstream: {protocol: uwsgi, concurrency: 1}
                     limits: {maxBodySize: 64Ki}
                     """);
             RawHttp client = new RawHttp(proxy.port())) {
            client.send("POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .send(chunked(randomBytes(100_000)));
            assertThat(client.readStatusAndBody()).isEqualTo(413);
            assertThat(Http.get(proxy.uri("/after")).statusCode()).as("the worker, after the refusal").isEqualTo(200);
        }
    }

    /**
     * An 8 MiB answer to a client that does not read: more than the proxy's socket buffers hold, so without response
     * buffering the worker's slot stays taken until the client has read most of it (the await fails then).
     */
    @Test
    void responseBufferingFreesTheWorkerWhileTheClientReadsSlowly() throws Exception {
        int chunks = 128;
        int chunkSize = 64 << 10;
        try (UwsgiServer uwsgi = UwsgiServer.app("environ_app.py").processes(1).threads(1).start();
             ProxyFixture proxy = new ProxyFixture(List.of(uwsgi.hostPort()), """
                     upstream: {protocol: uwsgi, concurrency: 1}
                     buffering: {response: 16Mi}
                     """);
             Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096);
            slow.connect(new InetSocketAddress("127.0.0.1", proxy.port()));
            slow.getOutputStream().write(("GET /stream?chunks=" + chunks + "&size=" + chunkSize + " HTTP/1.1\r\nHost: a\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            await().atMost(WITHIN).until(() -> slow.getInputStream().available() > 0);
            await().atMost(WITHIN).until(() -> inFlight(proxy) == 0);
            assertThat(Http.get(proxy.uri("/other")).statusCode()).as("the worker, while the client has not read").isEqualTo(200);
            assertThat(readBody(slow.getInputStream())).as("bytes the slow client gets").isEqualTo((long) chunks * chunkSize);
        }
    }

    private static long readBody(InputStream in) throws IOException {
        String head = readHead(in);
        assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("transfer-encoding: chunked");
        long total = 0;
        while (true) {
            String sizeLine = readLine(in);
            int size = Integer.parseInt(sizeLine.trim(), 16);
            if (size == 0) {
                readLine(in);
                return total;
            }
            total += in.readNBytes(size).length;
            readLine(in);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        String line;
        while (!(line = readLine(in)).isEmpty()) {
            head.append(line).append("\r\n");
        }
        return head.toString();
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("connection closed mid-line");
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    private static int inFlight(ProxyFixture proxy) throws Exception {
        JsonNode upstreams = JSON.readTree(Http.get(proxy.adminUri("/upstreams")).body());
        int total = 0;
        for (JsonNode u : upstreams.get("upstreams")) {
            total += u.get("inFlight").asInt();
        }
        return total;
    }

    private static double spilled(ProxyFixture proxy) throws Exception {
        for (String line : Http.get(proxy.adminUri("/metrics")).body().split("\n")) {
            if (line.startsWith("usher_request_bodies_spilled_total ")) {
                return Double.parseDouble(line.substring(line.indexOf(' ') + 1));
            }
        }
        throw new AssertionError("no usher_request_bodies_spilled_total in /metrics");
    }

    private static String bodyOf(String response) {
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }

    private static byte[] chunked(byte[] body) {
        StringBuilder framed = new StringBuilder();
        int piece = 7000;
        for (int at = 0; at < body.length; at += piece) {
            int n = Math.min(piece, body.length - at);
            framed.append(Integer.toHexString(n)).append("\r\n")
                    .append(new String(body, at, n, StandardCharsets.ISO_8859_1)).append("\r\n");
        }
        return framed.append("0\r\n\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        new Random(n).nextBytes(bytes);
        return bytes;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
