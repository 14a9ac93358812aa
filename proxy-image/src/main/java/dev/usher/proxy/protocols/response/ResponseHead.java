package dev.usher.proxy.protocols.response;

import dev.usher.proxy.protocols.ConnectionNames;
import io.netty.buffer.ByteBuf;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/**
 * A backend's response head as it arrived: its bytes, where each field line sits in them, and the facts the proxy
 * acts on (status, framing, Connection's tokens). The proxy forwards the lines it keeps as they are, so nothing is
 * decoded into header objects and encoded again.
 *
 * <p>A view, valid only while it is being delivered (the {@code channelRead} that carries it): its bytes and offsets
 * are the event loop's parse buffers, reused for the next head, so that a response costs no copy of them. Whoever
 * needs a value later takes it as a String then. Nothing to release.
 */
public final class ResponseHead {
    private final byte[] bytes;
    private final int size;
    private final boolean http11;
    private final int status;
    private final int reasonStart;
    private final int reasonEnd;
    /** {@link FieldKind} ordinal, name start, name end, value start, value end: per field line, offsets in bytes. */
    private final int[] fields;
    private final int fieldCount;
    private final Framing framing;
    /** Per field, whether a Connection line names it; made on first use, when some line may. */
    private boolean[] named;

    ResponseHead(byte[] bytes, int size, boolean http11, int status, int reasonStart, int reasonEnd, int[] fields,
                 int fieldCount, Framing framing) {
        this.bytes = bytes;
        this.size = size;
        this.http11 = http11;
        this.status = status;
        this.reasonStart = reasonStart;
        this.reasonEnd = reasonEnd;
        this.fields = fields;
        this.fieldCount = fieldCount;
        this.framing = framing;
    }

    /**
     * How the head frames what follows it, and what its Connection header said.
     *
     * @param contentLength   Content-Length's value, or -1; Transfer-Encoding overrides it when both are given
     * @param lengthLineClean whether the head has exactly one Content-Length line, a plain number, fit to copy
     * @param chunked         Transfer-Encoding: chunked (the only coding the parser lets through)
     * @param close           Connection names close
     * @param keepAlive       Connection names keep-alive
     * @param namesOthers     Connection names other fields, which belong to this hop and are dropped
     */
    public record Framing(long contentLength, boolean lengthLineClean, boolean chunked,
                          boolean close, boolean keepAlive, boolean namesOthers) {}

    /** The head's length in bytes, as it came. */
    public int size() {
        return size;
    }

    public int status() {
        return status;
    }

    public Framing framing() {
        return framing;
    }

    /** Whether the body is framed by its Content-Length (or absent), rather than by chunks or the close. */
    public boolean lengthFramed() {
        return framing.contentLength() >= 0 && !framing.chunked();
    }

    /** Whether the connection may carry another request after this response. */
    public boolean keepAlive() {
        if (framing.close() || (framing.chunked() && (framing.contentLength() >= 0 || !http11))) {
            // RFC 9112 6.3: both framings at once is an error the connection must not outlive; 6.1: so is
            // Transfer-Encoding in an HTTP/1.0 message
            return false;
        }
        return http11 || framing.keepAlive();
    }

    public int fieldCount() {
        return fieldCount;
    }

    public FieldKind kind(int field) {
        return FieldKind.VALUES[fields[5 * field]];
    }

    /**
     * Writes the whole field line to {@code out}, from its name to the end of its value, as it came (without trailing
     * whitespace or the line end).
     */
    public void writeLine(int field, ByteBuf out) {
        int start = fields[5 * field + 1];
        out.writeBytes(bytes, start, fields[5 * field + 4] - start);
    }

    /** Writes the reason phrase as sent, possibly empty, to {@code out}. */
    public void writeReason(ByteBuf out) {
        out.writeBytes(bytes, reasonStart, reasonEnd - reasonStart);
    }

    private boolean nameIs(int field, CharSequence name) {
        int start = fields[5 * field + 1];
        int length = fields[5 * field + 2] - start;
        if (length != name.length()) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (AsciiString.toLowerCase((char) bytes[start + i]) != AsciiString.toLowerCase(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private String value(int field) {
        int start = fields[5 * field + 3];
        return new String(bytes, start, fields[5 * field + 4] - start, StandardCharsets.ISO_8859_1);
    }

    /** The first value of a field, or null. */
    public String value(CharSequence name) {
        for (int i = 0; i < fieldCount; i++) {
            if (nameIs(i, name)) {
                return value(i);
            }
        }
        return null;
    }

    /** The first value of a field of this kind, or null. */
    public String value(FieldKind kind) {
        for (int i = 0; i < fieldCount; i++) {
            if (fields[5 * i] == kind.ordinal()) {
                return value(i);
            }
        }
        return null;
    }

    /**
     * Whether a Connection line names this field (RFC 9110 7.6.1: it belongs to this hop). The fields that frame
     * or route a message are never dropped that way.
     */
    public boolean namedByConnection(int field) {
        if (!framing.namesOthers()) {
            return false;
        }
        if (named == null) {
            named = ConnectionNames.named(bytes, fields, fieldCount, FieldKind.CONNECTION.ordinal());
        }
        return named[field];
    }
}
