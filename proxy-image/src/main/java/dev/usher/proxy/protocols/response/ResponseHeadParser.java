package dev.usher.proxy.protocols.response;

import dev.usher.proxy.http.validation.Tokens;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.Arrays;

/**
 * Finds a response head in the bytes a backend sent and parses it, strictly: the proxy forwards the field lines it
 * keeps as they came, so a line the client could read differently from the proxy must not pass (RFC 9112 2.2, 4, 5,
 * 6.3). Refused, and answered 502 by the proxy:
 * <ul>
 *   <li>a status line other than {@code HTTP/1.d SP 3DIGIT [SP reason]}, or a reason with control bytes;</li>
 *   <li>a field name that is not a token, whitespace before the colon, a line starting with whitespace (obs-fold);</li>
 *   <li>a control byte other than HTAB in a value, a CR not followed by LF anywhere;</li>
 *   <li>a Content-Length that is not a number, or several that differ;</li>
 *   <li>a head over the size limit.</li>
 * </ul>
 * One parser per upstream connection; it keeps where its search stopped while a head arrives in pieces.
 * {@link ResponseDecoder} hands each head on before it parses the next, so the view a head is stays valid while it
 * is delivered.
 */
final class ResponseHeadParser {
    /** A backend may put a few empty lines before a response (after a body, say); an endless stream is an error. */
    private static final int MAX_EMPTY_LINES = 8;
    private static final boolean[] TCHAR = new boolean[128];

    static {
        String special = "!#$%&'*+-.^_`|~";
        for (int c = 0; c < 128; c++) {
            TCHAR[c] = Character.isLetterOrDigit(c) || special.indexOf(c) >= 0;
        }
    }

    private final int maxHeadSize;
    /** Where the search for the head's end goes on, relative to the head's first byte. */
    private int searched;
    private int lineStart;
    private int emptyLines;
    /**
     * Where a head is copied out of its buffer, once, to be read byte by byte ({@code ByteBuf.getByte} checks the
     * buffer's bounds and reference count on every call, which costs more than the parse itself) and written from,
     * and the offsets of its lines. One per event loop, not per connection: a uwsgi backend takes a connection per
     * request. The {@link ResponseHead} is a view of them, valid until the loop parses the next head; it is delivered
     * and used before then, on this same thread.
     */
    private static final FastThreadLocal<Scratch> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    private static final class Scratch {
        byte[] bytes = new byte[1024];
        int[] fields = new int[5 * 16];
    }

    ResponseHeadParser(int maxHeadSize) {
        this.maxHeadSize = maxHeadSize;
    }

    /**
     * The head at the start of {@code in}'s readable bytes, consumed from it, or null while it is not complete.
     *
     * @throws CorruptedFrameException when the bytes are not a response head the proxy can forward
     */
    ResponseHead parse(ByteBuf in) {
        int end = findEnd(in);
        if (end < 0) {
            return null;
        }
        searched = 0;
        lineStart = 0;
        emptyLines = 0;
        Scratch scratch = SCRATCH.get();
        if (scratch.bytes.length < end) {
            scratch.bytes = new byte[Math.max(end, 2 * scratch.bytes.length)];
        }
        in.readBytes(scratch.bytes, 0, end);
        return parseHead(scratch, end);
    }

    /** The length of the head through its empty line, or -1 while it is not all here. Skips empty lines before it. */
    private int findEnd(ByteBuf in) {
        int base = in.readerIndex();
        int limit = in.writerIndex();
        while (true) {
            int lf = in.indexOf(base + searched, limit, (byte) '\n');
            if (lf < 0) {
                searched = limit - base;
                if (searched > maxHeadSize) {
                    throw new CorruptedFrameException("response head larger than " + maxHeadSize + " bytes");
                }
                return -1;
            }
            int lineEnd = lf > base + lineStart && in.getByte(lf - 1) == '\r' ? lf - 1 : lf;
            searched = lf + 1 - base;
            if (searched > maxHeadSize) {
                throw new CorruptedFrameException("response head larger than " + maxHeadSize + " bytes");
            }
            if (lineEnd == base + lineStart) {
                if (lineStart == 0) {
                    if (++emptyLines > MAX_EMPTY_LINES) {
                        throw new CorruptedFrameException("empty lines instead of a response");
                    }
                    in.skipBytes(searched);
                    base = in.readerIndex();
                    searched = 0;
                    continue;
                }
                return searched;
            }
            lineStart = searched;
        }
    }

