package dev.usher.sandbox;

import dev.usher.kube.ControlPlane;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What `up` checks before it starts anything, each failure a message that says what to do: one
 * sandbox per work folder, the Kubernetes binaries (built by bin/kubernetes.sh when missing, its
 * progress shown), helm, the built jars, and user namespaces.
 */
final class Preflight {

    private Preflight() {
    }

    /** Thrown with a message for the user; nothing has been started. */
    static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message);
        }
    }

    /** Holds the work folder's lock for the sandbox's life: a second `up` on it fails at once. */
    static FileLock lock(Path work) throws IOException {
        Files.createDirectories(work);
        Path file = work.resolve("sandbox.lock");
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock();
        if (lock == null) {
            channel.close();
            throw new Failure("a sandbox is already running in " + work + " (stop it with Ctrl-C, or use another --work)");
        }
        return lock;
    }

    /** The Kubernetes binaries' folder, building them first when they are missing. */
    static Path binaries(Path root) throws IOException, InterruptedException {
        Path binaries = ControlPlane.defaultBinaries();
        if (List.of("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl").stream()
                .allMatch(b -> Files.isExecutable(binaries.resolve(b)))) {
            return binaries;
        }
        System.out.println("The Kubernetes binaries are not in " + binaries + ": building them with bin/kubernetes.sh"
                + " (once per machine, several minutes)");
        Process build = new ProcessBuilder("bash", root.resolve("bin/kubernetes.sh").toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        if (build.waitFor() != 0) {
            throw new Failure("bin/kubernetes.sh could not build the Kubernetes binaries (see its message above)");
        }
        return binaries;
    }

    /** helm: the repository's .tools/bin (bin/test.sh installs it there), else PATH. */
    static Path helm(Path root) {
        Path local = root.resolve(".tools/bin/helm");
        if (Files.isExecutable(local)) {
            return local;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "helm"))) {
                return Path.of(dir, "helm");
            }
        }
        throw new Failure("helm is not in .tools/bin or on PATH: bash .ci/install-tools installs it into .tools/bin");
    }

    static void jars(Path root) {
        for (String jar : List.of("operator/target/usher-operator.jar", "proxy-image/target/usher-proxy.jar")) {
            if (!Files.exists(root.resolve(jar))) {
                throw new Failure(jar + " is missing: build it first with mvn -B -DskipTests package");
            }
        }
    }

    /** Rootless namespaces: the node runs in a user namespace of its own. */
    static void userNamespaces() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("unshare", "--user", "--map-root-user", "--net", "--mount", "--pid", "--fork", "true")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new Failure("cannot create user namespaces (unshare --user --map-root-user: " + out + "). Allow them with"
                    + " sysctl -w kernel.unprivileged_userns_clone=1 (Debian), user.max_user_namespaces=15000, or"
                    + " kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu); the sandbox needs no root otherwise");
        }
    }

    /** The repository root: the folder, from here upwards, that holds helm/usher. */
    static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.exists(d.resolve("helm/usher/Chart.yaml"))) {
                return d;
            }
        }
        throw new Failure("run the sandbox from the Usher repository (no helm/usher/Chart.yaml in " + dir + " or above)");
    }
}
