package dev.usher.proxy.protocols;

import dev.usher.proxy.http.validation.RequestCheck;
import dev.usher.proxy.http.validation.Tokens;
import io.netty.util.AsciiString;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Which fields of a head its Connection lines name (RFC 9110 7.6.1: they belong to this hop), for a request's head
 * and a response's alike, worked out once per head: the tokens go into a set and each name is looked up. Comparing
 * every field with every token instead lets a head of a few thousand of each, within the header limits, hold its
 * event loop for tens of milliseconds. The keys are Strings in lower case, not AsciiStrings: AsciiString's hash code
 * reads only the low five bits of each byte, so a sender can give hundreds of distinct names one hash code, and
 * their bin, which HashMap cannot order (AsciiString is not comparable to itself), is walked whole on every lookup;
 * a bin of colliding Strings becomes a tree, so crafted names cost log n each. The fields that frame or route a
 * message are never named away ({@link RequestCheck#isEndToEndOnly}).
 */
public final class ConnectionNames {
    private ConnectionNames() {}

    /**
     * @param fields     5 ints per field line: its kind's ordinal, then its name's and its value's start and end in
     *                   {@code bytes}
     * @param connection the ordinal of the Connection kind
     * @return per field, whether a Connection line names it
     */
    public static boolean[] named(byte[] bytes, int[] fields, int count, int connection) {
        Set<String> tokens = new HashSet<>();
        for (int i = 0; i < count; i++) {
            if (fields[5 * i] == connection) {
                Tokens t = new Tokens(view(bytes, fields[5 * i + 3], fields[5 * i + 4]));
                while (t.next()) {
                    tokens.add(t.text().toLowerCase(Locale.ROOT));
                }
            }
        }
        boolean[] named = new boolean[count];
        for (int i = 0; i < count; i++) {
            int start = fields[5 * i + 1];
            int end = fields[5 * i + 2];
            named[i] = tokens.contains(AsciiCase.lowerString(bytes, start, end))
                    && !RequestCheck.isEndToEndOnly(view(bytes, start, end));
        }
        return named;
    }

    private static AsciiString view(byte[] bytes, int start, int end) {
        return new AsciiString(bytes, start, end - start, false);
    }
}
