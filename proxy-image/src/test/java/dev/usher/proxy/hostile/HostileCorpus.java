package dev.usher.proxy.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.testing.RecordingBackend.Protocol;
import dev.usher.proxy.testing.RecordingBackend.Seen;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Requests a hostile or broken client sends, each with what Usher must do: the status of the first answer, and how
 * many requests the backend must see (0 when the proxy refuses; a smuggled request would make it one more).
 * docs/security.md explains each rule; {@link NginxComparisonTest} runs the same corpus through nginx.
 */
final class HostileCorpus {
    /** @param check what the backend must have seen, for the cases that pass; null for none */
    record Case(String name, String request, int status, int forwarded, BiConsumer<Protocol, List<Seen>> check) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final String SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";

    static final List<Case> CASES = List.of(
            // Request smuggling through Connection (issue: the critical hole)
            refused("connection-names-content-length", "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: " + SMUGGLED.length()
                    + "\r\nConnection: Content-Length\r\n\r\n" + SMUGGLED, 400),
            refused("connection-names-content-length-any-case", "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: "
                    + SMUGGLED.length() + "\r\nConnection: keep-alive, CONTENT-length\r\n\r\n" + SMUGGLED, 400),
            refused("connection-names-host", "GET /a HTTP/1.1\r\nHost: a\r\nConnection: Host\r\n\r\n", 400),
            refused("connection-names-transfer-encoding", "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                    + "Connection: Transfer-Encoding\r\n\r\n0\r\n\r\n", 400),
            passed("body-that-looks-like-a-request", "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: " + SMUGGLED.length()
                    + "\r\n\r\n" + SMUGGLED, (p, seen) -> assertThat(seen.get(0).body()).hasSize(SMUGGLED.length())),
            refused("content-length-and-transfer-encoding", "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            refused("differing-content-lengths", "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),

            // Host (RFC 9112 3.2, RFC 9110 7.2)
            refused("two-hosts-same", "GET /a HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400),
            refused("two-hosts-different", "GET /a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            refused("host-comma-separated", "GET /a HTTP/1.1\r\nHost: a, b\r\n\r\n", 400),
            refused("host-empty", "GET /a HTTP/1.1\r\nHost:\r\n\r\n", 400),
            refused("host-missing", "GET /a HTTP/1.1\r\n\r\n", 400),
            refused("host-userinfo", "GET /a HTTP/1.1\r\nHost: user@a\r\n\r\n", 400),
            refused("host-path", "GET /a HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
            passed("host-with-port", "GET /a HTTP/1.1\r\nHost: a.example:8080\r\n\r\n",
                    (p, seen) -> assertThat(host(p, seen.get(0))).isEqualTo("a.example:8080")),
            passed("host-ipv6-literal", "GET /a HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
                    (p, seen) -> assertThat(host(p, seen.get(0))).isEqualTo("[::1]:8080")),
            passed("http10-without-host", "GET /a HTTP/1.0\r\n\r\n",
                    (p, seen) -> assertThat(host(p, seen.get(0))).startsWith("127.0.0.1:")),

            // Request target (RFC 9112 3.2, RFC 3986)
            passed("absolute-form", "GET http://good.example/a?b=1 HTTP/1.1\r\nHost: evil.example\r\n\r\n", (p, seen) -> {
                assertThat(seen.get(0).target()).isEqualTo("/a?b=1");
                assertThat(host(p, seen.get(0))).isEqualTo("good.example");
                if (p == Protocol.UWSGI) {
                    assertThat(seen.get(0).first("PATH_INFO")).isEqualTo("/a");
                }
            }),
            passed("absolute-form-without-path", "GET http://good.example HTTP/1.1\r\nHost: good.example\r\n\r\n",
                    (p, seen) -> assertThat(seen.get(0).target()).isEqualTo("/")),
            refused("absolute-form-userinfo", "GET http://user@good.example/a HTTP/1.1\r\nHost: good.example\r\n\r\n", 400),
            refused("absolute-form-other-scheme", "GET ftp://good.example/a HTTP/1.1\r\nHost: good.example\r\n\r\n", 400),
            refused("connect", "CONNECT good.example:443 HTTP/1.1\r\nHost: good.example:443\r\n\r\n", 405),
            refused("authority-form-without-connect", "GET good.example:80 HTTP/1.1\r\nHost: good.example\r\n\r\n", 400),
            refused("asterisk-form-get", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            refused("nul-in-target", "GET /a\u0000b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            refused("control-byte-in-target", "GET /a\u0001b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            refused("del-in-target", "GET /a\u007fb HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            refused("high-byte-in-target", "GET /a\u00ffb HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            refused("overlong-utf8-in-target", "GET /a\u00c0\u00afb HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            refused("fragment-in-target", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            refused("encoded-nul-in-path", "GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            refused("bad-percent-encoding-in-path", "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            refused("truncated-percent-encoding-in-path", "GET /a% HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            passed("encoded-nul-in-query", "GET /a?x=%00 HTTP/1.1\r\nHost: a\r\n\r\n",
                    (p, seen) -> assertThat(seen.get(0).target()).isEqualTo("/a?x=%00")),

            // Request line (RFC 9112 2-3)
            refused("lowercase-version", "GET /a http/1.1\r\nHost: a\r\n\r\n", 400),
            refused("version-9.9", "GET /a HTTP/9.9\r\nHost: a\r\n\r\n", 505),
            refused("version-2.0", "GET /a HTTP/2.0\r\nHost: a\r\n\r\n", 505),
            refused("version-two-digit-minor", "GET /a HTTP/1.10\r\nHost: a\r\n\r\n", 400),
            refused("no-version", "GET /a\r\nHost: a\r\n\r\n", 400),
            refused("http2-preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),
            refused("method-of-40-characters", "A".repeat(40) + " /a HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            refused("method-of-10000-characters", "A".repeat(10_000) + " /a HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            refused("method-with-separator", "GE(T /a HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            refused("two-spaces-after-method", "GET  /a HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            passed("version-1.2-served-as-1.1", "GET /a HTTP/1.2\r\nHost: a\r\n\r\n", null),

            // Header section (RFC 9112 5)
            refused("obs-fold", "GET /a HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n", 400),
            refused("whitespace-before-first-header", "GET /a HTTP/1.1\r\n Host: a\r\n\r\n", 400),
            refused("bare-cr-in-header", "GET /a HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", 400),
            refused("space-before-colon", "GET /a HTTP/1.1\r\nHost : a\r\n\r\n", 400),
            refused("nul-in-header-value", "GET /a HTTP/1.1\r\nHost: a\r\nX-A: b\u0000c\r\n\r\n", 400),
            passed("repeated-x-forwarded-for", "GET /a HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 192.0.2.1\r\n"
                    + "X-Forwarded-For: 192.0.2.2, 192.0.2.3\r\n\r\n", (p, seen) -> assertThat(
                    header(p, seen.get(0), "X-Forwarded-For")).isEqualTo("192.0.2.1, 192.0.2.2, 192.0.2.3, 127.0.0.1")),

            // Transfer codings and chunks (RFC 9112 6-7)
            refused("chunked-not-last", "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400),
            refused("gzip-then-chunked", "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
            refused("chunked-twice", "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400),
            refused("transfer-encoding-in-http10", "POST /a HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            refused("chunk-extension-without-name", "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5;\r\nhello\r\n0\r\n\r\n", 400),
            refused("chunk-size-not-hex", "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5g\r\nhello\r\n0\r\n\r\n", 400),
            refused("chunk-data-longer-than-size", "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "3\r\nhello\r\n0\r\n\r\n", 400),
            refused("folded-trailer", "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n0\r\nX-T: a\r\n b\r\n\r\n", 400),
            passed("chunk-extension-valid", "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5;name=value;flag;q=\"quoted ;\"\r\nhello\r\n0\r\n\r\n",
                    (p, seen) -> assertThat(new String(seen.get(0).body())).isEqualTo("hello")),

            // Interim answers (RFC 9110 10.1.1, 15.2)
            new Case("expect-100-http11", "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello",
                    100, 1, null),
            passed("expect-100-http10-gets-no-100", "POST /a HTTP/1.0\r\nHost: a\r\nContent-Length: 5\r\n"
                    + "Expect: 100-continue\r\n\r\nhello", null));

    private HostileCorpus() {}

    private static Case refused(String name, String request, int status) {
        return new Case(name, request, status, 0, null);
    }

    private static Case passed(String name, String request, BiConsumer<Protocol, List<Seen>> check) {
        return new Case(name, request, 200, 1, check);
    }

    /** The Host the backend got: the header over HTTP, HTTP_HOST over uwsgi. */
    static String host(Protocol p, Seen seen) {
        return header(p, seen, "Host");
    }

    static String header(Protocol p, Seen seen, String name) {
        return p == Protocol.HTTP ? seen.first(name) : seen.first("HTTP_" + name.toUpperCase().replace('-', '_'));
    }
}
