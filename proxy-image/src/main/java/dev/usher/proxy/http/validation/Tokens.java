package dev.usher.proxy.http.validation;

import io.netty.util.AsciiString;

/**
 * Walks the comma-separated tokens of one header value (Connection, Transfer-Encoding) in place. A split into
 * strings would allocate a list and a string per token for every response that says {@code Connection:
 * keep-alive}; here only a token that is kept becomes a string.
 */
public final class Tokens {
    private final CharSequence value;
    private int next;
    private int start;
    private int end;

    public Tokens(CharSequence value) {
        this.value = value;
    }

    /** Moves to the next non-empty token, trimmed as {@link String#trim} does; false after the last. */
    public boolean next() {
        int n = value.length();
        while (next <= n) {
            int comma = next;
            while (comma < n && value.charAt(comma) != ',') {
                comma++;
            }
            int s = next;
            int e = comma;
            next = comma + 1;
            while (s < e && value.charAt(s) <= ' ') {
                s++;
            }
            while (e > s && value.charAt(e - 1) <= ' ') {
                e--;
            }
            if (e > s) {
                start = s;
                end = e;
                return true;
            }
        }
        return false;
    }

    /** Whether the current token is {@code name}, ignoring ASCII case. */
    public boolean is(AsciiString name) {
        return end - start == name.length() && AsciiString.regionMatches(value, true, start, name, 0, end - start);
    }

    public String text() {
        return value.subSequence(start, end).toString();
    }
}
