package dev.usher.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.usher.kube.ControlPlane;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's command in a JVM of its own: `up` prints a curl and a KUBECONFIG that work, a second
 * `up` on the same folder is refused, and SIGTERM leaves no process behind.
 */
class CommandLineTest {

    private static final Pattern CURL = Pattern.compile("curl http://127\\.0\\.0\\.1:(\\d+)/");
    private static final Pattern KUBECONFIG = Pattern.compile("export KUBECONFIG=(\\S+)");

    @TempDir
    Path work;

    @Test
    void upPrintsAWorkingCurlAndKubeconfigAndSigtermStopsEveryProcessItStarted() throws Exception {
        Process up = sandbox("up", "../examples/hello/").start();
        List<ProcessHandle> started = new ArrayList<>();
        try {
            List<String> lines = new ArrayList<>();
            Thread reader = new Thread(() -> read(up, lines));
            reader.setDaemon(true);
            reader.start();
            await().atMost(Duration.ofSeconds(150)).until(() -> find(lines, KUBECONFIG) != null || !up.isAlive());
            assertThat(up.isAlive()).as(String.join("\n", snapshot(lines))).isTrue();
            Matcher curl = find(lines, CURL);
            assertThat(Http.get(Integer.parseInt(curl.group(1)), "/").body()).startsWith("Hostname: hello-");

            ProcessBuilder get = new ProcessBuilder(ControlPlane.defaultBinaries().resolve("kubectl").toString(),
                    "get", "papp", "hello").redirectErrorStream(true);
            get.environment().put("KUBECONFIG", find(lines, KUBECONFIG).group(1));
            // Ready replicas and the EndpointSlices' ready endpoints (UPSTREAMS) are written by different
            // controllers: the status shows both at 2 once the slice of the second pod has been seen.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(output(get)).containsPattern("hello\\s+\\S+\\s+2\\s+2\\s+2"));

            String second = output(sandbox("up"));
            assertThat(second).contains("a sandbox is already running in");

            started.addAll(up.descendants().toList());
            assertThat(started).hasSizeGreaterThanOrEqualTo(10);
        } finally {
            up.destroy();
            assertThat(up.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        // The pods die with the node's PID namespace, and the last ones are reaped a moment after `up` exits.
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(started).noneMatch(ProcessHandle::isAlive));
        assertThat(processesOf(work)).isEmpty();
    }

    @Test
    void aSandboxKilledWithSigkillLeavesNoProcessBehind() throws Exception {
        Process up = sandbox("up").start();
        List<String> lines = new ArrayList<>();
        Thread reader = new Thread(() -> read(up, lines));
        reader.setDaemon(true);
        reader.start();
        List<ProcessHandle> started;
        try {
            await().atMost(Duration.ofSeconds(150)).until(() -> find(lines, KUBECONFIG) != null || !up.isAlive());
            started = up.descendants().toList();
            assertThat(started).as(String.join("\n", snapshot(lines))).hasSizeGreaterThanOrEqualTo(8);
        } finally {
            // no shutdown hook runs
            up.destroyForcibly();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> started.stream().noneMatch(ProcessHandle::isAlive));
        assertThat(processesOf(work)).isEmpty();
    }

    @Test
    void anExampleThatDoesNotApplyStopsUpWithKubectlsMessageAndLeavesNothing(@TempDir Path example) throws Exception {
        Files.writeString(example.resolve("bad.yaml"), """
                apiVersion: usher.dev/v1alpha1
                kind: ProxiedApp
                metadata: {name: Not_A_Name}
                spec: {image: example/app:1}
                """);
        String out = output(sandbox("up", example.toString()));
        assertThat(out).contains("up: kubectl apply -f " + example, "failed", "Not_A_Name");
        assertThat(processesOf(work)).isEmpty();
    }

    /** Every process on this machine whose command line names the folder: what a sandbox in it left behind. */
    private static List<String> processesOf(Path folder) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(folder.toString())).orElse(false))
                .map(p -> p.pid() + " " + p.info().commandLine().orElse(""))
                .toList();
    }

    @Test
    void upOnAFolderThatDoesNotExistSaysSo() throws Exception {
        assertThat(output(sandbox("up", "../examples/no-such-example/"))).contains("is not a folder of resources");
    }

    private ProcessBuilder sandbox(String... args) {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), dev.usher.sandbox.cli.Main.class.getName(),
                "--work", work.toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true);
    }

    private static String output(ProcessBuilder builder) throws IOException, InterruptedException {
        Process p = builder.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    private static Matcher find(List<String> lines, Pattern pattern) {
        return snapshot(lines).stream().map(pattern::matcher).filter(Matcher::find).findFirst().orElse(null);
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
