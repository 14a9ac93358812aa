package dev.usher.proxy.http;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per request on the {@code usher.access} logger. Off by default: at tens of thousands of
 * requests per second the log itself becomes the bottleneck; turn it on with {@code accessLog: true}.
 */
public final class AccessLog {
    private static final Logger log = LoggerFactory.getLogger("usher.access");

    private final boolean enabled;

    public AccessLog(boolean enabled) {
        this.enabled = enabled;
    }

    boolean enabled() {
        return enabled;
    }

    void record(String client, String method, String uri, int status, long bytesOut, long durationNanos,
                String upstream, int attempts, CharSequence requestId) {
        if (!enabled) {
            return;
        }
        StringBuilder b = new StringBuilder(256);
        b.append("{\"client\":");
        quote(b, client);
        b.append(",\"method\":");
        quote(b, method);
        b.append(",\"uri\":");
        quote(b, uri);
        b.append(",\"status\":").append(status)
                .append(",\"bytes\":").append(bytesOut)
                .append(",\"ms\":").append(durationNanos / 1_000_000.0)
                .append(",\"upstream\":");
        quote(b, upstream);
        b.append(",\"attempts\":").append(attempts).append(",\"request_id\":");
        quote(b, requestId == null ? null : requestId.toString());
        b.append('}');
        log.info(b.toString());
    }

    private static void quote(StringBuilder b, String s) {
        if (s == null) {
            b.append("null");
            return;
        }
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
