package dev.usher.proxy.protocols.uwsgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.usher.proxy.endpoints.Endpoint;
import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.LogCapture;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.UwsgiServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The proxy in front of real uWSGI servers speaking the uwsgi protocol, as nginx's uwsgi_pass does. */
class UwsgiProxyIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONFIG = "upstream: {protocol: uwsgi}\nlimits: {maxBodySize: 100Mi}";

    private static UwsgiServer environ;
    private static UwsgiServer flask;

    @BeforeAll
    static void startServers() throws Exception {
        assertThat(UwsgiServer.available()).as(UwsgiServer.REQUIREMENT).isTrue();
        assertThat(UwsgiServer.flaskAvailable()).as(UwsgiServer.REQUIREMENT).isTrue();
        environ = UwsgiServer.start("environ_app.py");
        flask = UwsgiServer.start("flask_app.py");
    }

    @AfterAll
    static void stopServers() {
        environ.close();
        flask.close();
    }

    private static ProxyFixture proxyFor(UwsgiServer... servers) {
        return new ProxyFixture(List.of(servers).stream().map(UwsgiServer::hostPort).toList(), CONFIG);
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as("status; body %s", r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    @Test
    void getWithQueryStringAndPercentEncodedPath() throws Exception {
        try (ProxyFixture proxy = proxyFor(environ)) {
            JsonNode env = json(Http.get(proxy.uri("/caf%C3%A9/a%20b?x=1&y=%20z&x=2")));
            assertThat(env.get("REQUEST_METHOD").asText()).isEqualTo("GET");
            assertThat(env.get("QUERY_STRING").asText()).isEqualTo("x=1&y=%20z&x=2");
            assertThat(env.get("REQUEST_URI").asText()).isEqualTo("/caf%C3%A9/a%20b?x=1&y=%20z&x=2");
            // WSGI hands PATH_INFO over as bytes decoded as Latin-1: this is what "/café/a b" looks like there.
            assertThat(env.get("PATH_INFO").asText())
                    .isEqualTo(new String("/café/a b".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
            assertThat(env.get("SERVER_PROTOCOL").asText()).isEqualTo("HTTP/1.1");
            assertThat(env.get("REQUEST_SCHEME").asText()).isEqualTo("http");
            assertThat(env.get("SERVER_PORT").asText()).isEqualTo(String.valueOf(proxy.port()));
            assertThat(env.get("HTTP_X_FORWARDED_FOR").asText()).isEqualTo("127.0.0.1");
            assertThat(env.get("body_length").asInt()).isZero();
        }
    }

    @Test
    void remoteAddressAndPortAreTheClients() throws Exception {
        try (ProxyFixture proxy = proxyFor(environ); RawHttp client = new RawHttp(proxy.port())) {
            String response = client.send("GET /who HTTP/1.1\r\nHost: shop\r\n\r\n").readResponse();
            JsonNode env = JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
            assertThat(env.get("REMOTE_ADDR").asText()).isEqualTo("127.0.0.1");
            assertThat(env.get("REMOTE_PORT").asText()).isEqualTo(String.valueOf(client.localPort()));
            assertThat(env.get("SERVER_NAME").asText()).isEqualTo("shop");
        }
    }

    @Test
    void repeatedHeadersAndCookiesAreJoined() throws Exception {
        try (ProxyFixture proxy = proxyFor(environ); RawHttp client = new RawHttp(proxy.port())) {
            String response = client.send("GET / HTTP/1.1\r\nHost: a\r\nX-Rep: one\r\nX-Rep: two\r\n"
                    + "Cookie: a=1\r\nCookie: b=2\r\n\r\n").readResponse();
            JsonNode env = JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
            assertThat(env.get("HTTP_X_REP").asText()).isEqualTo("one, two");
            assertThat(env.get("HTTP_COOKIE").asText()).isEqualTo("a=1; b=2");
        }
    }

    @Test
    void flaskFormAndJson() throws Exception {
        try (ProxyFixture proxy = proxyFor(flask)) {
            HttpResponse<String> form = Http.CLIENT.send(HttpRequest.newBuilder(proxy.uri("/form"))
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .POST(HttpRequest.BodyPublishers.ofString("name=Ada+Lovelace&tag=a&tag=b")).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode fields = json(form).get("fields");
            assertThat(fields.get("name").get(0).asText()).isEqualTo("Ada Lovelace");
            assertThat(fields.get("tag")).hasSize(2);

            HttpResponse<String> js = Http.CLIENT.send(HttpRequest.newBuilder(proxy.uri("/json"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"order\": 42}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode echoed = json(js);
            assertThat(echoed.get("order").asInt()).isEqualTo(42);
            assertThat(echoed.get("handled_by").asText()).isEqualTo("flask");
        }
    }

    @Test
    void uploads50MiBWithContentLengthAndChunked() throws Exception {
        long size = 50L << 20;
        try (ProxyFixture proxy = proxyFor(environ)) {
            for (boolean chunked : new boolean[] {false, true}) {
                PatternStream body = new PatternStream(size);
                HttpRequest.BodyPublisher publisher = HttpRequest.BodyPublishers.ofInputStream(() -> body);
                if (!chunked) {
                    publisher = HttpRequest.BodyPublishers.fromPublisher(publisher, size);
                }
                HttpResponse<String> r = Http.CLIENT.send(HttpRequest.newBuilder(proxy.uri("/upload"))
                        .timeout(Duration.ofSeconds(60)).POST(publisher).build(), HttpResponse.BodyHandlers.ofString());
                JsonNode env = json(r);
                assertThat(env.get("CONTENT_LENGTH").asLong()).as("chunked=%s", chunked).isEqualTo(size);
                assertThat(env.get("body_length").asLong()).isEqualTo(size);
                assertThat(env.get("body_sha256").asText()).isEqualTo(body.sha256());
            }
        }
    }

    @Test
    void expectContinueUploadAsCurlSendsItForLargeBodies() throws Exception {
        try (ProxyFixture proxy = proxyFor(environ); RawHttp client = new RawHttp(proxy.port())) {
            client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n");
            assertThat(client.readHeadOnly(false)).startsWith("HTTP/1.1 100 Continue");
            String response = client.send("hello world").readResponse();
            JsonNode env = JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
            assertThat(env.get("body_length").asInt()).isEqualTo(11);
            assertThat(env.has("HTTP_EXPECT")).as("the proxy answered Expect itself").isFalse();
        }
    }

    @Test
    void streamedResponseArrivesChunkedAndTheConnectionIsKept() throws Exception {
        try (ProxyFixture proxy = proxyFor(environ); RawHttp client = new RawHttp(proxy.port())) {
            String head = client.send("GET /stream?chunks=40&size=4096 HTTP/1.1\r\nHost: a\r\n\r\n").readHeadOnly();
            assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("transfer-encoding: chunked");
            String body = client.readChunkedBody();
            assertThat(body).hasSize(40 * 4096);
            assertThat(body.charAt(0)).isEqualTo('a');
            assertThat(body.charAt(39 * 4096)).isEqualTo((char) ('a' + 39 % 26));
            assertThat(client.send("GET /again HTTP/1.1\r\nHost: a\r\n\r\n").readResponse())
                    .as("same client connection").startsWith("HTTP/1.1 200").contains("\"PATH_INFO\": \"/again\"");
        }
    }

    @Test
    void appErrorsArePassedThroughAndASilentCloseIs502() throws Exception {
        try (UwsgiServer catching = UwsgiServer.app("environ_app.py").catchExceptions(true).start();
             ProxyFixture proxy = proxyFor(catching);
             ProxyFixture plain = proxyFor(environ)) {
            HttpResponse<String> r = Http.get(proxy.uri("/error"));
            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(r.body()).contains("deliberate failure");
            // Without --catch-exceptions uWSGI closes without a word; the proxy must not pretend otherwise.
            assertThat(Http.get(plain.uri("/error")).statusCode()).isEqualTo(502);
        }
    }

    @Test
    void stoppedUwsgiIs502() throws Exception {
        UwsgiServer doomed = UwsgiServer.start("environ_app.py");
        try (ProxyFixture proxy = proxyFor(doomed)) {
            assertThat(Http.get(proxy.uri("/")).statusCode()).isEqualTo(200);
            doomed.stop();
            try (LogCapture log = new LogCapture()) {
                HttpResponse<String> r = Http.get(proxy.uri("/"));
                assertThat(r.statusCode()).isEqualTo(502);
                assertThat(r.body()).isEqualTo("502 Bad Gateway\n");
                assertThat(log.warnings()).singleElement().asString().contains("cannot connect");
            }
        } finally {
            doomed.close();
        }
    }

    @Test
    void uwsgiKilledMidResponseClosesTheClientConnection() throws Exception {
        try (UwsgiServer victim = UwsgiServer.start("environ_app.py");
             ProxyFixture proxy = proxyFor(victim);
             RawHttp client = new RawHttp(proxy.port())) {
            String head = client.send("GET /slow-sized?chunks=50&ms=100 HTTP/1.1\r\nHost: a\r\n\r\n").readHeadOnly();
            assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("content-length:");
            victim.kill();
            assertThat(client.closedByServer()).as("the cut response ends in a closed connection").isTrue();
        }
    }

    @Test
    void varsOverTheBufferSizeAre431NamingTheSetting() throws Exception {
        try (ProxyFixture proxy = proxyFor(environ); RawHttp client = new RawHttp(proxy.port())) {
            try (LogCapture log = new LogCapture()) {
                String response = client.send("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "x".repeat(5000) + "\r\n\r\n").readResponse();
                assertThat(response).startsWith("HTTP/1.1 431");
                assertThat(log.lines()).singleElement().asString()
                        .startsWith("INFO").contains("upstream.uwsgi.bufferSize").contains("--buffer-size");
            }
        }
        try (ProxyFixture proxy = new ProxyFixture(List.of(environ.hostPort()),
                "upstream: {protocol: uwsgi, uwsgi: {bufferSize: 8192}}");
             UwsgiServer roomy = UwsgiServer.app("environ_app.py").bufferSize(8192).start()) {
            proxy.server().pool().update(List.of(endpoint(roomy)));
            HttpResponse<String> r = Http.CLIENT.send(HttpRequest.newBuilder(proxy.uri("/"))
                    .header("X-Big", "x".repeat(5000)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(json(r).get("HTTP_X_BIG").asText()).hasSize(5000);
        }
    }

    @Test
    void balancesOverSeveralUwsgiAndOneRemovedUnderLoadFailsNoRequest() throws Exception {
        List<UwsgiServer> servers = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            for (int i = 0; i < 3; i++) {
                servers.add(UwsgiServer.start("environ_app.py"));
            }
            try (ProxyFixture proxy = proxyFor(servers.toArray(UwsgiServer[]::new))) {
                AtomicInteger completed = new AtomicInteger();
                AtomicBoolean stop = new AtomicBoolean();
                AtomicReference<String> failure = new AtomicReference<>();
                List<Future<?>> running = new ArrayList<>();
                for (int c = 0; c < 8; c++) {
                    running.add(clients.submit(() -> {
                        for (int i = 0; i < 1000 && !stop.get(); i++) {
                            try {
                                HttpResponse<String> r = Http.get(proxy.uri("/load"));
                                if (r.statusCode() != 200) {
                                    failure.compareAndSet(null, r.statusCode() + " " + r.body());
                                }
                            } catch (Exception e) {
                                failure.compareAndSet(null, e.toString());
                            }
                            completed.incrementAndGet();
                        }
                    }));
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> completed.get() >= 200);
                proxy.server().pool().update(List.of(endpoint(servers.get(0)), endpoint(servers.get(1))));
                int after = completed.get();
                await().atMost(Duration.ofSeconds(30)).until(() -> completed.get() >= after + 200);
                // Requests still draining from the removed server finish first; then it can go.
                await().atMost(Duration.ofSeconds(10)).until(() -> proxy.server().pool().snapshot().all().size() == 2);
                servers.get(2).stop();
                int stopped = completed.get();
                await().atMost(Duration.ofSeconds(30)).until(() -> completed.get() >= stopped + 200);
                stop.set(true);
                for (Future<?> f : running) {
                    f.get(30, TimeUnit.SECONDS);
                }
                assertThat(failure.get()).as("first failed request").isNull();
            }
        } finally {
            clients.shutdownNow();
            servers.forEach(UwsgiServer::close);
        }
    }

    private static Endpoint endpoint(UwsgiServer server) {
        return new Endpoint(new InetSocketAddress("127.0.0.1", server.port()), true);
    }

    /** A deterministic byte pattern of a given length, hashed as it is read. */
    static final class PatternStream extends InputStream {
        private final MessageDigest digest;
        private final long size;
        private long position;

        PatternStream(long size) throws Exception {
            this.size = size;
            this.digest = MessageDigest.getInstance("SHA-256");
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (position >= size) {
                return -1;
            }
            int n = (int) Math.min(len, size - position);
            for (int i = 0; i < n; i++) {
                b[off + i] = (byte) ((position + i) % 251);
            }
            digest.update(b, off, n);
            position += n;
            return n;
        }

        String sha256() {
            return HexFormat.of().formatHex(digest.digest());
        }
    }

}
