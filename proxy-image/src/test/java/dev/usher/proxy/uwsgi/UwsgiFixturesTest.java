package dev.usher.proxy.uwsgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.NginxServer;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.UwsgiServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The uWSGI and nginx fixtures end to end: nginx's {@code uwsgi_pass} is the reference the proxy's uwsgi backend
 * is measured against, so what these tests pin is also what nginx does.
 */
class UwsgiFixturesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private static UwsgiServer environ;
    private static NginxServer environFront;
    private static UwsgiServer flask;
    private static NginxServer flaskFront;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(UwsgiServer.available(), UwsgiServer.REQUIREMENT);
        assumeTrue(NginxServer.available(), NginxServer.REQUIREMENT);
        environ = UwsgiServer.start("environ_app.py");
        environFront = NginxServer.uwsgiFront(environ.hostPort());
        if (UwsgiServer.flaskAvailable()) {
            flask = UwsgiServer.start("flask_app.py");
            flaskFront = NginxServer.uwsgiFront(flask.hostPort());
        }
    }

    @AfterAll
    static void stop() {
        closeAll(flaskFront, flask, environFront, environ);
    }

    @Test
    void getCarriesTheCgiVariablesNginxSends() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(environFront.uri("/caf%C3%A9/a%20b/c%2Fd?x=1&y=%20z&x=2"))
                .header("X-Test", "hello")
                .header("Accept", "application/json"));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        Map<String, Object> env = json(r.body());
        assertThat(env).containsEntry("REQUEST_METHOD", "GET")
                .containsEntry("QUERY_STRING", "x=1&y=%20z&x=2")
                .containsEntry("REQUEST_URI", "/caf%C3%A9/a%20b/c%2Fd?x=1&y=%20z&x=2")
                .containsEntry("SERVER_PROTOCOL", "HTTP/1.1")
                .containsEntry("REMOTE_ADDR", "127.0.0.1")
                .containsEntry("SERVER_PORT", Integer.toString(environFront.port()))
                .containsEntry("HTTP_X_TEST", "hello")
                .containsEntry("HTTP_ACCEPT", "application/json")
                .containsEntry("wsgi.url_scheme", "http")
                .containsEntry("body_length", 0)
                // uwsgi_params sends CONTENT_TYPE even when the request has none
                .containsEntry("CONTENT_TYPE", "");
        // PEP 3333: the decoded path's bytes arrive as latin-1 code points; %2F is decoded like any other escape.
        assertThat(latin1ToUtf8((String) env.get("PATH_INFO"))).isEqualTo("/café/a b/c/d");
        // Debian's uwsgi_params sends $host (no port) as HTTP_HOST; older ones pass the Host header through.
        assertThat((String) env.get("HTTP_HOST")).startsWith("127.0.0.1");
        assertThat((String) env.get("REMOTE_PORT")).matches("\\d+");
    }

    @Test
    void postBodyOfOneMebibyteReachesTheApp() throws Exception {
        byte[] body = new byte[1 << 20];
        new Random(42).nextBytes(body);

        HttpResponse<String> r = send(HttpRequest.newBuilder(environFront.uri("/upload"))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r.body())).containsEntry("REQUEST_METHOD", "POST")
                .containsEntry("CONTENT_LENGTH", Integer.toString(body.length))
                .containsEntry("CONTENT_TYPE", "application/octet-stream")
                .containsEntry("body_length", body.length)
                .containsEntry("body_sha256", sha256(body));
    }

    @Test
    void appExceptionIsAnEmptyCloseThatNginxAnswersWith502() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(environFront.uri("/error")));

        assertThat(r.statusCode()).isEqualTo(502);
        // the log lines may land a moment after the response
        await().atMost(TIMEOUT).until(() -> environ.outputContains("deliberate failure on /error"));
        await().atMost(TIMEOUT).until(() -> environFront.outputContains("upstream prematurely closed connection"));
    }

    @Test
    void withCatchExceptionsUwsgiItselfAnswers500() throws Exception {
        try (UwsgiServer uwsgi = UwsgiServer.app("environ_app.py").processes(1).threads(1).catchExceptions(true).start();
             NginxServer nginx = NginxServer.uwsgiFront(uwsgi.hostPort())) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(nginx.uri("/error")));

            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(r.body()).contains("deliberate failure on /error");
        }
    }

    @Test
    void generatorResponseHasNoContentLengthAndNginxChunksIt() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(environFront.uri("/stream?chunks=8&size=1000")));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Length")).isEmpty();
        assertThat(r.headers().firstValue("Transfer-Encoding")).hasValue("chunked");
        StringBuilder expected = new StringBuilder();
        for (char c = 'a'; c < 'a' + 8; c++) {
            expected.append(String.valueOf(c).repeat(1000));
        }
        assertThat(r.body()).isEqualTo(expected.toString());
    }

    @Test
    void varsBlockBiggerThanBufferSizeIsDroppedAndNginxAnswers502() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(environFront.uri("/big-header"))
                .header("X-Big", "y".repeat(5000)));

        assertThat(r.statusCode()).isEqualTo(502);
        await().atMost(TIMEOUT).until(() -> environ.outputContains("invalid request block size"));
    }

    @Test
    void flaskParsesJsonThroughNginx() throws Exception {
        assumeTrue(flask != null, UwsgiServer.REQUIREMENT);

        HttpResponse<String> r = send(HttpRequest.newBuilder(flaskFront.uri("/json"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"usher\",\"n\":[1,2]}")));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r.body())).containsEntry("name", "usher")
                .containsEntry("n", List.of(1, 2))
                .containsEntry("handled_by", "flask");
    }

    @Test
    void repeatedHeadersReachFlaskAsTheLastValueOnly() throws Exception {
        assumeTrue(flask != null, UwsgiServer.REQUIREMENT);

        // A raw request: java.net.http joins repeated Cookie headers into one line before sending.
        Map<String, Object> headers = json(rawGet(flaskFront.port(), "/headers", "X-Rep: 1", "X-Rep: 2"));
        Map<String, Object> cookies = json(rawGet(flaskFront.port(), "/cookies", "Cookie: a=1; c=3", "Cookie: b=2"));

        // nginx sends one uwsgi var per header line and uWSGI's environ keeps the last of equal names.
        assertThat(headers).containsEntry("X-Rep", "2");
        assertThat(cookies).isEqualTo(Map.of("b", "2"));
    }

    @Test
    void killingUwsgiMidResponseEndsTheStreamAsIfItWereComplete() throws Exception {
        try (UwsgiServer uwsgi = UwsgiServer.app("environ_app.py").processes(1).threads(2).start();
             NginxServer nginx = NginxServer.uwsgiFront(uwsgi.hostPort(), "uwsgi_buffering off;")) {
            List<Long> pids = new ArrayList<>(uwsgi.workerPids());
            pids.add(uwsgi.pid());
            HttpResponse<InputStream> r = Http.CLIENT.send(
                    HttpRequest.newBuilder(nginx.uri("/slow-stream?chunks=100&ms=50")).timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(r.statusCode()).isEqualTo(200);
            BufferedReader body = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.US_ASCII));
            assertThat(CompletableFuture.supplyAsync(() -> readLine(body)).get(10, TimeUnit.SECONDS)).isEqualTo("chunk 0");

            uwsgi.kill();

            List<String> rest = CompletableFuture.supplyAsync(() -> body.lines().toList()).get(10, TimeUnit.SECONDS);
            // No Content-Length: the uwsgi response ends at the close, so nginx cannot tell the crash from the end.
            assertThat(rest).hasSizeLessThan(99).doesNotContain("chunk 99");
            assertThat(uwsgi.process().isAlive()).isFalse();
            await().atMost(TIMEOUT).until(() -> pids.stream().allMatch(UwsgiFixturesTest::deadOrZombie));
        }
    }

    /** Killed workers are orphans, and a container's init may take its time to reap them, or never do it. */
    private static boolean deadOrZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException e) {
            return true;
        }
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return Http.CLIENT.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String rawGet(int port, String path, String... headerLines) throws Exception {
        try (RawHttp raw = new RawHttp(port)) {
            String response = raw.send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + String.join("\r\n", headerLines) + "\r\nConnection: close\r\n\r\n").readResponse();
            assertThat(response).startsWith("HTTP/1.1 200 ");
            return response.substring(response.indexOf("\r\n\r\n") + 4);
        }
    }

    private static Map<String, Object> json(String body) throws Exception {
        return JSON.readValue(body, new TypeReference<>() {});
    }

    private static String latin1ToUtf8(String s) {
        return new String(s.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static String readLine(BufferedReader r) {
        try {
            return r.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void closeAll(AutoCloseable... resources) {
        for (AutoCloseable c : resources) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    e.printStackTrace();
                }
            }
        }
    }
}
