package dev.usher.proxy.testing;

import static org.awaitility.Awaitility.await;

import dev.usher.proxy.Main;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real proxy in a child JVM (same classes as the tests), for what only a process shows: a small heap,
 * SIGTERM, the exit code. Its log is kept and scanned for Netty leak reports.
 */
public final class ProxyProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on /127\\.0\\.0\\.1:(\\d+) \\(admin /127\\.0\\.0\\.1:(\\d+)\\)");

    private final Process process;
    private final List<String> output = new CopyOnWriteArrayList<>();
    private volatile int port;
    private volatile int adminPort;

    public ProxyProcess(List<String> jvmArgs, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-Dio.netty.leakDetection.level=paranoid");
        cmd.add("-Dlogback.configurationFile=" + mainLogbackConfig());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of("--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"));
        if (!args.contains("--warmup-requests")) {
            cmd.addAll(List.of("--warmup-requests", "0")); // as ProxyFixture: the test's requests need no warm-up
        }
        cmd.addAll(args);
        process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Thread reader = new Thread(this::readOutput, "proxy-process-output");
        reader.setDaemon(true);
        reader.start();
        await().atMost(Duration.ofSeconds(30))
                .failFast("proxy process exited: " + output, () -> !process.isAlive())
                .until(() -> port != 0);
    }

    private static String mainLogbackConfig() {
        try {
            return Path.of(Main.class.getResource("/logback.xml").toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private void readOutput() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                output.add(line);
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    adminPort = Integer.parseInt(m.group(2));
                    port = Integer.parseInt(m.group(1));
                }
            }
        } catch (IOException e) {
            output.add("(output closed: " + e + ")");
        }
    }

    public int port() {
        return port;
    }

    public int adminPort() {
        return adminPort;
    }

    public Process process() {
        return process;
    }

    public List<String> output() {
        return output;
    }

    public List<String> leakReports() {
        return output.stream().filter(l -> l.contains("LEAK:")).toList();
    }

    /** SIGTERM, as Kubernetes sends it. */
    public void terminate() {
        process.destroy();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
