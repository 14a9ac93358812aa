package dev.usher.proxy.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real uWSGI (Debian's {@code uwsgi} with the {@code python3} plugin) speaking the uwsgi protocol on an ephemeral
 * 127.0.0.1 port, running one of the WSGI apps under {@code src/test/resources/uwsgi/}:
 * <ul>
 *   <li>{@code environ_app.py}: answers with the WSGI environ as JSON; {@code /error}, {@code /stream},
 *       {@code /slow}, {@code /slow-stream}</li>
 *   <li>{@code flask_app.py}: a Flask app; {@code /form}, {@code /json}, {@code /upload}, {@code /stream},
 *       {@code /cookies}, {@code /headers}</li>
 * </ul>
 * uWSGI runs in a process group of its own, so {@link #kill()} takes the master and every worker down at once.
 */
public final class UwsgiServer implements AutoCloseable {
    public static final String REQUIREMENT =
            "needs uWSGI with its python3 plugin (Debian: apt-get install uwsgi uwsgi-plugin-python3 python3-flask)";

    private static final Path PYTHON3_PLUGIN = Path.of("/usr/lib/uwsgi/plugins/python3_plugin.so");
    // uWSGI reports the port the kernel gave 127.0.0.1:0, which spares us a racy free-port probe.
    private static final Pattern BOUND = Pattern.compile("uwsgi socket 0 bound to TCP address 127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern SPAWNED = Pattern.compile("^spawned uWSGI worker \\d+ ", Pattern.MULTILINE);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final Path dir;
    private final Path log;
    private final Process process;
    private final Thread killOnExit = new Thread(this::kill, "uwsgi-kill-on-exit");
    private final int port;

    private UwsgiServer(Builder b) throws IOException {
        dir = Files.createTempDirectory("usher-uwsgi");
        log = dir.resolve("uwsgi.log");
        Path app = dir.resolve(b.app);
        try (InputStream in = UwsgiServer.class.getResourceAsStream("/uwsgi/" + b.app)) {
            if (in == null) {
                deleteRecursively(dir);
                throw new IllegalArgumentException("no test resource /uwsgi/" + b.app);
            }
            Files.copy(in, app);
        }
        List<String> cmd = new ArrayList<>(List.of(
                "setsid", "uwsgi",
                "--strict",
                "--plugin", "python3",
                "--uwsgi-socket", "127.0.0.1:0",
                "--chdir", dir.toString(),
                "--wsgi-file", app.toString(),
                "--need-app",
                "--master",
                "--processes", Integer.toString(b.processes),
                "--threads", Integer.toString(b.threads),
                "--single-interpreter",
                "--buffer-size", Integer.toString(b.bufferSize),
                // Without it SIGTERM means "reload" in uWSGI 2.0.
                "--die-on-term",
                "--no-orphans",
                "--worker-reload-mercy", "5",
                "--reload-mercy", "5",
                // Request lines are noise; 5xx, tracebacks and uWSGI's own errors are still logged.
                "--disable-logging",
                "--log-5xx"));
        if (b.harakiriSeconds > 0) {
            cmd.addAll(List.of("--harakiri", Integer.toString(b.harakiriSeconds)));
        }
        if (b.postBufferingBytes > 0) {
            cmd.addAll(List.of("--post-buffering", Integer.toString(b.postBufferingBytes)));
        }
        if (b.socketTimeoutSeconds > 0) {
            cmd.addAll(List.of("--socket-timeout", Integer.toString(b.socketTimeoutSeconds)));
        }
        if (b.catchExceptions) {
            cmd.add("--catch-exceptions");
        }
        cmd.addAll(b.extraArgs);

        // A file rather than a pipe: a pipe's last lines are lost when the JDK closes it at process exit.
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("PYTHONUNBUFFERED", "1");
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        // setsid (no fork: the JVM's child is not a group leader) puts uWSGI and its workers in a group of their own.
        process = pb.start();
        Runtime.getRuntime().addShutdownHook(killOnExit);
        try {
            await().atMost(START_TIMEOUT)
                    .pollInterval(Duration.ofMillis(20))
                    .failFast(() -> failIfExited(process, log, "uWSGI"))
                    .until(() -> {
                        String text = read(log);
                        int bound = boundPort(text);
                        return bound != 0 && SPAWNED.matcher(text).results().count() >= b.processes && accepts(bound);
                    });
            port = boundPort(read(log));
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** Whether uWSGI, its python3 plugin, {@code setsid} and {@code kill} are installed. */
    public static boolean available() {
        return onPath("uwsgi") && onPath("setsid") && onPath("kill") && Files.exists(PYTHON3_PLUGIN);
    }

    /** {@link #available()}, and Flask importable by the system python3, which the plugin embeds. */
    public static boolean flaskAvailable() {
        if (!available() || !onPath("python3")) {
            return false;
        }
        try {
            Process p = new ProcessBuilder("python3", "-c", "import flask")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** {@code app} is a file name under {@code src/test/resources/uwsgi/}, e.g. {@code "environ_app.py"}. */
    public static Builder app(String app) {
        return new Builder(app);
    }

    /** The app with the defaults: 2 processes of 4 threads, uWSGI's default 4096-byte buffer. */
    public static UwsgiServer start(String app) throws IOException {
        return app(app).start();
    }

    public int port() {
        return port;
    }

    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    /** The master's pid. */
    public long pid() {
        return process.pid();
    }

    /** The workers alive now; after a harakiri or a crash the master respawns them under new pids. */
    public List<Long> workerPids() {
        return process.descendants().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList();
    }

    public Process process() {
        return process;
    }

    /** uWSGI's log so far (stdout and stderr): startup banner, tracebacks, 5xx requests, protocol errors. */
    public List<String> output() {
        return read(log).lines().toList();
    }

    public boolean outputContains(String text) {
        return read(log).contains(text);
    }

    /** SIGTERM (a clean shutdown thanks to {@code --die-on-term}; it takes uWSGI's master about a second). */
    public void stop() {
        List<ProcessHandle> group = group(process);
        if (process.isAlive()) {
            process.destroy();
            try {
                process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        killGroup(process, group);
    }

    /** SIGKILL to the master and all workers at once: uWSGI dying mid-response, connections closed by the kernel. */
    public void kill() {
        killGroup(process, group(process));
    }

    /** Kills rather than stops: nothing here needs a graceful end, and a graceful one costs a second per server. */
    @Override
    public void close() {
        try {
            kill();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(killOnExit);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook is running or has run
            }
            deleteRecursively(dir);
        }
    }

    private static int boundPort(String text) {
        Matcher m = BOUND.matcher(text);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    static List<ProcessHandle> group(Process leader) {
        List<ProcessHandle> members = new ArrayList<>();
        members.add(leader.toHandle());
        leader.descendants().forEach(members::add);
        return members;
    }

    /**
     * SIGKILLs the process group led by {@code leader} and waits for the leader. {@code members} were listed before
     * any signal: once a master dies its orphaned workers are no longer its descendants. A group id may be reused
     * once every member is gone, so the group is only signalled while a member lives.
     */
    static void killGroup(Process leader, List<ProcessHandle> members) {
        if (members.stream().anyMatch(ProcessHandle::isAlive)) {
            try {
                Process kill = new ProcessBuilder("kill", "-KILL", "--", "-" + leader.pid())
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
                kill.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (IOException e) {
                // fall back to the processes we know of
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            members.forEach(ProcessHandle::destroyForcibly);
        }
        try {
            leader.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void failIfExited(Process process, Path log, String name) {
        if (!process.isAlive()) {
            throw new AssertionError(name + " exited with " + process.exitValue() + ":\n" + read(log));
        }
    }

    static String read(Path file) {
        try {
            // lenient decoding: logs may quote request bytes that are not UTF-8
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static boolean onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, command))) {
                return true;
            }
        }
        return false;
    }

    static void deleteRecursively(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a leftover temp file is not worth failing a test for
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // same
        }
    }

    public static final class Builder {
        private final String app;
        private int processes = 2;
        private int threads = 4;
        private int bufferSize = 4096;
        private int harakiriSeconds;
        private int postBufferingBytes;
        private int socketTimeoutSeconds;
        private boolean catchExceptions;
        private final List<String> extraArgs = new ArrayList<>();

        private Builder(String app) {
            this.app = app;
        }

        public Builder processes(int processes) {
            this.processes = processes;
            return this;
        }

        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        /** {@code --buffer-size}: the largest uwsgi vars block accepted; a bigger one is dropped with a reset. */
        public Builder bufferSize(int bytes) {
            this.bufferSize = bytes;
            return this;
        }

        /** {@code --harakiri}: the master SIGKILLs a worker whose request runs longer than this, then respawns it. */
        public Builder harakiri(int seconds) {
            this.harakiriSeconds = seconds;
            return this;
        }

        /** {@code --post-buffering}: read the whole body (to memory, or disk past this size) before calling the app. */
        public Builder postBuffering(int bytes) {
            this.postBufferingBytes = bytes;
            return this;
        }

        /** {@code --socket-timeout} (uWSGI's default is 4 s): how long a read of the request body may stall. */
        public Builder socketTimeout(int seconds) {
            this.socketTimeoutSeconds = seconds;
            return this;
        }

        /**
         * {@code --catch-exceptions}: an exception before the response starts becomes a 500 carrying the traceback.
         * Without it (the production default) uWSGI closes the connection without a byte, and nginx answers 502.
         */
        public Builder catchExceptions(boolean catchExceptions) {
            this.catchExceptions = catchExceptions;
            return this;
        }

        public Builder extraArgs(String... args) {
            extraArgs.addAll(List.of(args));
            return this;
        }

        public UwsgiServer start() throws IOException {
            return new UwsgiServer(this);
        }
    }
}
