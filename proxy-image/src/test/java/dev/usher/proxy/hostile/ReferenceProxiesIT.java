package dev.usher.proxy.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.usher.proxy.testing.HaproxyServer;
import dev.usher.proxy.testing.NginxServer;
import dev.usher.proxy.testing.RecordingBackend;
import dev.usher.proxy.testing.RecordingBackend.Protocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The hostile corpus through nginx and HAProxy (Debian's, as HTTP reverse proxies) in front of the same lenient
 * backend, so that where Usher answers differently it is on purpose: every difference must be one that
 * docs/security.md lists with its reason, and every listed one must still be a difference. Writes each comparison
 * to {@code target/hostile-vs-NAME.md}.
 */
class ReferenceProxiesIT {
    /** Case name to nginx's answer, where Usher deliberately answers otherwise (docs/security.md says why). */
    static final Map<String, String> NGINX_DIFFERENCES = Map.ofEntries(
            Map.entry("connection-names-content-length", "200"),
            Map.entry("connection-names-content-length-any-case", "200"),
            Map.entry("connection-names-host", "200"),
            Map.entry("connection-names-transfer-encoding", "200"),
            Map.entry("host-userinfo", "200"),
            Map.entry("absolute-form-other-scheme", "200"),
            Map.entry("connect", "400"),
            Map.entry("high-byte-in-target", "200"),
            Map.entry("overlong-utf8-in-target", "200"),
            Map.entry("fragment-in-target", "200"),
            Map.entry("version-two-digit-minor", "200"),
            Map.entry("no-version", "no status line"),
            Map.entry("method-of-40-characters", "200"),
            Map.entry("method-of-10000-characters", "414"),
            Map.entry("two-spaces-after-method", "200"),
            Map.entry("chunked-not-last", "501"),
            Map.entry("chunked-twice", "501"),
            Map.entry("chunk-extension-without-name", "200"),
            Map.entry("folded-trailer", "200"));

    /** Case name to HAProxy's answer, where Usher deliberately answers otherwise (docs/security.md says why). */
    static final Map<String, String> HAPROXY_DIFFERENCES = Map.ofEntries(
            Map.entry("connection-names-content-length", "200"),
            Map.entry("connection-names-content-length-any-case", "200"),
            Map.entry("connection-names-host", "200"),
            Map.entry("connection-names-transfer-encoding", "200"),
            Map.entry("content-length-and-transfer-encoding", "200"),
            Map.entry("two-hosts-same", "200"),
            Map.entry("host-comma-separated", "200"),
            Map.entry("host-empty", "200"),
            Map.entry("host-missing", "200"),
            Map.entry("host-userinfo", "200"),
            Map.entry("host-path", "200"),
            Map.entry("absolute-form", "400"),
            Map.entry("absolute-form-userinfo", "200"),
            Map.entry("absolute-form-other-scheme", "200"),
            Map.entry("connect", "200"),
            Map.entry("asterisk-form-get", "200"),
            Map.entry("del-in-target", "200"),
            Map.entry("encoded-nul-in-path", "200"),
            Map.entry("bad-percent-encoding-in-path", "200"),
            Map.entry("truncated-percent-encoding-in-path", "200"),
            Map.entry("version-9.9", "200"),
            Map.entry("version-2.0", "200"),
            Map.entry("http2-preface", "no status line"),
            Map.entry("method-of-40-characters", "200"),
            Map.entry("method-of-10000-characters", "200"),
            Map.entry("two-spaces-after-method", "200"),
            Map.entry("obs-fold", "200"),
            Map.entry("nul-in-header-value", "200"),
            Map.entry("gzip-then-chunked", "422"),
            Map.entry("transfer-encoding-in-http10", "200"),
            Map.entry("chunk-extension-without-name", "200"),
            Map.entry("folded-trailer", "200"),
            Map.entry("expect-100-http11", "200"));

    @Test
    void usherDiffersFromNginxOnlyWhereDocumented() throws Exception {
        assumeTrue(NginxServer.available(), NginxServer.REQUIREMENT);
        try (RecordingBackend backend = new RecordingBackend(Protocol.HTTP);
             NginxServer nginx = NginxServer.httpFront(backend.hostPort())) {
            assertThat(compare("nginx", nginx.port(), backend)).isEqualTo(NGINX_DIFFERENCES);
        }
    }

    @Test
    void usherDiffersFromHaproxyOnlyWhereDocumented() throws Exception {
        assumeTrue(HaproxyServer.available(), HaproxyServer.REQUIREMENT);
        try (RecordingBackend backend = new RecordingBackend(Protocol.HTTP);
             HaproxyServer haproxy = HaproxyServer.httpFront(backend.hostPort())) {
            assertThat(compare("haproxy", haproxy.port(), backend)).isEqualTo(HAPROXY_DIFFERENCES);
        }
    }

    /** Each case through the proxy on {@code port}: the cases where its answer is not Usher's, with its answer. */
    private static Map<String, String> compare(String name, int port, RecordingBackend backend) throws IOException {
        Map<String, String> differences = new TreeMap<>();
        StringBuilder table = new StringBuilder("| case | Usher | " + name + " | requests the backend saw through "
                + name + " |\n| --- | --- | --- | --- |\n");
        for (HostileCorpus.Case c : HostileCorpus.CASES) {
            backend.clear();
            String answer = firstStatus(port, c.request());
            String usher = Integer.toString(c.status());
            if (!answer.equals(usher)) {
                differences.put(c.name(), answer);
            }
            table.append("| ").append(c.name()).append(" | ").append(usher).append(" | ").append(answer)
                    .append(" | ").append(backend.seen().size()).append(" |\n");
        }
        Files.writeString(Path.of("target", "hostile-vs-" + name + ".md"), table);
        return differences;
    }

    /** The status of the first answer, or "closed" when nginx closes without one. */
    private static String firstStatus(int port, String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                line.write(c);
            }
            String status = line.toString(StandardCharsets.ISO_8859_1);
            if (status.isEmpty()) {
                return "closed";
            }
            // Bytes, but no HTTP/1.x status line: an HTTP/0.9 answer (the body alone) or another protocol's frames.
            return status.startsWith("HTTP/1.") && status.length() >= 12 ? status.substring(9, 12) : "no status line";
        } catch (java.net.SocketException e) {
            return "reset";
        }
    }
}