    private static ResponseHead parseHead(Scratch scratch, int n) {
        byte[] h = scratch.bytes;
        int[] fields = scratch.fields;
        int i = statusLineEnd(h);
        if (i < 12 || h[0] != 'H' || h[1] != 'T' || h[2] != 'T' || h[3] != 'P'
                || h[4] != '/' || h[5] != '1' || h[6] != '.' || !digit(h[7])
                || h[8] != ' ' || !digit(h[9]) || !digit(h[10]) || !digit(h[11])) {
            throw new CorruptedFrameException("malformed status line");
        }
        boolean http11 = h[7] != '0';
        int status = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
        if (status < 100 || status > 599) {
            throw new CorruptedFrameException("status code " + status + " out of range");
        }
        int reasonStart = 12;
        if (i > 12) {
            if (h[12] != ' ') {
                throw new CorruptedFrameException("malformed status line");
            }
            reasonStart = 13;
            for (int k = 13; k < i; k++) {
                if (isControl(h[k])) {
                    throw new CorruptedFrameException("control byte in the reason phrase");
                }
            }
        }
        int reasonEnd = i;
        i = skipLineEnd(h, i);
        int count = 0;
        long contentLength = -1;
        int lengthLines = 0;
        boolean lengthClean = true;
        boolean chunked = false;
        boolean transferCoded = false;
        int codings = 0;
        boolean close = false;
        boolean keepAlive = false;
        boolean namesOthers = false;
        while (i < n && h[i] != '\r' && h[i] != '\n') {
            int nameStart = i;
            while (i < n && h[i] != ':') {
                byte b = h[i];
                if (b < 0 || !TCHAR[b]) {
                    throw new CorruptedFrameException(i == nameStart && (b == ' ' || b == '\t')
                            ? "obsolete line folding in the response head" : "invalid byte in a response field name");
                }
                i++;
            }
            int nameEnd = i;
            if (nameEnd == nameStart || i == n) {
                throw new CorruptedFrameException("response field line without a name");
            }
            i++;
            while (h[i] == ' ' || h[i] == '\t') {
                i++;
            }
            int valueStart = i;
            int valueEnd = i;
            byte b;
            while ((b = h[i]) != '\r' && b != '\n') {
                if (isControl(b)) {
                    throw new CorruptedFrameException("control byte in a response field value");
                }
                i++;
                if (b != ' ' && b != '\t') {
                    valueEnd = i;
                }
            }
            i = skipLineEnd(h, i);
            FieldKind kind = FieldKind.of(h, nameStart, nameEnd);
            switch (kind) {
                case CONTENT_LENGTH -> {
                    long value = contentLength(h, valueStart, valueEnd);
                    if (contentLength >= 0 && value != contentLength) {
                        throw new CorruptedFrameException("Content-Length given twice, with different values");
                    }
                    contentLength = value;
                    lengthLines++;
                    lengthClean &= isDigits(h, valueStart, valueEnd);
                }
                case TRANSFER_ENCODING -> {
                    transferCoded = true;
                    // Tokens skips empty list elements, as RFC 9110 5.6.1 asks: "chunked," is chunked.
                    Tokens t = new Tokens(new AsciiString(h, valueStart, valueEnd - valueStart, false));
                    while (t.next()) {
                        codings++;
                        chunked |= t.is(HttpHeaderValues.CHUNKED);
                    }
                }
                case CONNECTION -> {
                    ConnectionTokens tokens = ConnectionTokens.of(h, valueStart, valueEnd);
                    close |= tokens.close();
                    keepAlive |= tokens.keepAlive();
                    namesOthers |= tokens.others();
                }
                default -> { }
            }
            if (5 * count + 5 > fields.length) {
                fields = Arrays.copyOf(fields, fields.length * 2);
                scratch.fields = fields;
            }
            int f = 5 * count++;
            fields[f] = kind.ordinal();
            fields[f + 1] = nameStart;
            fields[f + 2] = nameEnd;
            fields[f + 3] = valueStart;
            fields[f + 4] = valueEnd;
        }
        // The loop stops at a CR or LF: it must be the empty line's, not a bare CR starting a line.
        skipLineEnd(h, i);
        chunked &= codings == 1;
        if (transferCoded && !chunked) {
            // nginx refuses these too: the client would get the body still coded, with nothing to say how.
            throw new CorruptedFrameException("Transfer-Encoding other than chunked alone");
        }
        ResponseHead.Framing framing = new ResponseHead.Framing(contentLength, lengthLines == 1 && lengthClean, chunked,
                close, keepAlive, namesOthers);
        return new ResponseHead(h, n, http11, status, reasonStart, reasonEnd, fields, count, framing);
    }

    /** The index of the CR or LF that ends the status line; a CR must be followed by LF. */
    private static int statusLineEnd(byte[] h) {
        int i = 0;
        byte b;
        while ((b = h[i]) != '\r' && b != '\n') {
            i++;
        }
        return i;
    }

    /** Past the CRLF or LF at {@code i}. */
    private static int skipLineEnd(byte[] h, int i) {
        if (h[i] == '\r') {
            if (h[i + 1] != '\n') {
                throw new CorruptedFrameException("CR without LF in the response head");
            }
            return i + 2;
        }
        return i + 1;
    }

    /** RFC 9110 8.6: digits; a list of equal values (a repeated header folded by some hop) counts as one. */
    private static long contentLength(byte[] h, int start, int end) {
        long value = -1;
        int i = start;
        while (i < end) {
            long v = 0;
            int digits = 0;
            while (i < end && digit(h[i])) {
                if (++digits > 18) {
                    throw new CorruptedFrameException("Content-Length too large");
                }
                v = v * 10 + (h[i++] - '0');
            }
            if (digits == 0 || (value >= 0 && v != value)) {
                throw new CorruptedFrameException("invalid Content-Length");
            }
            value = v;
            while (i < end && (h[i] == ' ' || h[i] == '\t')) {
                i++;
            }
            if (i < end) {
                if (h[i] != ',') {
                    throw new CorruptedFrameException("invalid Content-Length");
                }
                i++;
                while (i < end && (h[i] == ' ' || h[i] == '\t')) {
                    i++;
                }
            }
        }
        if (value < 0) {
            throw new CorruptedFrameException("empty Content-Length");
        }
        return value;
    }

    private static boolean isDigits(byte[] h, int start, int end) {
        for (int i = start; i < end; i++) {
            if (!digit(h[i])) {
                return false;
            }
        }
        return true;
    }

    private static boolean digit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** RFC 9110 5.5: field values and reason phrases are visible bytes, SP, HTAB and obs-text. */
    private static boolean isControl(byte b) {
        return (b >= 0 && b < 0x20 && b != '\t') || b == 0x7f;
    }
}
