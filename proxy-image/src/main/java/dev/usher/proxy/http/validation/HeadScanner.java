package dev.usher.proxy.http.validation;

import dev.usher.proxy.protocols.request.RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.Arrays;

/**
 * Checks the raw bytes of one request head, each byte once, as they arrive, and notes where the request line's parts
 * and each field line's name and value are, in the same pass: {@link #head} then makes the {@link RequestHead} from a
 * copy of the bytes without reading them again. The client's lines go upstream as they came, so what passes here has
 * the grammar below, and nothing else:
 * <ul>
 *   <li>leading empty lines are skipped (RFC 9112 2.2); any other leading byte must start the method</li>
 *   <li>method: 1 to {@value #MAX_METHOD} tchars, then one SP; {@code PRI} (the HTTP/2 preface) is refused</li>
 *   <li>target: only the bytes RFC 3986 allows in a URI, less {@code #}: no controls, no DEL, no byte &ge; 0x80</li>
 *   <li>version: exactly {@code HTTP/d.d}, case-sensitive; a major version other than 1 is 505</li>
 *   <li>header lines: a token name, a colon with no whitespace before it, a value without control bytes
 *       (RFC 9112 5, RFC 9110 5.5); none may start with SP or HTAB (obs-fold, RFC 9112 5.2); CR only before LF</li>
 *   <li>the request line, without its line end, at most {@code maxInitialLineLength} bytes (else 414); the field
 *       lines, without theirs, at most {@code maxHeaderSize} bytes together (else 431)</li>
 * </ul>
 */
final class HeadScanner implements ByteScanner {
    /** Longer than any registered method (the longest has 17 characters); a longer first word is not a method. */
    static final int MAX_METHOD = 32;
    private static final int MAX_EMPTY_LINE_BYTES = 32;
    private static final String HTTP_SLASH = "HTTP/";

    private static final byte SP = ' ';
    private static final byte HT = '\t';
    private static final byte CR = '\r';
    private static final byte LF = '\n';

    private static final boolean[] TCHAR = new boolean[128];
    private static final boolean[] TARGET = new boolean[128];

    static {
        String special = "!#$%&'*+-.^_`|~";
        for (int c = 0; c < 128; c++) {
            TCHAR[c] = Character.isLetterOrDigit(c) || special.indexOf(c) >= 0;
        }
        // RFC 3986 unreserved, gen-delims less '#', sub-delims and '%'. Also the printable characters that RFC 3986
        // excludes but clients put in queries ("{}|^`\<>), which nginx and HAProxy pass on too: see docs/security.md.
        String allowed = "-._~:/?[]@!$&'()*+,;=%\"<>\\^`{|}";
        for (int c = 0; c < 128; c++) {
            TARGET[c] = Character.isLetterOrDigit(c) || allowed.indexOf(c) >= 0;
        }
    }

