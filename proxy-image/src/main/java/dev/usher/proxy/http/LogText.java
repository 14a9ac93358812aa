package dev.usher.proxy.http;

/** Client-supplied text made safe for a log line: control and non-ASCII bytes escaped, length capped. */
final class LogText {
    private static final int MAX = 200;

    private LogText() {}

    static String escape(CharSequence s) {
        if (s == null) {
            return "-";
        }
        int n = Math.min(s.length(), MAX);
        StringBuilder out = null;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            boolean plain = c >= 0x20 && c < 0x7f && c != '\\';
            if (!plain && out == null) {
                out = new StringBuilder(n + 16).append(s, 0, i);
            }
            if (out != null) {
                if (plain) {
                    out.append(c);
                } else if (c == '\\') {
                    out.append("\\\\");
                } else {
                    out.append(String.format(c > 0xff ? "\\u%04x" : "\\x%02x", (int) c));
                }
            }
        }
        String text = out == null ? s.subSequence(0, n).toString() : out.toString();
        return s.length() > MAX ? text + "..." : text;
    }
}
