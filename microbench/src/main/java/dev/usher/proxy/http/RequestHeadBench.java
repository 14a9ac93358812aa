package dev.usher.proxy.http;

import dev.usher.proxy.http.validation.RequestCheck;
import dev.usher.proxy.http.validation.RequestDecoder;
import dev.usher.proxy.protocols.request.RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A request head's work in the proxy up to its bytes for an HTTP backend, as each request pays for it: read and
 * checked by {@link RequestDecoder}, {@link RequestCheck}, rewritten by {@link ProxyHeaders} and encoded. Requests:
 * a browser's; {@code fields}, {@code fill} bytes of short distinct names; {@code connection}, half of {@code fill}
 * in fields and half in one Connection line naming as many other fields; {@code asciiHash}, the same with names
 * (fields' and tokens', all distinct) that share one {@code AsciiString} hash code, which ignores all but the low five
 * bits of each byte ({@code 1} and {@code q} are the same to it); {@code stringHash}, with names that share one
 * {@code String} hash code ({@code c!} and {@code a_} are the same to it).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m", "-Dlogback.configurationFile=logback-bench.xml"})
@State(Scope.Thread)
public class RequestHeadBench {
    private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 8080);
    /** Bits in a crafted name: 2,048 distinct names. */
    private static final int BITS = 11;

    @Param({"browser", "fields", "connection", "asciiHash", "stringHash"})
    public String request;

    /** Header bytes the crafted part of a hostile head takes, within limits.maxHeaderSize (16384). */
    @Param({"16000"})
    public int fill;

    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    private EmbeddedChannel decoder;
    private ByteBuf raw;

    @Setup
    public void setUp() {
        String head = switch (request) {
            case "browser" -> "GET /shop/items/42?colour=red&size=m HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                    + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
                    + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
                    + "Accept-Language: en-GB,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n"
                    + "Referer: http://127.0.0.1:8080/shop/items\r\nCookie: session=0123456789abcdef0123456789abcdef\r\n"
                    + "Connection: keep-alive\r\n\r\n";
            case "fields" -> {
                StringBuilder b = new StringBuilder("GET / HTTP/1.1\r\nHost: a\r\n");
                for (int i = 0, used = 0; used < fill; i++) {
                    String line = "x" + Integer.toString(i, 36) + ":1";
                    b.append(line).append("\r\n");
                    used += line.length();
                }
                yield b.append("\r\n").toString();
            }
            case "connection", "asciiHash", "stringHash" -> {
                int names = fill / 2 / (name(0).length() + 1);
                StringBuilder fields = new StringBuilder();
                StringBuilder tokens = new StringBuilder();
                for (int i = 0; i < names; i++) {
                    // Tokens name fields that are not there: each field's lookup misses, the costliest case.
                    tokens.append(i == 0 ? "" : ",").append(name(i));
                    fields.append(name(names + i)).append(":\r\n");
                }
                yield "GET / HTTP/1.1\r\nHost: a\r\nConnection: " + tokens + "\r\n" + fields + "\r\n";
            }
            default -> throw new IllegalArgumentException(request);
        };
        raw = Unpooled.copiedBuffer(head, StandardCharsets.US_ASCII);
        decoder = new EmbeddedChannel(new RequestDecoder(8192, 16384, Duration.ofMinutes(1)));
    }

    /** Name {@code i}: a piece per bit, of one length, and for the hash cases of one hash code. */
    private String name(int i) {
        String[] pieces = switch (request) {
            case "asciiHash" -> new String[] {"1", "q"};
            case "stringHash" -> new String[] {"c!", "a_"};
            default -> new String[] {"1", "0"};
        };
        StringBuilder b = new StringBuilder();
        for (int bit = BITS - 1; bit >= 0; bit--) {
            b.append(pieces[i >>> bit & 1]);
        }
        return b.toString();
    }

    @TearDown
    public void tearDown() {
        decoder.finishAndReleaseAll();
        raw.release();
    }

    /** One request: its head read, checked, rewritten and encoded; the bytes that go upstream. */
    @Benchmark
    public int readCheckRewriteEncode() {
        decoder.writeInbound(raw.retainedDuplicate());
        RequestHead head = decoder.readInbound();
        ReferenceCountUtil.release(decoder.readInbound());
        if (RequestCheck.check(head, LOCAL) != null) {
            throw new IllegalStateException("refused");
        }
        ByteBuf out = ProxyHeaders.prepare(head, "127.0.0.1", false).encode(alloc);
        int written = out.readableBytes();
        out.release();
        return written;
    }
}
