package dev.usher.proxy.http.validation;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Why the proxy refuses a request itself, and with which status. The reason is for the log, never the client.
 * {@link RequestDecoder} yields one as a message in place of a request, so that the client handler answers it in
 * turn, after the responses it owes.
 */
public record BadRequest(HttpResponseStatus status, String reason) {}
