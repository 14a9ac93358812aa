package dev.usher.sandbox.network;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a short command (ip, nsenter, mount) and fails with its output when it fails. */
public final class Shell {

    private Shell() {
    }

    public static String run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + ": no exit within 30 s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command).replace('\n', ' ') + " exited with " + p.exitValue()
                    + ": " + out.strip());
        }
        return out;
    }

    /** A shell script, for a sequence of commands that belong together. */
    public static String script(String script) throws IOException {
        return run(List.of("sh", "-euc", script));
    }
}
