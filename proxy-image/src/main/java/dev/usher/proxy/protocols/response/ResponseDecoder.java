package dev.usher.proxy.protocols.response;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;

/**
 * Reads a backend's responses, for every protocol that answers in HTTP/1.x: each head as a {@link ResponseHead}
 * (a view of its bytes, to be forwarded with the proxy's edits, valid while it is delivered), then the body as Netty {@code HttpContent} pieces of its
 * data, ending in a {@code LastHttpContent}; a head without a body is followed by an empty last piece. The body is
 * framed as RFC 9112 6.3 says: none for a HEAD request, 1xx, 204 and 304; chunked when Transfer-Encoding says so
 * (the parser refuses other codings; chunk extensions and trailer fields are read and dropped, as nginx does); else Content-Length; else
 * everything up to the close. After a 101 it yields nothing more: the bytes stay for the tunnel.
 *
 * <p>Malformed input is a {@link CorruptedFrameException}: the connection is closed and the proxy answers 502.
 */
public final class ResponseDecoder extends ByteToMessageDecoder {
    /** Chunk size lines and trailer lines: far above what any server writes, low enough to bound a bad one. */
    private static final int MAX_LINE = 8192;

    private enum State { HEAD, LENGTH, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, UNTIL_CLOSE, UPGRADED, STRAY, FAILED }

    private final ResponseHeadParser parser;
    private final int maxTrailerSize;
    private State state = State.HEAD;
    private boolean headRequest;
    /**
     * Whether a request is out whose final response has not ended. The backend answers one request at a time, so
     * bytes at any other moment are out of step: read as the next response, they would answer another request.
     */
    private boolean awaiting;
    private long remaining;
    private int trailerBytes;
    /**
     * How many bytes of the line being read, from the reader index, are known to hold no LF: a line that comes a few
     * bytes per read is searched once, not from its start on every read.
     */
    private int lineSearched;

    /** @param maxHeadSize the largest head accepted, status line included */
    public ResponseDecoder(int maxHeadSize) {
        this.parser = new ResponseHeadParser(maxHeadSize);
        this.maxTrailerSize = maxHeadSize;
    }

