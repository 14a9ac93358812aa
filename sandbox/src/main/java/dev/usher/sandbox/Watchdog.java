package dev.usher.sandbox;

import java.io.IOException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * For a crash of the sandbox's JVM (SIGKILL, an out-of-memory kill), which runs no shutdown hook:
 * a shell that waits for the end of its standard input, which only this JVM holds, and then kills
 * the given processes (the control plane's). The node needs none: it watches its own standard input
 * and takes every pod with it. On a normal stop the processes are already gone, and {@link #close()}
 * ends the watchdog first.
 */
final class Watchdog implements AutoCloseable {

    private final Process shell;

    Watchdog(List<ProcessHandle> processes) throws IOException {
        String pids = processes.stream().map(p -> Long.toString(p.pid())).collect(Collectors.joining(" "));
        shell = new ProcessBuilder("sh", "-c", "cat >/dev/null; kill -TERM " + pids + " 2>/dev/null; sleep 10; kill -KILL "
                + pids + " 2>/dev/null").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    @Override
    public void close() {
        shell.descendants().forEach(ProcessHandle::destroyForcibly);
        shell.destroyForcibly();
    }
}
