package dev.usher.proxy.protocols.response;

import dev.usher.proxy.protocols.HttpBackend;
import io.netty.buffer.ByteBuf;
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
 * A chunked response whose one chunk size line carries a long extension ({@code line} bytes, up to the decoder's
 * 8 KiB line limit), read by {@link ResponseDecoder}: in one read, or dripped by a hostile backend one byte per read.
 * Each read of an unfinished line looks for its end again from the line's start.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m", "-Dlogback.configurationFile=logback-bench.xml"})
@State(Scope.Thread)
public class ChunkLineBench {
    @Param({"1000", "8000"})
    public int line;

    @Param({"whole", "drip"})
    public String delivery;

    private EmbeddedChannel channel;
    private ResponseDecoder decoder;
    private ByteBuf head;
    private ByteBuf body;

    @Setup
    public void setUp() {
        head = ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        body = ascii("1;e=" + "x".repeat(line - 4) + "\r\nx\r\n0\r\n\r\n");
        decoder = HttpBackend.responseDecoder(16384);
        channel = new EmbeddedChannel(decoder);
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.unreleasableBuffer(Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII));
    }

    @TearDown
    public void tearDown() {
        channel.finishAndReleaseAll();
    }

    /** One response read: its head, then its body in one read or a byte per read. */
    @Benchmark
    public int read() {
        decoder.expectResponseTo(false);
        channel.writeInbound(head.duplicate());
        if (delivery.equals("whole")) {
            channel.writeInbound(body.duplicate());
        } else {
            for (int i = 0; i < body.readableBytes(); i++) {
                channel.writeInbound(body.slice(i, 1));
            }
        }
        int messages = 0;
        Object m;
        while ((m = channel.readInbound()) != null) {
            ReferenceCountUtil.release(m);
            messages++;
        }
        return messages;
    }
}
