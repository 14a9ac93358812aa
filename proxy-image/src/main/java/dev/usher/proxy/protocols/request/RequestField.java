package dev.usher.proxy.protocols.request;

import dev.usher.proxy.protocols.AsciiCase;
import java.nio.charset.StandardCharsets;

/** The request fields the proxy acts on, recognised once per line, when the head is read. */
public enum RequestField {
    OTHER(null, false),
    CONNECTION("connection", true),
    KEEP_ALIVE("keep-alive", true),
    PROXY_CONNECTION("proxy-connection", true),
    TE("te", true),
    TRAILER("trailer", true),
    TRANSFER_ENCODING("transfer-encoding", true),
    UPGRADE("upgrade", true),
    HOST("host", false),
    CONTENT_LENGTH("content-length", false),
    CONTENT_TYPE("content-type", false),
    COOKIE("cookie", false),
    EXPECT("expect", false),
    VIA("via", false),
    X_FORWARDED_FOR("x-forwarded-for", false),
    X_FORWARDED_PROTO("x-forwarded-proto", false),
    X_FORWARDED_HOST("x-forwarded-host", false),
    X_REQUEST_ID("x-request-id", false),
    SEC_WEBSOCKET_KEY("sec-websocket-key", false);

    static final RequestField[] VALUES = values();
    private static final int LONGEST = 17;
    /** The kinds by name length: a line's name is compared with the few of its length only. */
    private static final RequestField[][] BY_LENGTH = new RequestField[LONGEST + 1][];

    static {
        for (int n = 0; n <= LONGEST; n++) {
            int length = n;
            BY_LENGTH[n] = java.util.Arrays.stream(VALUES).filter(k -> k.name != null && k.name.length == length)
                    .toArray(RequestField[]::new);
        }
    }

    private final byte[] name;
    private final boolean hopByHop;

    RequestField(String name, boolean hopByHop) {
        this.name = name == null ? null : name.getBytes(StandardCharsets.US_ASCII);
        this.hopByHop = hopByHop;
    }

    /** RFC 9110 7.6.1: fields that belong to the client's connection, never forwarded as they are. */
    public boolean hopByHop() {
        return hopByHop;
    }

    /** The name in lower case, as the proxy writes the lines it adds. */
    byte[] lowerName() {
        return name;
    }

    /** The kind of the field named by bytes {@code [start, end)} of {@code buf}, whatever their case. */
    static RequestField of(byte[] buf, int start, int end) {
        int length = end - start;
        if (length > LONGEST) {
            return OTHER;
        }
        for (RequestField k : BY_LENGTH[length]) {
            if (AsciiCase.equalsLower(buf, start, k.name)) {
                return k;
            }
        }
        return OTHER;
    }
}