    /**
     * Bytes are copied out in pieces and read from the copy: {@code ByteBuf.getByte} checks bounds and the reference
     * count on every call, which cost more than the check itself. One buffer per event loop, not per connection.
     */
    private static final FastThreadLocal<byte[]> CHUNK = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[512];
        }
    };

    private enum State { START, METHOD, TARGET, VERSION, VERSION_LF, LINE_START, NAME, VALUE, LINE_LF, END_LF, DONE }

    private final int maxLine;
    private final int maxHeaderBytes;
    private State state = State.START;
    /** Bytes taken since {@link #reset}: the offsets below count from the first of them. */
    private int pos;
    private int lineBytes;
    private int headerBytes;
    private int methodStart;
    private int methodEnd;
    private int targetEnd;
    /** Room for 16 field lines: most heads need no more. */
    private static final int INITIAL_FIELDS = 5 * 16;

    /** Name start, name end, value start, value end of each field line so far, at 1 + 5 * i (as RequestHead has them). */
    private int[] fields = new int[INITIAL_FIELDS];
    private int fieldCount;
    private int nameStart;
    private int nameEnd;
    private int valueStart;
    private int valueEnd;
    /** The method is only counted, and compared with PRI as it comes: a copy of it per request would cost more. */
    private int methodLength;
    /** How many of the method's first bytes match "PRI". */
    private int priMatched;
    private final StringBuilder version = new StringBuilder(8);
    private int targetLength;
    private BadRequest failure;
    private int emptyLineBytes;

    HeadScanner(int maxInitialLineLength, int maxHeaderSize) {
        this.maxLine = maxInitialLineLength;
        this.maxHeaderBytes = maxHeaderSize;
    }

    /** Ready for the next head. */
    void reset() {
        state = State.START;
        pos = 0;
        lineBytes = 0;
        headerBytes = 0;
        fieldCount = 0;
        if (fields.length > INITIAL_FIELDS) {
            // A head of thousands of lines grew it (to 160 KiB at the default header limit): kept no longer than it.
            fields = new int[INITIAL_FIELDS];
        }
        methodLength = 0;
        priMatched = 0;
        version.setLength(0);
        targetLength = 0;
        failure = null;
        emptyLineBytes = 0;
    }

    /**
     * Whether a request line has begun. Empty lines before it do not count (RFC 9112 2.2: a server ignores them;
     * clients send one after a body), so they neither start the head deadline nor earn a 408.
     */
    boolean started() {
        return state != State.START;
    }

    /** Whether the whole head, through its empty line, has been checked. */
    @Override
    public boolean done() {
        return state == State.DONE;
    }

    @Override
    public BadRequest failure() {
        return failure;
    }

    /**
     * Checks bytes {@code [from, to)} of {@code buf} and returns the index after the last byte it took: {@code to},
     * or less when the head ended or was refused there.
     */
    @Override
    public int scan(ByteBuf buf, int from, int to) {
        byte[] chunk = CHUNK.get();
        int i = from;
        while (i < to && state != State.DONE && failure == null) {
            int n = Math.min(chunk.length, to - i);
            buf.getBytes(i, chunk, 0, n);
            int k = 0;
            while (k < n && state != State.DONE && failure == null) {
                step(chunk[k++]);
                pos++;
            }
            i += k;
        }
        return i;
    }

    /**
     * The head just scanned, whose bytes start at {@code from} in {@code buf}: copied once into an array of its own,
     * as it outlives the read that brought it. Call when {@link #done()}.
     */
    RequestHead head(ByteBuf buf, int from) {
        byte[] bytes = new byte[pos];
        buf.getBytes(from, bytes);
        return new RequestHead(bytes, methodStart, methodEnd, methodEnd + 1, targetEnd, targetEnd + 1,
                Arrays.copyOf(fields, 5 * fieldCount), fieldCount);
    }

    /** How many bytes the head took, from its first (empty lines before it included). */
    int size() {
        return pos;
    }

    private void step(byte b) {
        switch (state) {
            case START -> {
                if (b == CR || b == LF) {
                    // A few are harmless; an endless stream of them would hold the connection without a head.
                    if (++emptyLineBytes > MAX_EMPTY_LINE_BYTES) {
                        fail(HttpResponseStatus.BAD_REQUEST, "too many empty lines before the request line");
                    }
                    return;
                }
                state = State.METHOD;
                methodStart = pos;
                if (requestLineByte()) {
                    method(b);
                }
            }
            case METHOD -> {
                if (requestLineByte()) {
                    method(b);
                }
            }
            case TARGET -> {
                if (requestLineByte()) {
                    target(b);
                }
            }
            case VERSION -> {
                if (b == CR || b == LF || requestLineByte()) {
                    version(b);
                }
            }
            case VERSION_LF -> {
                if (b != LF) {
                    fail(HttpResponseStatus.BAD_REQUEST, "CR without LF after the request line");
                    return;
                }
                endOfRequestLine();
            }
            case LINE_START -> {
                if (b == SP || b == HT) {
                    fail(HttpResponseStatus.BAD_REQUEST, "obsolete line folding (a header line starting with whitespace)");
                } else if (b == CR) {
                    state = State.END_LF;
                } else if (b == LF) {
                    state = State.DONE;
                } else if (isTchar(b)) {
                    state = State.NAME;
                    nameStart = pos;
                    headerByte();
                } else {
                    fail(HttpResponseStatus.BAD_REQUEST, "invalid byte " + hex(b) + " in a header name");
                }
            }
            case NAME -> {
                if (!headerByte()) {
                    return;
                }
                if (b == ':') {
                    state = State.VALUE;
                    nameEnd = pos;
                    valueStart = -1;
                } else if (!isTchar(b)) {
                    fail(HttpResponseStatus.BAD_REQUEST, "invalid byte " + hex(b) + " in a header name");
                }
            }
            case VALUE -> {
                if (b == CR) {
                    state = State.LINE_LF;
                    endOfField();
                } else if (b == LF) {
                    state = State.LINE_START;
                    endOfField();
                } else if ((b >= 0 && b < 0x20 && b != HT) || b == 0x7f) {
                    fail(HttpResponseStatus.BAD_REQUEST, "control byte " + hex(b) + " in a header value");
                } else if (headerByte() && b != SP && b != HT) {
                    // The value is trimmed of the whitespace around it (RFC 9112 5): it starts and ends on other bytes.
                    if (valueStart < 0) {
                        valueStart = pos;
                    }
                    valueEnd = pos + 1;
                }
            }
            case LINE_LF -> {
                if (b != LF) {
                    fail(HttpResponseStatus.BAD_REQUEST, "CR without LF in a header line");
                } else {
                    state = State.LINE_START;
                }
            }
            case END_LF -> {
                if (b != LF) {
                    fail(HttpResponseStatus.BAD_REQUEST, "CR without LF at the end of the head");
                } else {
                    state = State.DONE;
                }
            }
            case DONE -> throw new IllegalStateException("head already complete");
        }
    }

    /** Counts a byte of the request line against its limit; false when it is over. */
    private boolean requestLineByte() {
        if (++lineBytes > maxLine) {
            fail(HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line longer than " + maxLine + " bytes");
            return false;
        }
        return true;
    }

    /** Counts a byte of the field lines against their limit; false when it is over. */
    private boolean headerByte() {
        if (++headerBytes > maxHeaderBytes) {
            fail(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "header section larger than " + maxHeaderBytes + " bytes");
            return false;
        }
        return true;
    }

    private void endOfField() {
        if (valueStart < 0) {
            valueStart = pos;
            valueEnd = pos;
        }
        if (5 * fieldCount + 5 > fields.length) {
            fields = Arrays.copyOf(fields, fields.length * 2);
        }
        int f = 5 * fieldCount++;
        fields[f + 1] = nameStart;
        fields[f + 2] = nameEnd;
        fields[f + 3] = valueStart;
        fields[f + 4] = valueEnd;
    }

    private void method(byte b) {
        if (b == SP) {
            if (methodLength == 0) {
                fail(HttpResponseStatus.BAD_REQUEST, "request line starting with a space: no method");
            } else if (methodLength == 3 && priMatched == 3) {
                fail(HttpResponseStatus.BAD_REQUEST, "HTTP/2 connection preface on an HTTP/1.1 port");
            } else {
                state = State.TARGET;
                methodEnd = pos;
            }
        } else if (b < 0 || !TCHAR[b]) {
            fail(HttpResponseStatus.BAD_REQUEST, "invalid byte " + hex(b) + " in the method");
        } else if (methodLength == MAX_METHOD) {
            fail(HttpResponseStatus.BAD_REQUEST, "method longer than " + MAX_METHOD + " characters");
        } else {
            if (priMatched == methodLength && methodLength < 3 && b == "PRI".charAt(methodLength)) {
                priMatched++;
            }
            methodLength++;
        }
    }

    private void target(byte b) {
        if (b == SP) {
            if (targetLength == 0) {
                fail(HttpResponseStatus.BAD_REQUEST, "two spaces after the method");
            } else {
                state = State.VERSION;
                targetEnd = pos;
            }
        } else if (b < 0 || !TARGET[b]) {
            fail(HttpResponseStatus.BAD_REQUEST, "invalid byte " + hex(b) + " in the request target");
        } else {
            targetLength++;
        }
    }

    private void version(byte b) {
        if (b == CR) {
            state = State.VERSION_LF;
        } else if (b == LF) {
            endOfRequestLine();
        } else if (version.length() == 8) {
            fail(HttpResponseStatus.BAD_REQUEST, "malformed HTTP version");
        } else {
            version.append((char) (b & 0xff));
        }
    }

    private void endOfRequestLine() {
        if (version.length() != 8 || !startsWithHttp(version) || !isDigit(version.charAt(5))
                || version.charAt(6) != '.' || !isDigit(version.charAt(7))) {
            fail(HttpResponseStatus.BAD_REQUEST, "malformed HTTP version");
        } else if (version.charAt(5) != '1') {
            fail(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP version " + version + " is not supported");
        } else {
            state = State.LINE_START;
        }
    }

    private void fail(HttpResponseStatus status, String reason) {
        failure = new BadRequest(status, reason);
    }

    /** {@code "HTTP/"} at the start, compared in place: a version string per request would be garbage. */
    private static boolean startsWithHttp(CharSequence v) {
        for (int i = 0; i < HTTP_SLASH.length(); i++) {
            if (v.charAt(i) != HTTP_SLASH.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    static boolean isTchar(byte b) {
        return b >= 0 && TCHAR[b];
    }

    private static String hex(byte b) {
        return String.format("0x%02X", b & 0xff);
    }
}
