package dev.usher.sandbox.node;

import dev.usher.sandbox.network.Shell;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A pod's own namespaces (network, mount, UTS), held open by a process that only sleeps, as a
 * runtime's pause container does: every container of the pod and every exec probe enters them with
 * nsenter. Bind mounts put the volumes at their mountPaths; a mountPath whose folder does not exist
 * on the host is made in an overlay of its nearest existing parent, private to the pod.
 */
final class PodSandbox implements AutoCloseable {

    /** Makes a mount point; its parents, if missing, in an overlay private to the pod (never over /). */
    private static final String MOUNT_POINT = """
            mount_point() {
              t="$1"; s="$2"
              if [ ! -e "$t" ]; then
                a=$(dirname "$t"); while [ ! -e "$a" ]; do a=$(dirname "$a"); done
                a=$(realpath "$a")
                if [ "$a" = / ]; then echo "cannot make mount point $t: / cannot be overlaid" >&2; exit 1; fi
                if ! grep -q "^sandbox-overlay $a " /proc/self/mounts; then
                  o="%s$a"; mkdir -p "$o/upper" "$o/work"
                  mount -t overlay sandbox-overlay -o "lowerdir=$a,upperdir=$o/upper,workdir=$o/work" "$a"
                fi
                if [ -d "$s" ]; then mkdir -p "$t"; else mkdir -p "$(dirname "$t")"; touch "$t"; fi
              fi
              mount --bind "$s" "$t"
            }
            """;

    private final Process holder;
    private final Path dir;

    private PodSandbox(Process holder, Path dir) {
        this.holder = holder;
        this.dir = dir;
    }

    static PodSandbox create(Path dir) throws IOException {
        Process holder = new ProcessBuilder("unshare", "--net", "--mount", "--uts", "--propagation", "private",
                "sleep", "infinity").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("sandbox.log").toFile())).start();
        PodSandbox sandbox = new PodSandbox(holder, dir);
        // unshare makes the namespaces, then becomes sleep: wait until its network namespace is not ours.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            if (!holder.isAlive()) {
                throw new IOException("unshare exited with " + holder.exitValue() + ": see " + dir.resolve("sandbox.log"));
            }
            try {
                if (!Files.readSymbolicLink(Path.of("/proc/" + holder.pid() + "/ns/net")).equals(
                        Files.readSymbolicLink(Path.of("/proc/self/ns/net")))) {
                    return sandbox;
                }
            } catch (IOException e) {
                // not there yet
            }
            if (System.nanoTime() > deadline) {
                sandbox.close();
                throw new IOException("the pod's namespaces were not made within 10 s");
            }
            try {
                Thread.sleep(5); // polling a child process that cannot call back
            } catch (InterruptedException e) {
                sandbox.close();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    long pid() {
        return holder.pid();
    }

    /** Bind mounts, in the pod's mount namespace. */
    void mount(String script) throws IOException {
        if (script.isEmpty()) {
            return;
        }
        Shell.run(command(List.of("sh", "-euc", MOUNT_POINT.formatted(dir.resolve("overlays")) + script), Path.of("/")));
    }

    /** A command line that runs argv in the pod's namespaces, in the folder workDir. */
    List<String> command(List<String> argv, Path workDir) {
        // Entering a mount namespace moves to its root: --wd sets the folder again after that.
        List<String> command = new ArrayList<>(List.of("nsenter", "-t", Long.toString(holder.pid()), "-n", "-m", "-u",
                "--wd=" + workDir, "--"));
        command.addAll(argv);
        return command;
    }

    /** An exec probe or hook: whether the command exited 0 within 30 s. */
    boolean exec(List<String> argv) {
        try {
            Shell.run(command(argv, Path.of("/")));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        holder.destroyForcibly();
    }
}
