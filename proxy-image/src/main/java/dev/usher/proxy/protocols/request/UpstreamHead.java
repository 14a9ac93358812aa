package dev.usher.proxy.protocols.request;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The request head as it goes to a backend: the client's field lines that are kept, as they came (case, order,
 * repeats), then the lines the proxy adds. Built once per request (by {@code ProxyHeaders}) and written as often as
 * the request is sent: as HTTP/1.1 bytes by {@link #encode}, or in a protocol's own encoding from
 * {@link #fieldCount()} and each field's name and value.
 *
 * <p>What it holds is what the HTTP path needs, nothing more per request: which client lines are dropped (a bit
 * each), and the added lines as the bytes they go on the wire as. The per-field offsets that other protocols read
 * are worked out on their first use.
 */
public final class UpstreamHead {
    private static final byte[] HTTP_1_1 = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final short CRLF = ('\r' << 8) | '\n';

    private final RequestHead request;
    private final long droppedLow;
    /** The drop bits of fields 64 and on; null for a head with no more than 64 fields. */
    private final long[] droppedHigh;
    /** The added lines, each {@code name: value CRLF}. */
    private final byte[] added;
    /** The request id's place: a client field's index, or, when negative, -1 - its value's start in {@link #added}. */
    private final int requestIdAt;
    private final int requestIdLength;
    /** Per field: 0 for the client's bytes, 1 for the added ones; name start, name end, value start, value end. */
    private int[] fields;
    private int fieldCount = -1;

    private UpstreamHead(RequestHead request, long droppedLow, long[] droppedHigh, byte[] added, int requestIdAt,
                         int requestIdLength) {
        this.request = request;
        this.droppedLow = droppedLow;
        this.droppedHigh = droppedHigh;
        this.added = added;
        this.requestIdAt = requestIdAt;
        this.requestIdLength = requestIdLength;
    }

    /** Starts from every line of {@code request}; the builder drops some and adds others. */
    public static Builder from(RequestHead request) {
        return new Builder(request);
    }

    public RequestHead request() {
        return request;
    }

    /** The request id the backend gets (the client's, or one the proxy made), for the access log; null if none. */
    public CharSequence requestId() {
        return requestIdAt == Integer.MIN_VALUE ? null : requestIdAt >= 0 ? request.value(requestIdAt)
                : new AsciiString(added, -1 - requestIdAt, requestIdLength, false);
    }

    private boolean dropped(int field) {
        return field < 64 ? (droppedLow & (1L << field)) != 0
                : droppedHigh != null && (droppedHigh[(field >>> 6) - 1] & (1L << field)) != 0;
    }

    /** The head as HTTP/1.1 bytes: the request line, each field line, the empty line. */
    public ByteBuf encode(ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer(request.size() + added.length + 16);
        request.writeRequestLine(out);
        out.writeBytes(HTTP_1_1);
        byte[] bytes = request.bytes();
        for (int i = 0; i < request.fieldCount(); i++) {
            if (!dropped(i)) {
                int start = request.nameStart(i);
                out.writeBytes(bytes, start, request.valueEnd(i) - start).writeShort(CRLF);
            }
        }
        return out.writeBytes(added).writeShort(CRLF);
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
        byte[] a = array(f);
        for (int i = 0; i < lower.length; i++) {
            if (lowerCase(a[start + i]) != lower[i]) {
                return false;
            }
        }
        return true;
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
            if (lowerCase(a[nameStart(f) + i]) != lowerCase(c[nameStart(g) + i])) {
                return false;
            }
        }
        return true;
    }

    private static byte lowerCase(byte b) {
        return b >= 'A' && b <= 'Z' ? (byte) (b + ('a' - 'A')) : b;
    }

    /**
     * Where a builder writes the added lines, one per event loop: {@link Builder#build} copies out the bytes, in an
     * array of their size, so a request does not pay for the room a longer one would need.
     */
    private static final FastThreadLocal<byte[][]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[][] initialValue() {
            return new byte[][] {new byte[512]};
        }
    };

    /**
     * What a head is made of: the client's lines less those dropped, then lines added, in the order added. Used on
     * one thread, from {@link #from} to {@link #build}, with nothing else built in between.
     */
    public static final class Builder {
        private final RequestHead request;
        private long droppedLow;
        private long[] droppedHigh;
        private final byte[][] scratch = SCRATCH.get();
        private byte[] added = scratch[0];
        private int size;
        private int valueStart;
        private int requestIdAt = Integer.MIN_VALUE;
        private int requestIdLength;

        Builder(RequestHead request) {
            this.request = request;
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

        /** Starts a line of the field {@code kind}, named in lower case. */
        public Builder name(RequestField kind) {
            byte[] name = kind.lowerName();
            room(name.length + 2);
            System.arraycopy(name, 0, added, size, name.length);
            size += name.length;
            added[size++] = ':';
            added[size++] = ' ';
            valueStart = size;
            return this;
        }

        /** Appends to the value of the line being written. */
        public Builder value(CharSequence s) {
            int n = s.length();
            room(n);
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                added[size++] = (byte) (c <= 0xFF ? c : '?');
            }
            return this;
        }

        /** Appends the value of the client's field line {@code field}, as it came. */
        public Builder valueOf(int field) {
            int start = request.valueStart(field);
            int n = request.valueEnd(field) - start;
            room(n);
            System.arraycopy(request.bytes(), start, added, size, n);
            size += n;
            return this;
        }

        /** Appends {@code v} as 16 lower-case hex digits. */
        public Builder hex(long v) {
            room(16);
            for (int i = 0; i < 16; i++) {
                added[size++] = HEX[(int) (v >>> (60 - 4 * i)) & 0xf];
            }
            return this;
        }

        /** Ends the line being written. */
        public Builder end() {
            room(2);
            added[size++] = '\r';
            added[size++] = '\n';
            return this;
        }

        /** Ends the line being written, whose value is the request id. */
        public Builder endRequestId() {
            requestIdAt = -1 - valueStart;
            requestIdLength = size - valueStart;
            return end();
        }

        /** The client's field line {@code field} carries the request id. */
        public Builder requestId(int field) {
            requestIdAt = field;
            return this;
        }

        private void room(int n) {
            if (size + n > added.length) {
                added = Arrays.copyOf(added, Math.max(size + n, 2 * added.length));
                scratch[0] = added;
            }
        }

        public UpstreamHead build() {
            return new UpstreamHead(request, droppedLow, droppedHigh, Arrays.copyOf(added, size), requestIdAt,
                    requestIdLength);
        }
    }
}
