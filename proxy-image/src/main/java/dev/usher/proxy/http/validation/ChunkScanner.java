package dev.usher.proxy.http.validation;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Reads the framing of a chunked request body (RFC 9112 7.1) and checks it, as {@link HeadScanner} does for heads:
 * chunk sizes are hex digits only; a chunk extension is {@code ;name[=value]} with a token name and a token or
 * quoted-string value; CR only before LF; no folded trailer lines. It stops where chunk data starts:
 * {@link RequestDecoder} passes the data on itself ({@link #dataRemaining}, {@link #dataTaken}), and drops the
 * framing, extensions and trailer fields, as nginx does: the body goes upstream in chunks of the proxy's own.
 * Framing bytes are not body bytes, so the body limit does not bound them: a size line (extensions included) may
 * be as long as a request line, and the trailer section as large as a header section.
 */
final class ChunkScanner implements ByteScanner {
    private static final int MAX_SIZE_DIGITS = 15;

    private enum State { SIZE, SIZE_WS, EXT_NAME_START, EXT_NAME, EXT_VALUE_START, EXT_VALUE, EXT_QUOTED, EXT_QUOTED_ESCAPE,
        EXT_AFTER, LINE_LF, DATA, DATA_CR, DATA_LF, TRAILER_START, TRAILER, TRAILER_LF, END_LF, DONE }

    private final int maxLine;
    private final int maxTrailer;
    private State state = State.SIZE;
    /** Bytes of the size line being read (with the line end of the data before it), or of the trailer section. */
    private int framingBytes;
    private int sizeDigits;
    private long size;
    private long remaining;
    private BadRequest failure;

    ChunkScanner(int maxLine, int maxTrailer) {
        this.maxLine = maxLine;
        this.maxTrailer = maxTrailer;
    }

    @Override
    public boolean done() {
        return state == State.DONE;
    }

    @Override
    public BadRequest failure() {
        return failure;
    }

    /** Reads framing bytes from {@code from}; stops at the end of the body, at a failure or where chunk data starts. */
    @Override
    public int scan(ByteBuf buf, int from, int to) {
        int i = from;
        while (i < to && state != State.DONE && state != State.DATA && failure == null) {
            step(buf.getByte(i++));
        }
        return i;
    }

    /** How many bytes of chunk data come next before more framing: 0 while framing is being read. */
    long dataRemaining() {
        return state == State.DATA ? remaining : 0;
    }

    /** {@code n} bytes of chunk data were passed on. */
    void dataTaken(int n) {
        remaining -= n;
        if (remaining == 0) {
            state = State.DATA_CR;
        }
    }

    private void step(byte b) {
        boolean trailer = state == State.TRAILER_START || state == State.TRAILER || state == State.TRAILER_LF
                || state == State.END_LF;
        if (++framingBytes > (trailer ? maxTrailer : maxLine)) {
            fail(trailer ? "trailer section too large" : "chunk size line too long");
            return;
        }
        switch (state) {
            case SIZE -> {
                int digit = Character.digit((char) (b & 0xff), 16);
                if (digit >= 0 && b > 0) {
                    if (++sizeDigits > MAX_SIZE_DIGITS) {
                        fail("chunk size too large");
                    }
                    size = size * 16 + digit;
                } else if (sizeDigits == 0) {
                    fail("chunk size is not hexadecimal");
                } else {
                    afterSize(b);
                }
            }
            case SIZE_WS, EXT_AFTER -> afterSize(b);
            case EXT_NAME_START -> {
                if (b == ' ' || b == '\t') {
                    return;
                }
                if (!isTchar(b)) {
                    fail("chunk extension without a name");
                } else {
                    state = State.EXT_NAME;
                }
            }
            case EXT_NAME -> {
                if (isTchar(b)) {
                    return;
                }
                if (b == '=') {
                    state = State.EXT_VALUE_START;
                } else {
                    afterSize(b);
                }
            }
            case EXT_VALUE_START -> {
                if (b == ' ' || b == '\t') {
                    return;
                }
                if (b == '"') {
                    state = State.EXT_QUOTED;
                } else if (isTchar(b)) {
                    state = State.EXT_VALUE;
                } else {
                    fail("chunk extension without a value after '='");
                }
            }
            case EXT_VALUE -> {
                if (!isTchar(b)) {
                    afterSize(b);
                }
            }
            case EXT_QUOTED -> {
                if (b == '"') {
                    state = State.EXT_AFTER;
                } else if (b == '\\') {
                    state = State.EXT_QUOTED_ESCAPE;
                } else if ((b >= 0 && b < 0x20 && b != '\t') || b == 0x7f) {
                    fail("control byte in a chunk extension");
                }
            }
            case EXT_QUOTED_ESCAPE -> {
                if ((b >= 0 && b < 0x20 && b != '\t') || b == 0x7f) {
                    fail("control byte in a chunk extension");
                } else {
                    state = State.EXT_QUOTED;
                }
            }
            case LINE_LF -> {
                if (b != '\n') {
                    fail("CR without LF in a chunk line");
                } else {
                    endOfSizeLine();
                }
            }
            case DATA_CR -> {
                if (b == '\r') {
                    state = State.DATA_LF;
                } else if (b == '\n') {
                    nextChunk();
                } else {
                    fail("chunk data longer than its size");
                }
            }
            case DATA_LF -> {
                if (b != '\n') {
                    fail("CR without LF after chunk data");
                } else {
                    nextChunk();
                }
            }
            case TRAILER_START -> {
                if (b == ' ' || b == '\t') {
                    fail("obsolete line folding in the trailer section");
                } else if (b == '\r') {
                    state = State.END_LF;
                } else if (b == '\n') {
                    state = State.DONE;
                } else {
                    state = State.TRAILER;
                }
            }
            case TRAILER -> {
                if (b == '\r') {
                    state = State.TRAILER_LF;
                } else if (b == '\n') {
                    state = State.TRAILER_START;
                }
            }
            case TRAILER_LF -> {
                if (b != '\n') {
                    fail("CR without LF in the trailer section");
                } else {
                    state = State.TRAILER_START;
                }
            }
            case END_LF -> {
                if (b != '\n') {
                    fail("CR without LF at the end of the trailer section");
                } else {
                    state = State.DONE;
                }
            }
            case DATA, DONE -> throw new IllegalStateException(state.name());
        }
    }

    /** After the size, a token or a value: whitespace, the next extension, or the end of the line. */
    private void afterSize(byte b) {
        if (b == ' ' || b == '\t') {
            state = State.SIZE_WS;
        } else if (b == ';') {
            state = State.EXT_NAME_START;
        } else if (b == '\r') {
            state = State.LINE_LF;
        } else if (b == '\n') {
            endOfSizeLine();
        } else {
            fail("invalid byte in a chunk size line");
        }
    }

    private void endOfSizeLine() {
        framingBytes = 0;
        if (size == 0) {
            state = State.TRAILER_START;
        } else {
            remaining = size;
            state = State.DATA;
        }
    }

    private void nextChunk() {
        size = 0;
        sizeDigits = 0;
        state = State.SIZE;
    }

    private void fail(String reason) {
        failure = new BadRequest(HttpResponseStatus.BAD_REQUEST, reason);
    }

    private static boolean isTchar(byte b) {
        return b > 0 && HeadScanner.isTchar(b);
    }
}
