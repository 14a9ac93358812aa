package dev.usher.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which local command a Pod of a given image runs: the sandbox has no container runtime. Each
 * example names its images in {@link #FILE} ({@code images: {<image>: {command: [...]}}}).
 * The command runs in the example's folder, replaces the container's own command and args, and may
 * use {@code ${VAR}} from the Pod's environment (the node adds POD_NAME, POD_NAMESPACE, POD_IP, PORT).
 */
final class ImageMap {

    /** YAML, but not named .yaml: kubectl apply -f on the example folder must not read it. */
    static final String FILE = "sandbox.images";
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    record Command(List<String> argv, Path workDir) {

        List<String> expand(Map<String, String> env) {
            List<String> out = new ArrayList<>();
            for (String arg : argv) {
                Matcher m = VAR.matcher(arg);
                out.add(m.replaceAll(r -> Matcher.quoteReplacement(env.getOrDefault(r.group(1), ""))));
            }
            return out;
        }
    }

    private final Map<String, Command> commands = new ConcurrentHashMap<>();
    private final List<Path> files = new ArrayList<>();

    /** Reads the folder's {@link #FILE} when there is one. */
    void load(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) {
            return;
        }
        try {
            JsonNode images = YAML.readTree(file.toFile()).path("images");
            images.properties().forEach(e -> {
                List<String> argv = new ArrayList<>();
                e.getValue().path("command").forEach(a -> argv.add(a.asText()));
                if (argv.isEmpty()) {
                    throw new IllegalArgumentException(file + ": images." + e.getKey() + ".command: must be a non-empty list");
                }
                commands.put(e.getKey(), new Command(List.copyOf(argv), dir.toAbsolutePath()));
            });
            files.add(file);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    Optional<Command> command(String image) {
        return Optional.ofNullable(commands.get(image));
    }

    /** For the reason a Pod of an unmapped image gives in its status. */
    String describe() {
        return files.isEmpty() ? "no " + FILE + " was loaded" : "mapped in " + files;
    }
}
