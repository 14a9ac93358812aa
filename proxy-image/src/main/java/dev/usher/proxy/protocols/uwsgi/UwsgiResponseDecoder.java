package dev.usher.proxy.protocols.uwsgi;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponseDecoder;

/**
 * uWSGI answers with a plain HTTP/1.x response and then closes: Netty's response decoder reads it, taking the
 * body as Content-Length bytes or everything up to the close. It only has to be told when the request was a
 * HEAD, whose answer has no body whatever its headers say.
 */
final class UwsgiResponseDecoder extends HttpResponseDecoder {
    private boolean headRequest;

    UwsgiResponseDecoder(HttpDecoderConfig config) {
        super(config);
    }

    void expectResponseTo(boolean head) {
        this.headRequest = head;
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
        return headRequest || super.isContentAlwaysEmpty(msg);
    }
}
