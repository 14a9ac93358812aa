package dev.usher.proxy.protocols.request;

import dev.usher.proxy.protocols.AsciiCase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;

/**
 * The request head as it goes to a backend: the client's field lines that are kept, as they came (case, order,
 * repeats), then the lines the proxy adds. Built once per request (by {@code ProxyHeaders}) and written as often as
 * the request is sent: as HTTP/1.1 bytes by {@link #encode}, or in a protocol's own encoding from
 * {@link #fieldCount()} and each field's name and value.
 *
 * <p>What it holds per request is only what was decided: which client lines are dropped (a bit each) and the request
 * id. The proxy's own lines are written from that, and from the head, when the head is written ({@link AddedLines});
 * the per-field offsets that other protocols read are worked out on their first use.
 */
public final class UpstreamHead {
    private static final byte[] HTTP_1_1 = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final short CRLF = ('\r' << 8) | '\n';
    /** Room for the lines the proxy adds, so that the buffer is not grown while the head is written. */
    private static final int ADDED = 224;

    /** Writes the lines the proxy adds to a head, from the head and what was decided for it: the proxy's policy. */
    public interface AddedLines {
        void write(UpstreamHead head, ByteBuf out);
    }

    /**
     * Where the added lines are written before they are copied into an array of their size: one buffer per event
     * loop, as a buffer per request was 250 bytes of garbage on every uwsgi request.
     */
    private static final FastThreadLocal<ByteBuf> ADDED_SCRATCH = new FastThreadLocal<>() {
        @Override
        protected ByteBuf initialValue() {
            return Unpooled.buffer(ADDED);
        }
    };

