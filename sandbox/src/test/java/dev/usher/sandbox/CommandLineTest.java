package dev.usher.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's main command in a JVM of its own: up prints a working curl, get and scale reach it, SIGTERM leaves nothing behind. */
class CommandLineTest {

    private static final Pattern CURL = Pattern.compile("curl http://127\\.0\\.0\\.1:(\\d+)/");

    @TempDir
    Path work;

    @Test
    void upPrintsAWorkingCurlAndSigtermStopsEveryProcessItStarted() throws Exception {
        Process up = sandbox("up", "../examples/hello/").start();
        List<ProcessHandle> started = new ArrayList<>();
        try {
            List<String> lines = new ArrayList<>();
            Thread reader = new Thread(() -> read(up, lines));
            reader.setDaemon(true);
            reader.start();
            await().atMost(Duration.ofSeconds(90)).until(() -> snapshot(lines).stream().anyMatch(l -> CURL.matcher(l).find()));
            Matcher curl = snapshot(lines).stream().map(CURL::matcher).filter(Matcher::find).findFirst().orElseThrow();
            assertThat(Http.get(Integer.parseInt(curl.group(1)), "/").body()).startsWith("Hostname: hello-");

            assertThat(run("scale", "hello", "3")).contains("proxiedapp/hello scaled to 3");
            await().atMost(Duration.ofSeconds(30)).until(() -> run("get").lines()
                    .filter(l -> l.startsWith("hello-") && !l.startsWith("hello-proxy") && l.contains(" true ")).count() == 3);
            assertThat(run("get")).containsPattern("hello\\s+3\\s+3\\s+3\\s+http://hello.default.svc:80");

            started.addAll(up.descendants().toList());
            assertThat(started).hasSizeGreaterThanOrEqualTo(5);
        } finally {
            up.destroy();
            assertThat(up.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(started).noneMatch(ProcessHandle::isAlive);
        Process get = sandbox("get").start();
        assertThat(new String(get.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).contains("no running sandbox");
        assertThat(get.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(get.exitValue()).isEqualTo(1);
    }

    private ProcessBuilder sandbox(String... args) {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "--work", work.toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true);
    }

    private String run(String... args) throws IOException, InterruptedException {
        Process p = sandbox(args).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    private static void read(Process p, List<String> lines) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (lines) {
                    lines.add(line);
                }
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    private static List<String> snapshot(List<String> lines) {
        synchronized (lines) {
            return new ArrayList<>(lines);
        }
    }
}
