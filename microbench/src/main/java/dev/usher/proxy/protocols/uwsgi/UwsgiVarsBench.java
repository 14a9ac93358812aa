package dev.usher.proxy.protocols.uwsgi;

import dev.usher.proxy.config.UwsgiSettings;
import dev.usher.proxy.http.validation.RequestDecoder;
import dev.usher.proxy.protocols.ClientInfo;
import dev.usher.proxy.protocols.request.RequestHead;
import dev.usher.proxy.protocols.request.UpstreamHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
 * block's size before an upstream is picked) and the encoder's write of the block into a buffer. Four requests as
 * they leave the proxy's header rewrite: wrk's {@code GET /} (the benchmark's); a browser's, with a query, cookies
 * and the usual Accept headers; a hostile one, limits.maxHeaderSize filled with some 2,000 short distinct names,
 * against a vars buffer large enough to take them (upstream.uwsgi.bufferSize 65535); and {@code uri}, a request line
 * at limits.maxInitialLineLength, half a path to decode and normalize, half a query of a thousand parameters.
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

    @Param({"wrk", "browser", "hostile", "uri"})
    public String request;

    private UwsgiBackend backend;
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    /** The lines the proxy's rewrite adds before prepare (ProxyHeaders), as it writes them. */
    private static final UpstreamHead.AddedLines ADDED = (h, out) -> out.writeCharSequence("x-forwarded-for: 127.0.0.1\r\n"
            + "x-forwarded-proto: http\r\nx-forwarded-host: 127.0.0.1:8080\r\nvia: 1.1 usher\r\n"
            + "x-request-id: 5f0c2a9e7d1b4c3a8e6f9d2b1a0c7e4f\r\n", StandardCharsets.US_ASCII);

    private RequestHead head;

    @Setup
    public void setUp() {
        String raw = switch (request) {
            case "wrk" -> "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
            case "browser" -> "GET /shop/items/42?colour=red&size=m HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                    + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
                    + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
                    + "Accept-Language: en-GB,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n"
                    + "Referer: http://127.0.0.1:8080/shop/items\r\nCookie: session=0123456789abcdef0123456789abcdef\r\n"
                    + "Cookie: theme=dark\r\n\r\n";
            case "uri" -> {
                // limits.maxInitialLineLength (8 KiB) of a path that PATH_INFO decodes and normalizes, then a query.
                StringBuilder t = new StringBuilder("GET /");
                while (t.length() < 4000) {
                    t.append("a/./%41b//../");
                }
                t.append('?');
                for (int i = 0; t.length() < 8170; i++) {
                    t.append('p').append(i).append("=v&");
                }
                yield t.append(" HTTP/1.1\r\nHost: a\r\n\r\n").toString();
            }
            case "hostile" -> {
                StringBuilder b = new StringBuilder("GET / HTTP/1.1\r\nHost: a\r\n");
                for (int i = 0; b.length() < 16384 - 16; i++) {
                    b.append('x').append(Integer.toString(i, 36)).append(":1\r\n");
                }
                yield b.append("\r\n").toString();
            }
            default -> throw new IllegalArgumentException(request);
        };
        boolean large = request.equals("hostile") || request.equals("uri");
        backend = new UwsgiBackend(large ? new UwsgiSettings(null, 65535, null) : UwsgiSettings.DEFAULTS, 16384, 10 << 20);
        // The head as the proxy's decoder reads it; each request's UpstreamHead is made from it, as the proxy does.
        EmbeddedChannel decoder = new EmbeddedChannel(new RequestDecoder(8192, 16384, Duration.ofMinutes(1)));
        decoder.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.US_ASCII));
        head = decoder.readInbound();
        decoder.finishAndReleaseAll();
    }

    /** What each request costs: the block checked at prepare, then written by the encoder. */
    @Benchmark
    public int prepareAndEncode() {
        UwsgiVars vars = (UwsgiVars) backend.prepare(UpstreamHead.from(head, "127.0.0.1", ADDED).build(), CLIENT).message();
        ByteBuf out = vars.encode(alloc, 0);
        int written = out.readableBytes();
        out.release();
        return written;
    }
}
