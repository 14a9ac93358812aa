package dev.usher.proxy.http;

import dev.usher.proxy.protocols.response.FieldKind;
import dev.usher.proxy.protocols.response.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

/**
 * The head a client gets for a backend's response, written as bytes: the status line in HTTP/1.1, the backend's
 * field lines as they came less those that belong to the backend's connection (RFC 9110 7.6.1), then the proxy's
 * own: Via, and the framing and Connection of the client's connection. Nothing is decoded into header objects.
 */
final class ResponseHeadWriter {
    private static final byte[] HTTP_1_1 = ascii("HTTP/1.1 ");
    private static final byte[] CRLF = ascii("\r\n");
    private static final byte[] VIA = ascii("via: 1.1 usher\r\n");
    private static final byte[] CHUNKED = ascii("transfer-encoding: chunked\r\n");
    private static final byte[] CLOSE = ascii("connection: close\r\n");
    private static final byte[] KEEP_ALIVE = ascii("connection: keep-alive\r\n");
    private static final byte[] UPGRADE = ascii("connection: upgrade\r\nupgrade: ");
    private static final byte[] CONTENT_LENGTH = ascii("content-length: ");
    /** Room for the lines the proxy adds, so that the buffer is not grown while it is written. */
    private static final int ADDED = 96;

    private ResponseHeadWriter() {}

    /** How the body goes to the client: it follows from the backend's framing and what the client speaks. */
    static BodyFraming framing(ResponseHead head, boolean bodyExpected, boolean http10Client) {
        if (!bodyExpected || head.lengthFramed()) {
            return BodyFraming.AS_IS;
        }
        return http10Client ? BodyFraming.UNTIL_CLOSE : BodyFraming.CHUNKED;
    }

    /** A final response (not 101) for the client. */
    static ByteBuf finalHead(ByteBufAllocator alloc, ResponseHead head, BodyFraming framing, boolean keepAlive,
                             boolean http10Client) {
        ByteBuf out = start(alloc, head);
        if (framing == BodyFraming.CHUNKED) {
            out.writeBytes(CHUNKED);
        }
        if (!keepAlive || framing == BodyFraming.UNTIL_CLOSE) {
            out.writeBytes(CLOSE);
        } else if (http10Client) {
            out.writeBytes(KEEP_ALIVE);
        }
        return out.writeBytes(CRLF);
    }

    /** A 101: the connection switches to what the backend's Upgrade names. */
    static ByteBuf switchingHead(ByteBufAllocator alloc, ResponseHead head) {
        ByteBuf out = start(alloc, head);
        out.writeBytes(UPGRADE);
        ByteBufUtil.writeAscii(out, head.value(FieldKind.UPGRADE));
        return out.writeBytes(CRLF).writeBytes(CRLF);
    }

    /** A 1xx passed on: only the backend's hop-by-hop fields go. */
    static ByteBuf interimHead(ByteBufAllocator alloc, ResponseHead head) {
        ByteBuf out = alloc.buffer(head.size() + ADDED);
        statusLine(out, head);
        fields(out, head);
        return out.writeBytes(CRLF);
    }

    private static ByteBuf start(ByteBufAllocator alloc, ResponseHead head) {
        ByteBuf out = alloc.buffer(head.size() + ADDED);
        statusLine(out, head);
        fields(out, head);
        if (head.lengthFramed() && !head.framing().lengthLineClean() && !lengthForbidden(head)) {
            // Several Content-Length lines (or a list) of one value: the client gets it once.
            out.writeBytes(CONTENT_LENGTH);
            ByteBufUtil.writeAscii(out, Long.toString(head.framing().contentLength()));
            out.writeBytes(CRLF);
        }
        return out.writeBytes(VIA);
    }

    private static void statusLine(ByteBuf out, ResponseHead head) {
        int status = head.status();
        out.writeBytes(HTTP_1_1)
                .writeByte('0' + status / 100).writeByte('0' + status / 10 % 10).writeByte('0' + status % 10)
                .writeByte(' ');
        head.writeReason(out);
        out.writeBytes(CRLF);
    }

    private static void fields(ByteBuf out, ResponseHead head) {
        boolean lengthKept = head.lengthFramed() && head.framing().lengthLineClean() && !lengthForbidden(head);
        for (int i = 0; i < head.fieldCount(); i++) {
            FieldKind kind = head.kind(i);
            if (kind.hopByHop()
                    || (kind == FieldKind.CONTENT_LENGTH && !lengthKept)
                    || (kind == FieldKind.OTHER && head.namedByConnection(i))) {
                continue;
            }
            head.writeLine(i, out);
            out.writeBytes(CRLF);
        }
    }

    /** RFC 9110 8.6: a 1xx or 204 never has a Content-Length, whatever the backend sent. */
    private static boolean lengthForbidden(ResponseHead head) {
        return head.status() < 200 || head.status() == 204;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
