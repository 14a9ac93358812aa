package dev.usher.proxy.http.validation;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokensTest {

    private static List<String> all(String value) {
        List<String> out = new ArrayList<>();
        Tokens t = new Tokens(value);
        while (t.next()) {
            out.add(t.text());
        }
        return out;
    }

    @Test
    void yieldsTheTokensAStringSplitAndTrimWould() {
        assertThat(all("keep-alive")).containsExactly("keep-alive");
        assertThat(all(" close ,\tX-Secret,,  Upgrade ,")).containsExactly("close", "X-Secret", "Upgrade");
        assertThat(all("")).isEmpty();
        assertThat(all(" , ,")).isEmpty();
    }

    @Test
    void comparesIgnoringCaseAndWholeTokensOnly() {
        Tokens t = new Tokens("Keep-Alive, CONTENT-length, hostx");
        assertThat(t.next()).isTrue();
        assertThat(t.is(HttpHeaderValues.KEEP_ALIVE)).isTrue();
        assertThat(t.next()).isTrue();
        assertThat(t.is(HttpHeaderNames.CONTENT_LENGTH)).isTrue();
        assertThat(RequestCheck.isEndToEndOnly(t)).isTrue();
        assertThat(t.next()).isTrue();
        assertThat(t.is(HttpHeaderNames.HOST)).isFalse();
        assertThat(RequestCheck.isEndToEndOnly(t)).isFalse();
        assertThat(t.next()).isFalse();
    }
}
