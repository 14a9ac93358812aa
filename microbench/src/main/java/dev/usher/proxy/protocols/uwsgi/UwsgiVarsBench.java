package dev.usher.proxy.protocols.uwsgi;

import dev.usher.proxy.config.UwsgiSettings;
import dev.usher.proxy.protocols.ClientInfo;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The uwsgi vars of one request, as each request pays for them: {@link UwsgiBackend#prepare} (which checks the
 * block's size before an upstream is picked) and the encoder's write of the block into a buffer. Two requests as
 * they leave the proxy's header rewrite: wrk's {@code GET /} (the benchmark's), and a browser's, with a query,
 * cookies and the usual Accept headers.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m", "-Dlogback.configurationFile=logback-bench.xml"})
@State(Scope.Thread)
public class UwsgiVarsBench {
    private static final ClientInfo CLIENT = new ClientInfo(
            new InetSocketAddress("127.0.0.1", 43210), new InetSocketAddress("127.0.0.1", 8080), "http");

    @Param({"wrk", "browser"})
    public String request;

    private final UwsgiBackend backend = new UwsgiBackend(UwsgiSettings.DEFAULTS, 16384, 10 << 20);
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    private HttpRequest head;

    @Setup
    public void setUp() {
        head = switch (request) {
            case "wrk" -> new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
            case "browser" -> new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                    "/shop/items/42?colour=red&size=m");
            default -> throw new IllegalArgumentException(request);
        };
        head.headers().add("Host", "127.0.0.1:8080");
        if (request.equals("browser")) {
            head.headers()
                    .add("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
                    .add("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
                    .add("Accept-Language", "en-GB,en;q=0.5")
                    .add("Accept-Encoding", "gzip, deflate, br")
                    .add("Referer", "http://127.0.0.1:8080/shop/items")
                    .add("Cookie", "session=0123456789abcdef0123456789abcdef")
                    .add("Cookie", "theme=dark");
        }
        // What the proxy's rewrite adds before prepare (ProxyHeaders.prepareRequest).
        for (Map.Entry<String, String> h : Map.of("x-forwarded-for", "127.0.0.1", "x-forwarded-proto", "http",
                "x-forwarded-host", "127.0.0.1:8080", "via", "1.1 usher", "x-request-id",
                "5f0c2a9e7d1b4c3a8e6f9d2b1a0c7e4f").entrySet()) {
            head.headers().set(AsciiString.cached(h.getKey()), h.getValue());
        }
    }

    /** What each request costs: the block checked at prepare, then written by the encoder. */
    @Benchmark
    public int prepareAndEncode() {
        UwsgiVars vars = (UwsgiVars) backend.prepare(head, CLIENT).message();
        ByteBuf out = vars.encode(alloc, 0);
        int written = out.readableBytes();
        out.release();
        return written;
    }
}
