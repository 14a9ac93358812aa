package dev.usher.proxy.http;

import dev.usher.proxy.protocols.HttpBackend;
import dev.usher.proxy.protocols.response.ResponseDecoder;
import dev.usher.proxy.protocols.response.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
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
 * A backend's response head's work in the proxy, as each response pays for it: read by {@link ResponseDecoder} (with
 * the head limit a 16 KiB limits.maxHeaderSize gives it, 24 KiB) and written for the client by
 * {@link ResponseHeadWriter}. Responses: an nginx-like one; {@code fields}, {@code fill} bytes of short lines; and
 * {@code connection}, half of {@code fill} in one Connection line naming fields that are not there and half in
 * fields it does not name, each of which the writer asks about.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m", "-Dlogback.configurationFile=logback-bench.xml"})
@State(Scope.Thread)
public class ResponseHeadBench {
    @Param({"nginx", "fields", "connection"})
    public String response;

    /** Bytes the crafted part of a hostile head takes, within the 24 KiB response head limit. */
    @Param({"24000"})
    public int fill;

    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    private EmbeddedChannel channel;
    private ResponseDecoder decoder;
    private ByteBuf raw;

    @Setup
    public void setUp() {
        String head = switch (response) {
            case "nginx" -> "HTTP/1.1 200 OK\r\nServer: nginx/1.26.0\r\nDate: Mon, 30 Nov 2026 11:22:03 GMT\r\n"
                    + "Content-Type: text/html; charset=utf-8\r\nContent-Length: 0\r\nConnection: keep-alive\r\n"
                    + "Cache-Control: no-cache\r\nSet-Cookie: session=0123456789abcdef; Path=/; HttpOnly\r\n\r\n";
            case "fields" -> "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n" + "x:\r\n".repeat(fill / 4) + "\r\n";
            case "connection" -> {
                StringBuilder tokens = new StringBuilder("x-t0");
                for (int i = 1; tokens.length() < fill / 2; i++) {
                    tokens.append(",x-t").append(Integer.toString(i, 36));
                }
                yield "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: " + tokens + "\r\n"
                        + "x:\r\n".repeat(fill / 2 / 4) + "\r\n";
            }
            default -> throw new IllegalArgumentException(response);
        };
        raw = Unpooled.copiedBuffer(head, StandardCharsets.US_ASCII);
        decoder = HttpBackend.responseDecoder(16384);
        channel = new EmbeddedChannel(decoder);
    }

    @TearDown
    public void tearDown() {
        channel.finishAndReleaseAll();
        raw.release();
    }

    /** One response: its head read, then written for an HTTP/1.1 client. */
    @Benchmark
    public int readAndWrite() {
        decoder.expectResponseTo(false);
        channel.writeInbound(raw.retainedDuplicate());
        ResponseHead head = channel.readInbound();
        BodyFraming framing = ResponseHeadWriter.framing(head, true, false);
        ByteBuf out = ResponseHeadWriter.finalHead(alloc, head, framing, head.keepAlive(), false);
        ReferenceCountUtil.release(channel.readInbound());
        int written = out.readableBytes();
        out.release();
        return written;
    }
}
