package dev.usher.proxy.http.validation;

import io.netty.handler.codec.http.HttpResponseStatus;

/** Why the proxy refuses a request itself, and with which status. The reason is for the log, never the client. */
public record BadRequest(HttpResponseStatus status, String reason) {

    /** The same refusal as a decoder failure, so it reaches the client handler in order with other requests. */
    public Exception asCause() {
        return new Refused(this);
    }

    /** Carries a {@link BadRequest} through Netty's {@code DecoderResult}; no stack trace, it is not a bug. */
    public static final class Refused extends Exception {
        private final transient BadRequest request;

        Refused(BadRequest request) {
            super(request.reason(), null, false, false);
            this.request = request;
        }

        public BadRequest request() {
            return request;
        }
    }
}