    private static final FastThreadLocal<byte[]> ID_SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[32];
        }
    };

    private final RequestHead request;
    private final String clientIp;
    private final AddedLines lines;
    private final long droppedLow;
    /** The drop bits of fields 64 and on; null for a head with no more than 64 fields. */
    private final long[] droppedHigh;
    /** The client's field line that carries the request id, or -1 when the proxy made one from these bits. */
    private final int requestIdField;
    private final long idHigh;
    private final long idLow;
    /** The added lines as bytes, and per field: 0 for the client's bytes, 1 for the added ones; name start, name
     * end, value start, value end. Worked out on first use, by protocols that read fields one by one. */
    private byte[] added;
    private int[] fields;
    private int fieldCount = -1;

    private UpstreamHead(Builder b) {
        this.request = b.request;
        this.clientIp = b.clientIp;
        this.lines = b.lines;
        this.droppedLow = b.droppedLow;
        this.droppedHigh = b.droppedHigh;
        this.requestIdField = b.requestIdField;
        this.idHigh = b.idHigh;
        this.idLow = b.idLow;
    }

    /**
     * Starts from every line of {@code request}; the builder drops some, and {@code lines} writes the proxy's own
     * (a constant: nothing is made per request for them until they are written).
     */
    public static Builder from(RequestHead request, String clientIp, AddedLines lines) {
        return new Builder(request, clientIp, lines);
    }

    public RequestHead request() {
        return request;
    }

    /** The client's address, for the line that forwards it. */
    public String clientIp() {
        return clientIp;
    }

    /** The request id the backend gets (the client's, or one the proxy made), for the access log. */
    public CharSequence requestId() {
        if (requestIdField >= 0) {
            return request.value(requestIdField);
        }
        byte[] id = new byte[32];
        hex(idHigh, id, 0);
        hex(idLow, id, 16);
        return new AsciiString(id, false);
    }

    /** Whether the proxy made the request id: it is then one of the added lines. */
    public boolean requestIdMade() {
        return requestIdField < 0;
    }

    /**
     * Writes the request id the proxy made, 32 lower-case hex digits: made in a per-event-loop array and written in
     * one call, as a {@code writeByte} per digit checked the buffer's room and reference count 32 times.
     */
    public void writeRequestId(ByteBuf out) {
        byte[] id = ID_SCRATCH.get();
        hex(idHigh, id, 0);
        hex(idLow, id, 16);
        out.writeBytes(id);
    }

    private static void hex(long v, byte[] out, int at) {
        for (int i = 0; i < 16; i++) {
            out[at + i] = HEX[(int) (v >>> (60 - 4 * i)) & 0xf];
        }
    }

    /** Starts a line the proxy adds: the field's name in lower case, a colon and a space. */
    public static void writeName(ByteBuf out, RequestField kind) {
        out.writeBytes(kind.lowerName()).writeShort((':' << 8) | ' ');
    }

    /** Writes the value of the client's field line {@code field}, as it came. */
    public void writeValueOf(ByteBuf out, int field) {
        int start = request.valueStart(field);
        out.writeBytes(request.bytes(), start, request.valueEnd(field) - start);
    }

    /** Ends a line the proxy adds. */
    public static void writeLineEnd(ByteBuf out) {
        out.writeShort(CRLF);
    }

    private boolean dropped(int field) {
        return field < 64 ? (droppedLow & (1L << field)) != 0
                : droppedHigh != null && (droppedHigh[(field >>> 6) - 1] & (1L << field)) != 0;
    }

    /** The head as HTTP/1.1 bytes: the request line, each field line, the empty line. */
    public ByteBuf encode(ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer(request.size() + ADDED);
        request.writeRequestLine(out);
        out.writeBytes(HTTP_1_1);
        byte[] bytes = request.bytes();
        for (int i = 0; i < request.fieldCount(); i++) {
            if (!dropped(i)) {
                int start = request.nameStart(i);
                out.writeBytes(bytes, start, request.valueEnd(i) - start).writeShort(CRLF);
            }
        }
        lines.write(this, out);
        return out.writeShort(CRLF);
    }

    public int fieldCount() {
        offsets();
        return fieldCount;
    }

    /** The bytes that hold field {@code f}'s name and value. */
    public byte[] array(int f) {
        return offsets()[5 * f] == 0 ? request.bytes() : added;
    }

    public int nameStart(int f) {
        return offsets()[5 * f + 1];
    }

    public int nameEnd(int f) {
        return offsets()[5 * f + 2];
    }

    public int valueStart(int f) {
        return offsets()[5 * f + 3];
    }

    public int valueEnd(int f) {
        return offsets()[5 * f + 4];
    }

    /** Each field's offsets, worked out once: the kept client lines, then the added lines (no CR in them). */
    private int[] offsets() {
        if (fields != null) {
            return fields;
        }
        ByteBuf written = ADDED_SCRATCH.get().clear();
        lines.write(this, written);
        added = ByteBufUtil.getBytes(written);
        int count = 0;
        for (int i = 0; i < request.fieldCount(); i++) {
            count += dropped(i) ? 0 : 1;
        }
        for (byte b : added) {
            count += b == '\n' ? 1 : 0;
        }
        int[] f = new int[5 * count];
        int k = 0;
        for (int i = 0; i < request.fieldCount(); i++) {
            if (!dropped(i)) {
                f[k + 1] = request.nameStart(i);
                f[k + 2] = request.nameEnd(i);
                f[k + 3] = request.valueStart(i);
                f[k + 4] = request.valueEnd(i);
                k += 5;
            }
        }
        for (int line = 0; line < added.length; k += 5) {
            int colon = line;
            while (added[colon] != ':') {
                colon++;
            }
            int cr = colon;
            while (added[cr] != '\r') {
                cr++;
            }
            f[k] = 1;
            f[k + 1] = line;
            f[k + 2] = colon;
            f[k + 3] = colon + 2;
            f[k + 4] = cr;
            line = cr + 2;
        }
        fieldCount = count;
        fields = f;
        return f;
    }

    /** A hash of field {@code f}'s name in [0, 64), the same for names that differ only in case. */
    public int nameHash(int f) {
        byte[] a = array(f);
        int h = 0;
        for (int i = nameStart(f), end = nameEnd(f); i < end; i++) {
            h = 31 * h + (a[i] | 0x20);
        }
        return (h ^ (h >>> 16)) & 63;
    }

    /** Whether field {@code f} is named {@code lower} (given in lower case), whatever the case it came in. */
    public boolean nameIs(int f, byte[] lower) {
        int start = nameStart(f);
        if (nameEnd(f) - start != lower.length) {
            return false;
        }
        return AsciiCase.equalsLower(array(f), start, lower);
    }

    /** Whether field {@code f}'s name has the byte {@code b} in it. */
    public boolean nameContains(int f, byte b) {
        byte[] a = array(f);
        for (int i = nameStart(f), end = nameEnd(f); i < end; i++) {
            if (a[i] == b) {
                return true;
            }
        }
        return false;
    }

    /** Whether fields {@code f} and {@code g} have the same name, whatever its case. */
    public boolean sameName(int f, int g) {
        int length = nameEnd(f) - nameStart(f);
        if (nameEnd(g) - nameStart(g) != length) {
            return false;
        }
        byte[] a = array(f);
        byte[] c = array(g);
        for (int i = 0; i < length; i++) {
            if (AsciiCase.lower(a[nameStart(f) + i]) != AsciiCase.lower(c[nameStart(g) + i])) {
                return false;
            }
        }
        return true;
    }

    /** The client's lines to drop, and the request id. Used from {@link #from} to {@link #build}. */
    public static final class Builder {
        private final RequestHead request;
        private final String clientIp;
        private final AddedLines lines;
        private long droppedLow;
        private long[] droppedHigh;
        private int requestIdField = -1;
        private long idHigh;
        private long idLow;

        Builder(RequestHead request, String clientIp, AddedLines lines) {
            this.request = request;
            this.clientIp = clientIp;
            this.lines = lines;
        }

        public Builder drop(int field) {
            if (field < 64) {
                droppedLow |= 1L << field;
            } else {
                if (droppedHigh == null) {
                    droppedHigh = new long[(request.fieldCount() - 1) >>> 6];
                }
                droppedHigh[(field >>> 6) - 1] |= 1L << field;
            }
            return this;
        }

        /** The client's field line {@code field} carries the request id. */
        public Builder requestId(int field) {
            requestIdField = field;
            return this;
        }

        /** The proxy makes the request id from these 128 bits, written as hex. */
        public Builder requestId(long high, long low) {
            requestIdField = -1;
            idHigh = high;
            idLow = low;
            return this;
        }

        public UpstreamHead build() {
            return new UpstreamHead(this);
        }
    }
}