    /** What the next response answers: the answer to a HEAD has no body, whatever its head says. */
    public void expectResponseTo(boolean head) {
        this.headRequest = head;
        this.awaiting = true;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        try {
            while (in.isReadable() && step(in, out)) {
                // each step takes what it can; it returns false when it needs more bytes, or after a head
            }
        } catch (CorruptedFrameException e) {
            state = State.FAILED;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.isReadable()) {
            decode(ctx, in, out);
        }
        if (state == State.UNTIL_CLOSE) {
            state = State.HEAD;
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        // Any other state cut short: the upstream handler sees the close, and the exchange fails.
    }

    /** One step of the framing; false when it needs more bytes than there are. */
    private boolean step(ByteBuf in, List<Object> out) {
        switch (state) {
            case HEAD, STRAY -> {
                if (state == State.STRAY || !awaiting) {
                    return skipStray(in);
                }
                ResponseHead head = parser.parse(in);
                if (head == null) {
                    return false;
                }
                out.add(head);
                afterHead(head, in, out);
                // Delivered before the next head is parsed: the head is a view of the event loop's buffer.
                return false;
            }
            case LENGTH -> {
                int n = (int) Math.min(remaining, in.readableBytes());
                remaining -= n;
                if (remaining == 0) {
                    // No trailers: without the argument, each last piece would make an empty header map.
                    ended(in, out, new DefaultLastHttpContent(in.readRetainedSlice(n), EmptyHttpHeaders.INSTANCE));
                } else {
                    out.add(new DefaultHttpContent(in.readRetainedSlice(n)));
                }
                return true;
            }
            case UNTIL_CLOSE -> {
                out.add(new DefaultHttpContent(in.readRetainedSlice(in.readableBytes())));
                return true;
            }
            case CHUNK_SIZE -> {
                return chunkSize(in, out);
            }
            case CHUNK_DATA -> {
                int n = (int) Math.min(remaining, in.readableBytes());
                remaining -= n;
                out.add(new DefaultHttpContent(in.readRetainedSlice(n)));
                if (remaining == 0) {
                    state = State.CHUNK_END;
                }
                return true;
            }
            case CHUNK_END -> {
                int lineEnd = lineEnd(in, in.readerIndex());
                if (lineEnd == -1) {
                    return false;
                }
                if (lineEnd != in.readerIndex()) {
                    throw new CorruptedFrameException("chunk data longer than its size");
                }
                in.readerIndex(in.indexOf(lineEnd, in.writerIndex(), (byte) '\n') + 1);
                state = State.CHUNK_SIZE;
                return true;
            }
            case TRAILERS -> {
                return trailerLine(in, out);
            }
            case UPGRADED -> {
                return false; // the rest belongs to the tunnel: left for it when this decoder is removed
            }
            case FAILED -> {
                in.skipBytes(in.readableBytes());
                return false;
            }
            default -> throw new IllegalStateException(state.name());
        }
    }

    private void afterHead(ResponseHead head, ByteBuf in, List<Object> out) {
        int status = head.status();
        if (status == 101) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            state = State.UPGRADED;
            return;
        }
        if (status >= 100 && status < 200) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT); // and the final head follows
            return;
        }
        if (status == 204 || status == 304 || headRequest) {
            ended(in, out, LastHttpContent.EMPTY_LAST_CONTENT);
            return;
        }
        ResponseHead.Framing framing = head.framing();
        if (framing.chunked()) {
            state = State.CHUNK_SIZE;
        } else if (framing.contentLength() == 0) {
            ended(in, out, LastHttpContent.EMPTY_LAST_CONTENT);
        } else if (framing.contentLength() > 0) {
            remaining = framing.contentLength();
            state = State.LENGTH;
        } else {
            state = State.UNTIL_CLOSE;
        }
    }

    /**
     * The final response ends with {@code last}. Bytes already here past its end are out of step even if the next
     * request goes out before they are read (a pipelined one is sent while {@code last} is delivered).
     */
    private void ended(ByteBuf in, List<Object> out, LastHttpContent last) {
        out.add(last);
        awaiting = false;
        state = in.isReadable() ? State.STRAY : State.HEAD;
    }

    /** Bytes while no response is due: empty lines are let pass, anything else ends the connection. */
    private boolean skipStray(ByteBuf in) {
        while (in.isReadable()) {
            byte b = in.getByte(in.readerIndex());
            if (b != '\r' && b != '\n') {
                throw new CorruptedFrameException("bytes from the backend while no response is due");
            }
            in.skipBytes(1);
        }
        state = State.HEAD;
        return false;
    }

    /** RFC 9112 7.1: {@code 1*HEXDIG [ext] CRLF}; the extensions are checked for control bytes and dropped. */
    private boolean chunkSize(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        int end = lineEnd(in, start);
        if (end == -1) {
            return false;
        }
        long size = 0;
        int i = start;
        for (; i < end; i++) {
            int digit = Character.digit((char) (in.getByte(i) & 0xff), 16);
            if (digit < 0) {
                break;
            }
            if (i - start == 15) {
                throw new CorruptedFrameException("chunk size too large");
            }
            size = size * 16 + digit;
        }
        if (i == start) {
            throw new CorruptedFrameException("chunk size is not hexadecimal");
        }
        while (i < end && (in.getByte(i) == ' ' || in.getByte(i) == '\t')) {
            i++;
        }
        if (i < end && in.getByte(i) != ';') {
            // 0x5 or 5junk: a backend and the proxy could disagree on where the body ends.
            throw new CorruptedFrameException("chunk size followed by neither an extension nor the line end");
        }
        for (; i < end; i++) {
            byte b = in.getByte(i);
            if ((b >= 0 && b < 0x20 && b != '\t') || b == 0x7f) {
                throw new CorruptedFrameException("control byte in a chunk line");
            }
        }
        in.readerIndex(in.indexOf(end, in.writerIndex(), (byte) '\n') + 1);
        if (size == 0) {
            trailerBytes = 0;
            state = State.TRAILERS;
        } else {
            remaining = size;
            state = State.CHUNK_DATA;
        }
        return true;
    }

    private boolean trailerLine(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        int end = lineEnd(in, start);
        if (end == -1) {
            return false;
        }
        int next = in.indexOf(end, in.writerIndex(), (byte) '\n') + 1;
        trailerBytes += next - start;
        if (trailerBytes > maxTrailerSize) {
            throw new CorruptedFrameException("trailer section larger than " + maxTrailerSize + " bytes");
        }
        in.readerIndex(next);
        if (end == start) {
            ended(in, out, LastHttpContent.EMPTY_LAST_CONTENT);
            return true;
        }
        for (int i = start; i < end; i++) {
            byte b = in.getByte(i);
            if ((b >= 0 && b < 0x20 && b != '\t') || b == 0x7f) {
                throw new CorruptedFrameException("control byte in the trailer section");
            }
        }
        return true;
    }

    /**
     * The index of the CR (of a CRLF) or LF that ends the line starting at {@code start}, or -1 while no LF has
     * come. A CR anywhere else is refused, as is a line over {@value #MAX_LINE} bytes.
     */
    private int lineEnd(ByteBuf in, int start) {
        int limit = Math.min(in.writerIndex(), start + MAX_LINE + 1);
        int lf = in.indexOf(start + lineSearched, limit, (byte) '\n');
        if (lf < 0) {
            if (in.writerIndex() - start > MAX_LINE) {
                throw new CorruptedFrameException("line longer than " + MAX_LINE + " bytes in a chunked body");
            }
            lineSearched = limit - start;
            return -1;
        }
        lineSearched = 0;
        int end = lf > start && in.getByte(lf - 1) == '\r' ? lf - 1 : lf;
        int cr = in.indexOf(start, end, (byte) '\r');
        if (cr >= 0) {
            throw new CorruptedFrameException("CR without LF in a chunked body");
        }
        return end;
    }
}
