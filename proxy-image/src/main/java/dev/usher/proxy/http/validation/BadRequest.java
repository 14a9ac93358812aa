package dev.usher.proxy.http.validation;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Why the proxy refuses a request itself, and with which status. The reason is for the log, never the client.
 * {@link RequestDecoder} yields one as a message in place of a request, so that the client handler answers it in
 * turn, after the responses it owes.
 *
 * @param ofBody whether it refuses the body of a request whose head was already yielded: it is not one more request
 */
public record BadRequest(HttpResponseStatus status, String reason, boolean ofBody) {

    public BadRequest(HttpResponseStatus status, String reason) {
        this(status, reason, false);
    }

    /** The same refusal, of the body of the request being read. */
    BadRequest ofItsBody() {
        return new BadRequest(status, reason, true);
    }
}
