package dev.usher.proxy.protocols.response;

import dev.usher.proxy.protocols.AsciiCase;

/** The response fields the proxy acts on, recognised once, when their line is read. */
public enum FieldKind {
    OTHER(null, false),
    CONNECTION("connection", true),
    KEEP_ALIVE("keep-alive", true),
    PROXY_CONNECTION("proxy-connection", true),
    TE("te", true),
    TRAILER("trailer", true),
    TRANSFER_ENCODING("transfer-encoding", true),
    UPGRADE("upgrade", true),
    /** Reserved (RFC 9110 18.4) so that {@code Connection: close} never names a real field: dropped always. */
    CLOSE("close", true),
    CONTENT_LENGTH("content-length", false);

    static final FieldKind[] VALUES = values();

    private final byte[] name;
    private final boolean hopByHop;

    FieldKind(String name, boolean hopByHop) {
        this.name = name == null ? null : name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        this.hopByHop = hopByHop;
    }

    /** RFC 9110 7.6.1: fields that belong to one connection, never forwarded as they are. */
    public boolean hopByHop() {
        return hopByHop;
    }

    /** The kind of the field named by bytes {@code [start, end)} of {@code buf}. */
    static FieldKind of(byte[] buf, int start, int end) {
        int length = end - start;
        for (int k = 1; k < VALUES.length; k++) {
            byte[] n = VALUES[k].name;
            if (n.length == length && AsciiCase.equalsLower(buf, start, n)) {
                return VALUES[k];
            }
        }
        return OTHER;
    }
}
