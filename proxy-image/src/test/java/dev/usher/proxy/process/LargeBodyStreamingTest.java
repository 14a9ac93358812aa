package dev.usher.proxy.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.ProxyProcess;
import dev.usher.proxy.testing.TestBackend;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** 200 MiB each way through a proxy whose heap is capped at 64 MiB: bodies must stream, never pile up. */
class LargeBodyStreamingTest {
    private static final long SIZE = 200L << 20;

    private static TestBackend backend;
    private static ProxyProcess proxy;

    @BeforeAll
    static void start() throws Exception {
        backend = new TestBackend("big");
        proxy = new ProxyProcess(List.of("-Xmx64m"),
                List.of("--upstream", backend.hostPort(), "--event-loops", "1", "--config", writeConfig()));
    }

    private static String writeConfig() throws Exception {
        var file = java.nio.file.Files.createTempFile("usher-big", ".yaml");
        file.toFile().deleteOnExit();
        java.nio.file.Files.writeString(file, "limits: {maxBodySize: 1Gi}\n");
        return file.toString();
    }

    @AfterAll
    static void stop() {
        proxy.close();
        backend.close();
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + proxy.port() + path);
    }

    @Test
    void uploads200MiB() throws Exception {
        HttpResponse<String> r = Http.CLIENT.send(HttpRequest.newBuilder(uri("/upload"))
                        .timeout(Duration.ofSeconds(120))
                        .POST(HttpRequest.BodyPublishers.fromPublisher(
                                HttpRequest.BodyPublishers.ofInputStream(() -> new ZeroStream(SIZE)), SIZE))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("received=" + SIZE);
        assertHealthy();
    }

    @Test
    void downloads200MiB() throws Exception {
        HttpResponse<InputStream> r = Http.CLIENT.send(HttpRequest.newBuilder(uri("/download?bytes=" + SIZE))
                        .timeout(Duration.ofSeconds(120)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        long total = drain(r.body());
        assertThat(total).isEqualTo(SIZE);
        assertHealthy();
    }

    @Test
    void echoes200MiBChunkedWhileItIsStillUploading() throws Exception {
        HttpResponse<InputStream> r = Http.CLIENT.send(HttpRequest.newBuilder(uri("/echo"))
                        .timeout(Duration.ofSeconds(120))
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ZeroStream(SIZE)))
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        long total = drain(r.body());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(total).isEqualTo(SIZE);
        assertHealthy();
    }

    private static long drain(InputStream body) throws java.io.IOException {
        long total = 0;
        byte[] buf = new byte[1 << 16];
        try (InputStream in = body) {
            int n;
            while ((n = in.read(buf)) != -1) {
                total += n;
            }
        }
        return total;
    }

    private static void assertHealthy() {
        assertThat(proxy.process().isAlive()).as("proxy alive; output: %s", proxy.output()).isTrue();
        assertThat(proxy.output()).noneMatch(l -> l.contains("OutOfMemoryError"));
        assertThat(proxy.leakReports()).isEmpty();
    }

    /** {@code size} zero bytes without holding them. */
    private static final class ZeroStream extends InputStream {
        private long left;

        ZeroStream(long size) {
            this.left = size;
        }

        @Override
        public int read() {
            if (left == 0) {
                return -1;
            }
            left--;
            return 0;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left == 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            java.util.Arrays.fill(b, off, off + n, (byte) 0);
            left -= n;
            return n;
        }
    }
}
