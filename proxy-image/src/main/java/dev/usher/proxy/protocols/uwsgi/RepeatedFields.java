package dev.usher.proxy.protocols.uwsgi;

import dev.usher.proxy.protocols.AsciiCase;
import dev.usher.proxy.protocols.request.UpstreamHead;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Which fields of a head share a name, whatever its case, so that a repeated field becomes one var: for each field, the
 * next one of the same name, and whether one came before it. A head of a few fields compares them in pairs; a larger
 * one groups them by name in a map, because a client may send thousands of fields within limits.maxHeaderSize and
 * comparing every pair of those held the event loop for tens of milliseconds a request.
 */
final class RepeatedFields {
    /** Up to this many fields, comparing every pair costs less than a map's keys. */
    private static final int PAIRWISE_MAX = 32;
    private static final int NONE = -1;

    private final int[] next;
    private final boolean[] repeat;

    private RepeatedFields(int[] next, boolean[] repeat) {
        this.next = next;
        this.repeat = repeat;
    }

    static RepeatedFields of(UpstreamHead head) {
        int n = head.fieldCount();
        int[] next = new int[n];
        Arrays.fill(next, NONE);
        boolean[] repeat = new boolean[n];
        if (n <= PAIRWISE_MAX) {
            for (int i = 0; i < n; i++) {
                for (int j = i + 1, last = i; !repeat[i] && j < n; j++) {
                    if (head.sameName(i, j)) {
                        next[last] = j;
                        repeat[j] = true;
                        last = j;
                    }
                }
            }
        } else {
            // String keys: a bin of colliding hashes becomes a tree ordered by compareTo, so crafted names cost
            // log n each, not n.
            Map<String, Integer> lastOfName = new HashMap<>(2 * n);
            for (int i = 0; i < n; i++) {
                Integer last = lastOfName.put(AsciiCase.lowerString(head.array(i), head.nameStart(i), head.nameEnd(i)), i);
                if (last != null) {
                    next[last] = i;
                    repeat[i] = true;
                }
            }
        }
        return new RepeatedFields(next, repeat);
    }

    /** The next field after {@code f} with its name, or -1. */
    int next(int f) {
        return next[f];
    }

    /** Whether a field before {@code f} has its name. */
    boolean repeat(int f) {
        return repeat[f];
    }
}
