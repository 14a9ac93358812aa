package dev.usher.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What can be checked of the images without a Docker engine: each Dockerfile's build stage copies
 * what Maven needs from the build context (and .dockerignore keeps it), builds the jar that its
 * runtime stage copies, and the entrypoint runs that jar; the jar this build produced starts.
 */
class DockerfilesTest {

    private static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");

    /** One instruction, its continuation lines joined. */
    record Instruction(String keyword, String arguments) {
    }

    @ParameterizedTest(name = "{0}/Dockerfile")
    @CsvSource({"proxy-image, usher-proxy", "operator, usher-operator"})
    void buildStageProducesTheJarThatTheEntrypointRuns(String module, String jarName) throws IOException {
        List<List<Instruction>> stages = stages(REPOSITORY.resolve(module).resolve("Dockerfile"));
        assertThat(stages).as("a build stage and a runtime stage").hasSize(2);
        List<Instruction> build = stages.get(0);
        List<Instruction> runtime = stages.get(1);
        String workdir = only(build, "WORKDIR");

        List<String> copied = new ArrayList<>();
        for (Instruction copy : all(build, "COPY")) {
            String source = copy.arguments().split("\\s+")[0];
            copied.add(source);
            assertThat(REPOSITORY.resolve(source)).as("COPY %s: in the repository", source).exists();
            assertThat(ignoredBy(source)).as("COPY %s: excluded by .dockerignore", source).isNull();
        }
        for (String child : modules()) {
            assertThat(copied).as("the reactor needs every module's pom").contains(child + "/pom.xml");
        }
        assertThat(copied).contains("pom.xml", module + "/src");
        assertThat(all(build, "RUN")).map(Instruction::arguments)
                .anyMatch(run -> run.startsWith("mvn ") && run.contains("-pl " + module) && run.contains(" package"));

        String jar = module + "/target/" + jarName + ".jar";
        Instruction fromBuild = all(runtime, "COPY").stream()
                .filter(c -> c.arguments().startsWith("--from=build ")).findFirst().orElseThrow();
        String[] paths = fromBuild.arguments().split("\\s+");
        assertThat(paths[1]).as("the jar Maven builds").isEqualTo(workdir + "/" + jar);
        assertThat(REPOSITORY.resolve(jar)).as("built by this build").isRegularFile();
        assertThat(only(runtime, "ENTRYPOINT")).isEqualTo("[\"java\", \"-jar\", \"" + paths[2] + "\"]");

        assertThat(only(runtime, "USER")).as("a numeric, non-root user").matches("[1-9][0-9]*");
        assertThat(only(runtime, "ENV")).contains("-XX:MaxRAMPercentage=", "-XX:+ExitOnOutOfMemoryError");
        assertThat(only(runtime, "LABEL")).contains("org.opencontainers.image.title=\"" + jarName + "\"",
                "org.opencontainers.image.version=\"" + releaseVersion() + "\"");
    }

    @ParameterizedTest(name = "{0}.jar --help")
    @CsvSource({"proxy-image, usher-proxy", "operator, usher-operator"})
    void entrypointJarStarts(String module, String jarName) throws Exception {
        Path out = Files.createTempFile(jarName, ".out");
        try {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process process = new ProcessBuilder(java, "-jar",
                    REPOSITORY.resolve(module + "/target/" + jarName + ".jar").toString(), "--help")
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("exits within 30 s").isTrue();
            String output = Files.readString(out, StandardCharsets.UTF_8);
            assertThat(process.exitValue()).as(output).isZero();
            assertThat(output.toLowerCase()).contains("usage:");
        } finally {
            Files.delete(out);
        }
    }

    private static List<List<Instruction>> stages(Path dockerfile) throws IOException {
        List<List<Instruction>> stages = new ArrayList<>();
        String text = Files.readString(dockerfile).replaceAll("\\\\\\n\\s*", " ");
        for (String line : text.split("\n")) {
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+", 2);
            if (parts[0].equals("FROM")) {
                stages.add(new ArrayList<>());
            }
            stages.get(stages.size() - 1).add(new Instruction(parts[0], parts.length > 1 ? parts[1] : ""));
        }
        return stages;
    }

    private static List<Instruction> all(List<Instruction> stage, String keyword) {
        return stage.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    private static String only(List<Instruction> stage, String keyword) {
        List<Instruction> found = all(stage, keyword);
        assertThat(found).as(keyword).hasSize(1);
        return found.get(0).arguments();
    }

    private static List<String> modules() throws IOException {
        Matcher m = MODULE.matcher(Files.readString(REPOSITORY.resolve("pom.xml")));
        List<String> modules = new ArrayList<>();
        while (m.find()) {
            modules.add(m.group(1));
        }
        return modules;
    }

    /** The project's version without -SNAPSHOT: what the images and the chart are released as. */
    private static String releaseVersion() throws IOException {
        Matcher m = Pattern.compile("<artifactId>usher-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(REPOSITORY.resolve("pom.xml")));
        assertThat(m.find()).isTrue();
        return m.group(1).replace("-SNAPSHOT", "");
    }

    /** The .dockerignore pattern that excludes the path, or null (its patterns are globs; "dir/" means a folder). */
    private static String ignoredBy(String path) throws IOException {
        for (String pattern : Files.readAllLines(REPOSITORY.resolve(".dockerignore"))) {
            pattern = pattern.strip();
            if (pattern.isEmpty() || pattern.startsWith("#")) {
                continue;
            }
            String glob = pattern.endsWith("/") ? pattern + "**" : pattern;
            PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
            if (matcher.matches(Path.of(path)) || matcher.matches(Path.of(path, "x"))) {
                return pattern;
            }
        }
        return null;
    }
}
